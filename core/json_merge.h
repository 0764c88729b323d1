// Three-way merge of JSON documents: the staged copy (base), the host's copy now (ours)
// and the container's copy (theirs). Used by `claude-host readback` for ~/.claude.json so
// that edits made on the host during a run and edits made in the container both survive.
//
// Rules, applied recursively from the root:
//   - a value changed on one side only takes that side's value (a deletion is a change);
//   - a value changed identically on both sides takes that value;
//   - objects changed on both sides are merged key by key (a side where the key is
//     missing in base is treated as an empty object, so both sides' new keys survive);
//   - arrays are values, except when both sides only appended to base's array (base is a
//     prefix of both): then the result is base + our appended elements + their appended
//     elements that we did not append too (so identical appends are not doubled);
//   - anything else changed on both sides is a true conflict: theirs wins and the
//     conflict is recorded with the base, ours and theirs values.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace claude {

// One key both sides changed differently. `pointer` is an RFC 6901 JSON pointer
// ("/projects/~1home~1al~1proj/allowedTools"); an absent value (deleted or never there)
// is std::nullopt.
struct MergeConflict {
  std::string pointer;
  std::optional<nlohmann::json> base;
  std::optional<nlohmann::json> ours;
  std::optional<nlohmann::json> theirs;
  // The value the merge kept (always theirs).
  std::optional<nlohmann::json> chosen() const { return theirs; }
};

struct JsonMergeResult {
  // std::nullopt when the merged document is absent (theirs deleted the whole file and
  // ours did not change it).
  std::optional<nlohmann::json> merged;
  std::vector<MergeConflict> conflicts;
};

// Merges ours and theirs against base. Any of the three may be absent (std::nullopt):
// a file that did not exist when staged, was deleted on the host, or in the container.
JsonMergeResult merge_json_three_way(const std::optional<nlohmann::json>& base,
                                     const std::optional<nlohmann::json>& ours,
                                     const std::optional<nlohmann::json>& theirs);

// A conflict as one JSON object for reports: {"pointer","base","ours","theirs"}, absent
// values as null plus "<side>_absent":true.
nlohmann::json conflict_to_json(const MergeConflict& conflict);

}  // namespace claude
