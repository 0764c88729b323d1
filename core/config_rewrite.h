// Rewrites the Claude config tree between host form and container form, byte-exactly:
// only the inside of the JSON strings that hold paths changes, every other byte stays.
//
// Which strings are paths (see DESIGN.md "Facts about Claude Code"):
//   .claude.json           keys of "projects"; in "mcpServers" (top level and inside each
//                          project): "command" and "args" (text), "cwd" (path), "env"
//                          values (text); "githubRepoPaths" values (paths)
//   settings.json,         every "command" under "hooks"; "permissions" "allow"/"deny"/"ask"
//   settings.local.json    rules (text) and "additionalDirectories" (paths); "statusLine"
//                          "command", "apiKeyHelper", "awsAuthRefresh", "awsCredentialExport",
//                          "otelHeadersHelper" (text); "env" values (text)
//   *.jsonl (per line)     "cwd", "file_path", "notebook_path", "path", "filePath",
//                          "originalCwd", "worktreePath", "persistedOutputPath" at any depth
//                          (paths); in history.jsonl also "project" (path)
//   plugins/*.json         "installPath", "installLocation" (paths)
// "path" values are mapped only when the whole string is a path under a prefix
// (PathMap::map_path); "text" values get PathMap::map_in_text. Both also map "~/..." and
// the rules' "//abs/..." form (see PathMap). Other files are unchanged.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/path_map.h"
#include "core/result.h"

namespace claude {

// The host's own spelling of values the map alone cannot give back. A "~/..." path whose
// folder is mounted outside the container's home ("Edit(~/work/infra/**)" with ~/work/infra
// at /workspace/infra) is written absolute in the container ("Edit(//workspace/infra/**)");
// mapped back it would come out absolute on the host. Seeding records, for each such
// string of the staged .claude.json and settings files, the container string and the
// host string it came from; mapping back, a container string recorded here gets the host
// string again, byte for byte. A container string that some other host string also
// becomes (the same folder written both ways) is ambiguous and maps back as the map says.
class SpellingMemo {
 public:
  // One path or text string rewritten towards the container (raw JSON insides, escapes as
  // written): respelled when an edit was PathMap::Edit::respelled.
  void note(std::string_view container_raw, std::string_view host_raw, bool respelled);
  // The host string for container_raw; nullopt when none was recorded or it is ambiguous.
  std::optional<std::string_view> host_spelling(std::string_view container_raw) const;
  bool empty() const { return respelled_.empty(); }

 private:
  std::unordered_map<std::string, std::string> respelled_;  // container -> host
  std::unordered_set<std::string> plain_;                    // reached by an exact mapping
};

struct RewriteOptions {
  // When true, PathMap::map_in_text also applies to every other string value (not to keys):
  // free text such as commands and tool output in session logs.
  bool free_text = false;
  // Recorded towards the container (from .claude.json and settings files only), consulted
  // towards the host (every file). Shared: the seeder fills it, the publisher reads it.
  std::shared_ptr<SpellingMemo> spellings;
};

// content rewritten for the file at rel_path ('/'-separated, relative to the config dir;
// the dispatch looks at the file name and, for plugins/, the folder). Bytes outside the
// changed strings are copied unchanged, so a file with nothing to rewrite comes back
// identical and host -> container -> host gives back the input when the mapped prefixes
// appear unescaped or with every '/' escaped as "\/" (a replaced prefix keeps that style).
// A .json file that does not parse is an Error naming rel_path and the byte offset; a
// .jsonl line that does not parse is passed through unchanged, as is an incomplete last
// line (no '\n').
Result<std::string> rewrite_content(std::string_view rel_path, std::string_view content,
                                    const PathMap& map, Direction dir,
                                    const RewriteOptions& options = {});

// Rewrites whole session-log lines (an appended chunk ending in '\n'; a trailing partial
// line is copied unchanged). A line that is not JSON is passed through unchanged.
// is_history selects the history.jsonl field set ("project" too).
std::string rewrite_jsonl_lines(std::string_view complete_lines, const PathMap& map,
                                Direction dir, bool is_history = false,
                                const RewriteOptions& options = {});

// True for the files a SpellingMemo learns from: .claude.json and settings files.
bool teaches_spellings(std::string_view rel_path);

// True when rewrite_content may change a file at rel_path (JSON files of the kinds above
// and *.jsonl); callers can copy every other file without reading it into memory.
bool is_rewritable(std::string_view rel_path);

// Maps the folder names under projects/ by encoding mapped paths (never by decoding: the
// encoding is lossy). It learns the real working directories from .claude.json project
// keys and session-log "cwd" values, in either form.
class ProjectDirMapper {
 public:
  explicit ProjectDirMapper(PathMap map);

  // Remembers abs_path (host or container form) as a working directory.
  void learn(std::string_view abs_path);
  // Learns every path such a file names: the "projects" keys of a .claude.json and the
  // "cwd" of every complete line of a *.jsonl; other files teach nothing.
  void learn_from_content(std::string_view rel_path, std::string_view content);

  // project_dir_name(map(p)) for a learned p with project_dir_name(p) == name that maps in
  // this direction (several: the one with the longest matching prefix, then the smallest).
  // Otherwise a best effort for names not learned: a name that starts with
  // project_dir_name(prefix) followed by '-' or its end gets the other side's encoded
  // prefix instead (wrong only when another path encodes the same way); a hashed long
  // name, or one whose result would need a hash, stays unchanged. Unmapped names stay.
  std::string map_dir_name(std::string_view name, Direction dir) const;

  // rel_path with its folder name under "projects/" mapped by map_dir_name; other paths
  // unchanged.
  std::string map_rel_path(std::string_view rel_path, Direction dir) const;

  const PathMap& path_map() const { return map_; }

 private:
  PathMap map_;
  std::unordered_map<std::string, std::vector<std::string>> learned_;  // name -> paths
};

}  // namespace claude
