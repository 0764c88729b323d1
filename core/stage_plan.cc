#include "core/stage_plan.h"

#include "core/formats.h"
#include "core/path_names.h"

namespace claude {
namespace {

std::string_view first_component(std::string_view path) {
  auto slash = path.find('/');
  return slash == std::string_view::npos ? path : path.substr(0, slash);
}

}  // namespace

Result<HistoryMode> parse_history_mode(std::string_view text) {
  if (text == "all") return HistoryMode::kAll;
  if (text == "project") return HistoryMode::kProject;
  if (text == "none") return HistoryMode::kNone;
  return Error{"read --history", "", 0, "'" + std::string(text) + "' is not a history mode",
               "use --history all, --history project or --history none"};
}

std::string_view history_mode_name(HistoryMode mode) {
  switch (mode) {
    case HistoryMode::kAll: return "all";
    case HistoryMode::kProject: return "project";
    case HistoryMode::kNone: return "none";
  }
  return "project";
}

std::string_view skip_reason_name(SkipReason reason) {
  switch (reason) {
    case SkipReason::kNone: return "staged";
    case SkipReason::kExcluded: return "excluded";
    case SkipReason::kOtherProject: return "another project's history";
    case SkipReason::kHistoryOff: return "history off";
    case SkipReason::kSourcedElsewhere: return "sourced elsewhere";
  }
  return "excluded";
}

SkipReason stage_skip_reason(const StageSelection& selection, std::string_view rel_path, bool is_dir) {
  if (rel_path == kCredentialsFileName) return SkipReason::kSourcedElsewhere;
  if (rel_path == kClaudeJsonName && !selection.claude_json_inside) return SkipReason::kSourcedElsewhere;
  if (selection.excludes.excluded(rel_path, is_dir)) return SkipReason::kExcluded;
  std::string_view top = first_component(rel_path);
  if (selection.history == HistoryMode::kNone &&
      (top == "projects" || top == "file-history" || top == "todos" || rel_path == "history.jsonl"))
    return SkipReason::kHistoryOff;
  if (selection.history == HistoryMode::kProject && top == "projects" && rel_path != "projects") {
    std::string_view rest = rel_path.substr(std::string_view("projects/").size());
    std::string_view folder = first_component(rest);
    for (const auto& keep : selection.project_dirs)
      if (folder == keep) return SkipReason::kNone;
    // Loose files directly in projects/ are not history of any project: keep them.
    if (rest.find('/') == std::string_view::npos && !is_dir) return SkipReason::kNone;
    return SkipReason::kOtherProject;
  }
  return SkipReason::kNone;
}

std::string container_project_path(std::string_view project) {
  while (project.size() > 1 && project.back() == '/') project.remove_suffix(1);
  std::string_view name = base_name(project);
  if (name.empty()) name = "root";
  return "/workspace/" + std::string(name);
}

Result<PathMapping> parse_map_option(std::string_view text) {
  auto eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0 || eq + 1 == text.size())
    return Error{"read --map", "", 0, "'" + std::string(text) + "' is not HOST=CONTAINER",
                 "write it as --map /host/folder=/container/folder"};
  PathMapping m{std::string(text.substr(0, eq)), std::string(text.substr(eq + 1))};
  if (m.host[0] != '/' || m.container[0] != '/')
    return Error{"read --map", "", 0, "'" + std::string(text) + "' has a relative side",
                 "both sides of --map must be absolute paths"};
  return m;
}

Result<PathMap> stage_mapping(const std::string& home, const std::optional<std::string>& project,
                              const std::string& config_dir, const std::vector<PathMapping>& extra) {
  std::vector<PathMapping> pairs = extra;
  auto has_host = [&](const std::string& host) {
    for (const auto& p : pairs)
      if (p.host == host) return true;
    return false;
  };
  if (project && !project->empty() && *project != home && !has_host(*project))
    pairs.push_back({*project, container_project_path(*project)});
  if (!config_dir.empty() && config_dir != home && !has_host(config_dir))
    pairs.push_back({config_dir, std::string(kContainerConfigDir), PathRole::kConfig});
  if (!home.empty() && home != "/" && !has_host(home)) pairs.push_back({home, "/root", PathRole::kHome});
  return PathMap::create(std::move(pairs));
}

}  // namespace claude
