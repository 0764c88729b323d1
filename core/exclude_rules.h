// Which entries of the config tree are never synced: the CLI's locks, temp files and
// caches (DESIGN.md "Never worth syncing"), editor temp files, our own temp files, and
// globs the user adds.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace claude {

class ExcludeRules {
 public:
  // No rules: nothing is excluded.
  ExcludeRules() = default;

  // The built-in list: *.lock, *.tmp, *.tmp.*, *.claude-init-tmp.*, *.corrupted.*,
  // .DS_Store, *.log, editor temp files (*~, .*.swp, .#*, 4913), and at the top level
  // sessions/, shell-snapshots/, session-env/, ide/, debug/, telemetry/, statsig/,
  // cache/, backups/, plugins/marketplaces/*/.git.
  static ExcludeRules defaults();

  // Adds a glob: '*' and '?' match within one component, '**' across components,
  // [abc] / [!a-z] a class. Without '/' it matches a name at any depth; with a leading or
  // inner '/' it matches the whole path from the root; a trailing '/' matches folders only.
  void add_pattern(std::string glob);

  // True when rel_path ('/'-separated, relative to the tree root) or one of its parent
  // folders is excluded. is_dir tells whether rel_path itself is a folder.
  bool excluded(std::string_view rel_path, bool is_dir) const;

  const std::vector<std::string>& patterns() const { return sources_; }

 private:
  struct Pattern {
    std::string glob;  // without the leading and trailing '/'
    bool anchored;     // matched against the whole path
    bool dir_only;
  };
  bool matches(const Pattern& p, std::string_view path, std::string_view name,
               bool is_dir) const;
  std::vector<Pattern> patterns_;
  std::vector<std::string> sources_;
};

// Glob match of text against pattern ('*', '?', '**', classes; see add_pattern).
bool glob_match(std::string_view pattern, std::string_view text);

}  // namespace claude
