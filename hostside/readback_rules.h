// The read-back rules for files other than .claude.json, as pure functions (unit-tested):
// session logs are merged by appending the container's new lines; other files by
// "the newer wins, the other is kept beside it".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace claude::host {

struct LogUnion {
  std::string merged;           // the host log with the container's new lines appended
  std::size_t lines_added = 0;  // 0: nothing to write
};

// Session logs are only ever appended to, on either side. The result is `host` followed
// by every complete line of `theirs` that `host` does not already contain (in theirs'
// order), so applying it twice adds nothing. A host log without a final '\n' gets one
// before the new lines; an incomplete last line of theirs is left out.
LogUnion union_log_lines(std::string_view host, std::string_view theirs);

// What to do with one file the container published (or deleted).
enum class FileAction {
  kNothing,             // the host already has it, or only the host changed it
  kTakeTheirs,          // only the container changed it (or created it)
  kTakeTheirsKeepOurs,  // both changed, the container's is newer: ours kept as NAME.conflict-<run>
  kKeepOursKeepTheirs,  // both changed, the host's is newer: theirs kept as NAME.conflict-<run>
  kDelete,              // the container deleted it and the host did not change it
  kKeepOursDeleted,     // the container deleted it but the host changed it: the host's stays
};

const char* file_action_name(FileAction action);

// Content identities are sha256 digests; std::nullopt = absent. base: as staged (absent
// when the file was not staged). *_mtime_ns break ties between two changes (newer wins;
// on equal times the container's wins).
FileAction decide_file(const std::optional<std::string>& base, const std::optional<std::string>& ours,
                       const std::optional<std::string>& theirs, std::int64_t ours_mtime_ns,
                       std::int64_t theirs_mtime_ns);

// "settings.json" -> "settings.json.conflict-<run>".
std::string conflict_name(const std::string& path, const std::string& run_id);

}  // namespace claude::host
