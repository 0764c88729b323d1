#include "core/exclude_rules.h"

#include <catch2/catch.hpp>

using claude::ExcludeRules;
using claude::glob_match;

TEST_CASE("the default excludes skip what is never worth syncing") {
  ExcludeRules r = ExcludeRules::defaults();
  struct Case {
    const char* path;
    bool is_dir;
    bool excluded;
  };
  const Case cases[] = {
      {".claude.json.lock", true, true},
      {"settings.json.lock", true, true},
      {".claude.json.tmp.1234.abcdef", false, true},
      {"projects/-root/.x.jsonl.claude-init-tmp.0a1b", false, true},
      {"sessions", true, true},
      {"sessions/1234.json", false, true},
      {"shell-snapshots/snapshot-bash-1.sh", false, true},
      {"session-env/abc", true, true},
      {"ide/1.lock", false, true},
      {"debug/latest", false, true},
      {"telemetry/x.json", false, true},
      {"statsig/statsig.cached.evaluations.1", false, true},
      {"cache/changelog.md", false, true},
      {"backups/.claude.json.backup.1", false, true},
      {".claude.json.corrupted.1700000000", false, true},
      {"plugins/marketplaces/official/.git", true, true},
      {"plugins/marketplaces/official/.git/HEAD", false, true},
      {"projects/x/.DS_Store", false, true},
      {"debug.log", false, true},
      {"notes.md~", false, true},
      {"commands/.deploy.md.swp", false, true},
      {"agents/.#reviewer.md", false, true},
      {"agents/4913", false, true},
      {"x.tmp", false, true},
      // Kept:
      {".claude.json", false, false},
      {".credentials.json", false, false},
      {"settings.json", false, false},
      {"CLAUDE.md", false, false},
      {"projects/-root/abc.jsonl", false, false},
      {"projects/-home-al-cache/abc.jsonl", false, false},
      {"projects/-root/debug", true, false},          // only the top-level debug/
      {"plugins/cache/x/plugin.json", false, false},  // only the top-level cache/
      {"plugins/marketplaces/official/.gitignore", false, false},
      {"history.jsonl", false, false},
      {"todos/abc.json", false, false},
      {"sessions.md", false, false},
      {"logbook.md", false, false},
  };
  for (const auto& c : cases) {
    INFO(c.path);
    CHECK(r.excluded(c.path, c.is_dir) == c.excluded);
  }
}

TEST_CASE("added patterns follow the documented glob rules") {
  ExcludeRules r;
  r.add_pattern("*.bak");         // any depth
  r.add_pattern("/todos/");       // top-level folder only
  r.add_pattern("projects/*/tmp");  // anchored, one component for '*'
  r.add_pattern("**/secret-*");   // any depth
  r.add_pattern("[0-9]*.dump");
  CHECK(r.excluded("a/b/c.bak", false));
  CHECK(r.excluded("todos/x.json", false));
  CHECK(r.excluded("todos", true));
  CHECK_FALSE(r.excluded("todos", false));  // a file named todos is not the folder
  CHECK_FALSE(r.excluded("x/todos/y", false));
  CHECK(r.excluded("projects/p/tmp", false));
  CHECK_FALSE(r.excluded("projects/p/q/tmp", false));
  CHECK(r.excluded("secret-a", false));
  CHECK(r.excluded("x/y/secret-a", false));
  CHECK(r.excluded("9.dump", false));
  CHECK_FALSE(r.excluded("a.dump", false));
  CHECK(r.patterns().size() == 5);
  CHECK_FALSE(ExcludeRules().excluded("anything", false));
}

TEST_CASE("glob_match handles stars, classes and folder boundaries") {
  CHECK(glob_match("*.lock", "a.lock"));
  CHECK_FALSE(glob_match("*.lock", "a/b.lock"));
  CHECK(glob_match("**.lock", "a/b.lock"));
  CHECK(glob_match("a/**/b", "a/b"));
  CHECK(glob_match("a/**/b", "a/x/y/b"));
  CHECK(glob_match("?.txt", "a.txt"));
  CHECK_FALSE(glob_match("?.txt", "/.txt"));
  CHECK(glob_match("[!a]x", "bx"));
  CHECK_FALSE(glob_match("[!a]x", "ax"));
  CHECK(glob_match("[a", "[a"));  // an unclosed class is literal
  CHECK(glob_match("*.tmp.*", ".claude.json.tmp.12.ab"));
  CHECK_FALSE(glob_match("*.tmp.*", "x.tmp"));
  CHECK(glob_match("*", ""));
  CHECK(glob_match("a*b*c", "aXXbYYc"));
  CHECK_FALSE(glob_match("a*b*c", "aXXbYY"));
}
