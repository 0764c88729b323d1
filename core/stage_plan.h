// What `claude-host stage` puts in the stage, decided without touching the disk: which
// entries of the config folder go in (excludes, history mode), and the path mapping the
// manifest records (project -> /workspace/<name>, home -> /root, plus --map pairs).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/exclude_rules.h"
#include "core/path_map.h"
#include "core/result.h"

namespace claude {

// How much session history goes in: every project's, only the mounted project's
// (projects/<its folder>/, the default), or none (no projects/, history.jsonl,
// file-history/, todos/).
enum class HistoryMode { kAll, kProject, kNone };

// "all" | "project" | "none"; an Error naming the bad value otherwise.
Result<HistoryMode> parse_history_mode(std::string_view text);
std::string_view history_mode_name(HistoryMode mode);

// Why an entry of the config folder stays out of the stage (kNone: it goes in).
enum class SkipReason {
  kNone,
  kExcluded,          // an exclude rule (built-in or configured)
  kOtherProject,      // another project's history, --history project
  kHistoryOff,        // history, --history none
  kSourcedElsewhere,  // .credentials.json (from the credential store) and, without
                      // CLAUDE_CONFIG_DIR, a stray .claude.json (~/.claude.json is the source)
};

std::string_view skip_reason_name(SkipReason reason);

struct StageSelection {
  ExcludeRules excludes = ExcludeRules::defaults();
  HistoryMode history = HistoryMode::kProject;
  // Folder names under projects/ to keep with kProject (project_dir_name of the project).
  std::vector<std::string> project_dirs;
  // CLAUDE_CONFIG_DIR is set: .claude.json lives inside the config folder.
  bool claude_json_inside = false;
};

// The decision for rel_path ('/'-separated, relative to the config folder).
SkipReason stage_skip_reason(const StageSelection& selection, std::string_view rel_path, bool is_dir);

// "/workspace/<last component of project>" ("/workspace/root" for "/").
std::string container_project_path(std::string_view project);

// One --map option "HOST=CONTAINER"; both absolute. The Error says what is wrong.
Result<PathMapping> parse_map_option(std::string_view text);

// The container's Claude config dir: claude-init's default --live-dir and the image's
// CLAUDE_CONFIG_DIR (claude-init puts its own --live-dir in the kConfig pair).
inline constexpr std::string_view kContainerConfigDir = "/root/.claude-config";

// The stage's mapping: each --map pair, the mounted project folder (when given and not
// the home itself) to /workspace/<name>, the host's Claude config dir (~/.claude, or
// $CLAUDE_CONFIG_DIR; "" for none) to kContainerConfigDir (PathRole::kConfig), the home
// to /root (PathRole::kHome). A pair whose host side repeats one already present (an
// explicit --map wins) is dropped. Validated by PathMap::create.
Result<PathMap> stage_mapping(const std::string& home, const std::optional<std::string>& project,
                              const std::string& config_dir, const std::vector<PathMapping>& extra);

}  // namespace claude
