// Read-back's decisions, as one pure function: given what was staged, what the container
// left (verified against its journal), what the host has now and what earlier read-backs
// of the same run already applied, the list of steps that merges the run into the home.
// No I/O: the host step (hostside/readback.cc) gathers the facts, backs up, and applies.
//
// The rules:
//   - session logs (*.jsonl) are append-only byte streams: exactly the bytes the container
//     appended after the staged prefix are appended to the host's copy, whatever the host
//     appended meanwhile; a container log that does not begin with the staged bytes
//     (rotated, truncated) is kept beside the host's, never merged into it;
//   - .claude.json is merged three ways, credentials go to the credential store;
//   - other files: a change on one side takes that side; changes on both: the newer wins
//     and the other is kept beside it as NAME.conflict-<run>;
//   - deletions of staged files are held for the user's confirmation when any is a session
//     log or when there are more than a threshold of them;
//   - what an earlier read-back of the run applied is never applied again, so reading a
//     run back twice, in any order with other runs, changes nothing.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace claude {

// A file as staged (the manifest's entry; the base of every three-way decision).
struct StagedFile {
  std::uint64_t size = 0;
  std::string sha256;
};

// What the container left at one path, verified against its journal.
struct TheirEntry {
  bool is_symlink = false;
  std::string target;      // symlinks
  std::uint64_t size = 0;  // the bytes that count
  std::string sha256;      // of those bytes
  std::uint32_t mode = 0600;
  std::int64_t mtime_ns = 0;
  // Logs that were staged: whether the container's copy begins with the staged bytes.
  bool starts_with_staged = false;
};

// The host's copy of one path now.
struct HostEntry {
  enum Kind { kAbsent, kFile, kOther };
  Kind kind = kAbsent;
  std::string other;  // kOther: what is there ("a folder", "a symlink", ...), for the report
  std::uint64_t size = 0;
  std::string sha256;
  std::int64_t mtime_ns = 0;
  std::uint32_t mode = 0600;  // permission bits, kept when the file is replaced
  // Logs that were not staged: whether the host's bytes are the first bytes of theirs.
  bool prefix_of_theirs = false;
  // sha256 of NAME.conflict-<run> when that file exists (an earlier read-back kept it).
  std::optional<std::string> conflict_copy_sha256;
};

// What an earlier read-back of this run applied at one path.
struct AppliedEntry {
  bool deleted = false;
  std::uint64_t size = 0;  // theirs' size then (for a log: up to where it was appended)
  std::string sha256;      // theirs' sha256 then
  bool operator==(const AppliedEntry&) const = default;
};

struct ReadbackInput {
  std::map<std::string, StagedFile> staged;  // paths relative to the config dir, host form
  std::map<std::string, TheirEntry> theirs;  // verified entries only
  std::set<std::string> deleted;          // paths (or folders) the journal deleted or renamed away
  std::map<std::string, HostEntry> host;  // for every path of staged and theirs; missing = absent
  std::map<std::string, AppliedEntry> applied;
  std::function<bool(const std::string&)> excluded;  // paths never merged (may be empty)
  bool accept_deletes = false;
  std::size_t delete_threshold = 10;  // more deletions than this are held
};

enum class StepKind {
  kMergeClaudeJson,       // three-way merge of .claude.json
  kCredentials,           // hand .credentials.json to the credential store
  kAppendLog,             // append theirs[from, to) to the host's log
  kCreate,                // a new file on the host: theirs
  kReplace,               // theirs over the host's copy
  kReplaceKeepHost,       // theirs over the host's copy, the host's kept as NAME.conflict-<run>
  kKeepTheirsAsConflict,  // the host's stays, theirs written as NAME.conflict-<run>
  kKeepTheirsBeside,      // a log the container rewrote: theirs written as NAME.container-<run>
  kSymlink,               // create theirs' symlink (the host step judges where it resolves)
  kDelete,                // the container deleted a staged file the host did not change
  kHoldDelete,            // such a deletion, held for --accept-deletes
  kSkip,                  // nothing written; `detail` says why
};

const char* step_kind_name(StepKind kind);

struct ReadbackStep {
  StepKind kind = StepKind::kSkip;
  std::string path;
  std::uint64_t from = 0, to = 0;  // kAppendLog: the byte range of theirs to append
  std::string detail;              // kSkip, kHoldDelete, kKeepTheirsBeside: why
  // What the applied record holds once this step is done.
  AppliedEntry applied;
};

struct ReadbackPlan {
  std::vector<ReadbackStep> steps;  // sorted by kind's order of application, then path
  // True when some step writes to the home (kSkip and kHoldDelete do not).
  bool writes() const;
};

// Decides every step. Steps that change nothing (already there, already applied) are left out.
ReadbackPlan plan_readback(const ReadbackInput& in);

// True for session logs (*.jsonl), the files merged as append-only byte streams.
bool is_session_log(const std::string& path);

// "settings.json" -> "settings.json.conflict-<run>".
std::string conflict_name(const std::string& path, const std::string& run_id);
// "projects/x/s.jsonl" -> "projects/x/s.jsonl.container-<run>".
std::string container_copy_name(const std::string& path, const std::string& run_id);

}  // namespace claude
