#include "core/stage_plan.h"

#include <catch2/catch.hpp>

#include "core/project_dir_name.h"

using namespace claude;

namespace {
StageSelection selection_for(HistoryMode mode) {
  StageSelection s;
  s.history = mode;
  s.project_dirs = {project_dir_name("/home/al/proj")};
  return s;
}
}  // namespace

TEST_CASE("--history project keeps only the mounted project's session folder", "[stage_plan]") {
  auto s = selection_for(HistoryMode::kProject);
  CHECK(stage_skip_reason(s, "projects", true) == SkipReason::kNone);
  CHECK(stage_skip_reason(s, "projects/-home-al-proj", true) == SkipReason::kNone);
  CHECK(stage_skip_reason(s, "projects/-home-al-proj/abc.jsonl", false) == SkipReason::kNone);
  CHECK(stage_skip_reason(s, "projects/-home-al-other", true) == SkipReason::kOtherProject);
  CHECK(stage_skip_reason(s, "projects/-home-al-proj-sub", true) == SkipReason::kOtherProject);
  CHECK(stage_skip_reason(s, "settings.json", false) == SkipReason::kNone);
  CHECK(stage_skip_reason(s, "history.jsonl", false) == SkipReason::kNone);
}

TEST_CASE("--history all keeps every project and --history none keeps no history", "[stage_plan]") {
  auto all = selection_for(HistoryMode::kAll);
  CHECK(stage_skip_reason(all, "projects/-home-al-other/x.jsonl", false) == SkipReason::kNone);
  auto none = selection_for(HistoryMode::kNone);
  CHECK(stage_skip_reason(none, "projects", true) == SkipReason::kHistoryOff);
  CHECK(stage_skip_reason(none, "history.jsonl", false) == SkipReason::kHistoryOff);
  CHECK(stage_skip_reason(none, "todos", true) == SkipReason::kHistoryOff);
  CHECK(stage_skip_reason(none, "settings.json", false) == SkipReason::kNone);
  CHECK(stage_skip_reason(none, "CLAUDE.md", false) == SkipReason::kNone);
}

TEST_CASE("the built-in excludes keep caches, logs and locks out of the stage", "[stage_plan]") {
  auto s = selection_for(HistoryMode::kAll);
  CHECK(stage_skip_reason(s, "debug", true) == SkipReason::kExcluded);
  CHECK(stage_skip_reason(s, "shell-snapshots", true) == SkipReason::kExcluded);
  CHECK(stage_skip_reason(s, "statsig", true) == SkipReason::kExcluded);
  CHECK(stage_skip_reason(s, "commands/.DS_Store", false) == SkipReason::kExcluded);
  CHECK(stage_skip_reason(s, "x.log", false) == SkipReason::kExcluded);
  CHECK(stage_skip_reason(s, "agents/a.md", false) == SkipReason::kNone);
}

TEST_CASE("configured excludes add to the built-in ones", "[stage_plan]") {
  auto s = selection_for(HistoryMode::kAll);
  s.excludes.add_pattern("*.bak");
  CHECK(stage_skip_reason(s, "commands/old.bak", false) == SkipReason::kExcluded);
}

TEST_CASE("credentials and .claude.json come from their own sources", "[stage_plan]") {
  auto s = selection_for(HistoryMode::kAll);
  CHECK(stage_skip_reason(s, ".credentials.json", false) == SkipReason::kSourcedElsewhere);
  CHECK(stage_skip_reason(s, ".claude.json", false) == SkipReason::kSourcedElsewhere);
  s.claude_json_inside = true;  // CLAUDE_CONFIG_DIR: .claude.json lives in the folder
  CHECK(stage_skip_reason(s, ".claude.json", false) == SkipReason::kNone);
}

TEST_CASE("the mapping sends the project to /workspace/<name>, the config dir to the live dir and the home to /root",
          "[stage_plan]") {
  auto m = stage_mapping("/home/al", std::string("/home/al/proj"), "/home/al/.claude", {});
  REQUIRE(m.ok());
  CHECK(m->map_path("/home/al/proj/src", Direction::kToContainer) == std::optional<std::string>("/workspace/proj/src"));
  CHECK(m->map_path("/home/al/.claude", Direction::kToContainer) == std::optional<std::string>("/root/.claude-config"));
  CHECK(m->map_path("/home/al/.claude/statusline.sh", Direction::kToContainer) ==
        std::optional<std::string>("/root/.claude-config/statusline.sh"));
  CHECK(m->map_path("/root/.claude-config/CLAUDE.md", Direction::kToHost) ==
        std::optional<std::string>("/home/al/.claude/CLAUDE.md"));
  CHECK(m->map_path("/home/al/.claude.json", Direction::kToContainer) == std::optional<std::string>("/root/.claude.json"));
  CHECK(m->map_path("/home/alice", Direction::kToContainer) == std::nullopt);
  REQUIRE(m->home() != nullptr);
  CHECK(m->home()->host == "/home/al");
  // $CLAUDE_CONFIG_DIR outside the home maps the same way.
  auto custom = stage_mapping("/home/al", std::nullopt, "/srv/claude", {});
  REQUIRE(custom.ok());
  CHECK(custom->map_path("/srv/claude/hooks/x.sh", Direction::kToContainer) ==
        std::optional<std::string>("/root/.claude-config/hooks/x.sh"));
  CHECK(custom->map_path("/root/.claude-config/hooks/x.sh", Direction::kToHost) ==
        std::optional<std::string>("/srv/claude/hooks/x.sh"));
}

TEST_CASE("--map pairs join the mapping and win over the defaults", "[stage_plan]") {
  auto extra = parse_map_option("/data/sets=/data");
  REQUIRE(extra.ok());
  auto m = stage_mapping("/home/al", std::string("/home/al/proj"), "", {*extra, {"/home/al/proj", "/src"}});
  REQUIRE(m.ok());
  CHECK(m->map_path("/data/sets/a", Direction::kToContainer) == std::optional<std::string>("/data/a"));
  CHECK(m->map_path("/home/al/proj", Direction::kToContainer) == std::optional<std::string>("/src"));
  CHECK(m->mappings().size() == 3);
}

TEST_CASE("a project that is the home itself maps only the home", "[stage_plan]") {
  auto m = stage_mapping("/home/al", std::string("/home/al"), "", {});
  REQUIRE(m.ok());
  CHECK(m->mappings().size() == 1);
}

TEST_CASE("bad --map and --history values are refused with the fix", "[stage_plan]") {
  CHECK_FALSE(parse_map_option("nohost").ok());
  CHECK_FALSE(parse_map_option("rel=/x").ok());
  auto bad = parse_history_mode("some");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().fix.find("--history all") != std::string::npos);
  CHECK(container_project_path("/home/al/proj/") == "/workspace/proj");
}
