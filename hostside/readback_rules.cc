#include "hostside/readback_rules.h"

#include <unordered_set>

namespace claude::host {

LogUnion union_log_lines(std::string_view host, std::string_view theirs) {
  LogUnion out;
  std::unordered_set<std::string_view> have;
  for (size_t start = 0; start < host.size();) {
    size_t nl = host.find('\n', start);
    size_t end = nl == std::string_view::npos ? host.size() : nl;
    have.insert(host.substr(start, end - start));
    start = end + 1;
  }
  out.merged.assign(host);
  bool need_newline = !host.empty() && host.back() != '\n';
  for (size_t start = 0; start < theirs.size();) {
    size_t nl = theirs.find('\n', start);
    if (nl == std::string_view::npos) break;  // incomplete last line: not ours to publish yet
    std::string_view line = theirs.substr(start, nl - start);
    start = nl + 1;
    if (line.empty() || have.count(line)) continue;
    if (need_newline) {
      out.merged += '\n';
      need_newline = false;
    }
    out.merged.append(line);
    out.merged += '\n';
    have.insert(line);
    ++out.lines_added;
  }
  if (out.lines_added == 0) out.merged.assign(host);
  return out;
}

const char* file_action_name(FileAction action) {
  switch (action) {
    case FileAction::kNothing: return "unchanged";
    case FileAction::kTakeTheirs: return "taken from the container";
    case FileAction::kTakeTheirsKeepOurs: return "conflict: the container's is newer, the host's kept beside it";
    case FileAction::kKeepOursKeepTheirs: return "conflict: the host's is newer, the container's kept beside it";
    case FileAction::kDelete: return "deleted (deleted in the container)";
    case FileAction::kKeepOursDeleted: return "kept (deleted in the container, changed on the host)";
  }
  return "unchanged";
}

FileAction decide_file(const std::optional<std::string>& base, const std::optional<std::string>& ours,
                       const std::optional<std::string>& theirs, std::int64_t ours_mtime_ns,
                       std::int64_t theirs_mtime_ns) {
  if (ours == theirs) return FileAction::kNothing;
  if (theirs == base) return FileAction::kNothing;  // only the host changed it
  if (ours == base) return theirs ? FileAction::kTakeTheirs : FileAction::kDelete;
  // Both changed, differently.
  if (!theirs) return FileAction::kKeepOursDeleted;
  if (!ours) return FileAction::kTakeTheirs;  // the host deleted it, the container changed it: keep the work
  return theirs_mtime_ns >= ours_mtime_ns ? FileAction::kTakeTheirsKeepOurs : FileAction::kKeepOursKeepTheirs;
}

std::string conflict_name(const std::string& path, const std::string& run_id) {
  return path + ".conflict-" + run_id;
}

}  // namespace claude::host
