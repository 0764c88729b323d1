#include "core/config_rewrite.h"

#include "core/project_dir_name.h"

namespace claude {

Result<std::string> rewrite_content(std::string_view, std::string_view content, const PathMap&,
                                    Direction, const RewriteOptions&) {
  return std::string(content);
}

std::string rewrite_jsonl_lines(std::string_view complete_lines, const PathMap&, Direction, bool,
                                const RewriteOptions&) {
  return std::string(complete_lines);
}

bool is_rewritable(std::string_view) { return false; }

ProjectDirMapper::ProjectDirMapper(PathMap map) : map_(std::move(map)) {}

void ProjectDirMapper::learn(std::string_view abs_path) {
  learned_[project_dir_name(abs_path)].emplace_back(abs_path);
}

void ProjectDirMapper::learn_from_content(std::string_view, std::string_view) {}

std::string ProjectDirMapper::map_dir_name(std::string_view name, Direction) const {
  return std::string(name);
}

std::string ProjectDirMapper::map_rel_path(std::string_view rel_path, Direction) const {
  return std::string(rel_path);
}

}  // namespace claude
