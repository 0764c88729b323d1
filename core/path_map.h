// The host <-> container path mapping: an ordered list of prefix pairs, applied only at
// path boundaries, so that /Users/al never rewrites /Users/alice.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"

namespace claude {

// What a pair stands for, beyond its two folders.
enum class PathRole {
  kPlain,
  kHome,    // the two users' home folders: what "~" means on each side
  kConfig,  // Claude Code's config folder (~/.claude or $CLAUDE_CONFIG_DIR) and the
            // container's live dir; claude-init puts its --live-dir on the container side
};

// One prefix pair: an absolute host folder and the absolute container folder it becomes.
struct PathMapping {
  std::string host;
  std::string container;
  PathRole role = PathRole::kPlain;
  bool operator==(const PathMapping&) const = default;
};

enum class Direction { kToContainer, kToHost };

// The other direction.
Direction reverse(Direction d);

class PathMap {
 public:
  // An empty map: maps nothing.
  PathMap() = default;

  // Validates and normalizes the pairs: both sides absolute; repeated '/' collapsed, a
  // trailing '/' dropped ("/" stays "/"); no "." or ".." components; no host or container
  // prefix twice; at most one kHome and one kConfig pair. The Error names the offending
  // pair. Order of the input does not matter: each direction is tried longest prefix
  // first. Pairs may nest (home -> /root with ~/.claude -> /root/.claude-config): a path
  // is mapped only when its result maps back through the same pair, so host -> container
  // -> host is exact; one that would not (~/.claude-config under the home pair above) is
  // left as it is.
  static Result<PathMap> create(std::vector<PathMapping> mappings);

  // The mapped path when abs_path equals a prefix or continues it with '/', using the
  // longest matching prefix for the direction; nullopt when no prefix matches (relative
  // paths never match) or when the result would not map back to abs_path. Also maps the
  // forms Claude Code writes in settings: "~/..." (through the kHome pair: the result is
  // written with "~" again; towards the container, one whose folder is mounted outside
  // the container's home is written absolute: "~/work/infra/x" -> "/workspace/infra/x",
  // and in a file rule "Edit(//workspace/infra/**)"; towards the host such a "~" path
  // stays) and "//abs/..." (permission rules' absolute form; the "//" is kept). Purely
  // textual: no ".." resolution.
  std::optional<std::string> map_path(std::string_view abs_path, Direction dir) const;

  // text with every boundary-delimited occurrence of a prefix replaced: an occurrence
  // starts at the beginning or after a character that cannot be part of a path (space,
  // quote, '(', '=', ':', ',', ...) and ends at the end, at '/', or before such a character.
  // Covers commands and rules such as "Bash(/home/al/proj/run.sh:*)",
  // "node /home/al/proj/x.js", "--dir=/home/al/p" and "PATH=/a/bin:/b/bin", the rule
  // forms "Read(//home/al/proj/**)" and "Edit(~/.claude/x)", and "~/.claude/hook.sh"
  // in commands, each as map_path describes.
  std::string map_in_text(std::string_view text, Direction dir) const;

  // [{"host":..., "container":...}, ...] in the stored (normalized) order.
  nlohmann::json to_json() const;
  // The inverse of to_json, validated by create(); Error when the shape is wrong.
  static Result<PathMap> from_json(const nlohmann::json& j);

  // The normalized pairs, longest host prefix first.
  const std::vector<PathMapping>& mappings() const { return by_host_; }
  bool empty() const { return by_host_.empty(); }
  // The kHome pair; nullptr when there is none.
  const PathMapping* home() const;

  // Where the match for one direction came from: the prefix that matched and what
  // replaces it; nullopt when nothing matches. Used by the project folder mapper.
  struct Match {
    std::string_view from;
    std::string_view to;
  };
  std::optional<Match> longest_match(std::string_view abs_path, Direction dir) const;

  // One replacement that map_path or map_in_text makes: text[begin, end) becomes
  // replacement. begin is at a '/', or at the '~' of a home-relative path.
  struct Edit {
    std::size_t begin;
    std::size_t end;
    std::string replacement;
    // A "~/..." host path written absolute in the container because the folder it names
    // is mounted outside the container's home: the map alone cannot give "~" back
    // (SpellingMemo in core/config_rewrite.h does).
    bool respelled = false;
  };
  // The replacements map_path (whole_path) or map_in_text (!whole_path) makes in text, in
  // order; empty when nothing maps. Lets a caller rewrite an escaped form of text in place.
  std::vector<Edit> edits(std::string_view text, Direction dir, bool whole_path) const;

 private:
  std::vector<PathMapping> by_host_;       // longest host prefix first
  std::vector<PathMapping> by_container_;  // longest container prefix first

  // The edit for a match at text[pos] ('/' or '~', at a boundary), and where scanning
  // goes on; see edits().
  struct Hit {
    std::size_t end;
    std::optional<Edit> edit;  // nullopt: nothing to change
    bool maps;                 // false: matched, but left alone (it would not map back)
  };
  std::optional<Hit> whole_path_hit(std::string_view text, Direction dir) const;
  std::optional<Hit> absolute_at(std::string_view text, std::size_t pos, Direction dir,
                                 bool whole_path) const;
  std::optional<Hit> tilde_at(std::string_view text, std::size_t pos, Direction dir,
                              bool whole_path) const;
  // Whether mapped (a result of dir) maps back through the pair whose dir-side is `to`.
  bool maps_back(std::string_view mapped, std::string_view to, Direction dir) const;
};

// True for bytes that can be part of a path inside free text (letters, digits, '/', '.',
// '_', '-', '~', '+', '@', '%' and any non-ASCII byte); occurrences are delimited by the others.
bool is_path_text_byte(unsigned char c);

}  // namespace claude
