// The outbox journal (claude-outbox/1): one JSON line per completed outbox operation,
// appended after the operation. Replaying it gives the state the outbox tree should be in;
// the recovery planner compares that with what is really there after a crash.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/formats.h"
#include "core/result.h"
#include "core/sha256.h"

namespace claude {

enum class JournalOp { kBegin, kPut, kAppend, kDelete, kRename, kSymlink };

// "begin", "put", ... as written in the journal.
std::string_view op_name(JournalOp op);

// One record. Which fields matter depends on op (ARCHITECTURE.md "Outbox"):
//   begin: format, run_id, trace_id     put: path, size, sha256, mode
//   append: path, offset, size, sha256 (size and sha256 of the whole file after it)
//   delete: path                        rename: from, path      symlink: path, target
struct JournalRecord {
  std::uint64_t seq = 0;
  JournalOp op = JournalOp::kPut;
  std::string time;  // RFC 3339 UTC
  std::string format;
  std::string run_id;
  std::string trace_id;
  std::string path;
  std::string from;
  std::string target;
  std::uint64_t offset = 0;
  std::uint64_t size = 0;
  std::string sha256;
  std::uint32_t mode = 0;
  bool operator==(const JournalRecord&) const = default;
};

// The record as one compact JSON line ending in '\n'. Names are bytes: a path, from or
// target that is not UTF-8 is written as "path_b64" (etc., core/byte_names.h) and
// parse_journal gives back its exact bytes.
std::string to_line(const JournalRecord& record);

// Parses a whole journal. The first record must be a begin of a known format (major 1);
// seq strictly increases over the file. A last line without '\n' (torn by a kill) is
// ignored and *torn_tail set; any other malformed line is an Error naming file_name and
// the line number.
Result<std::vector<JournalRecord>> parse_journal(std::string_view text, bool* torn_tail = nullptr,
                                                 std::string_view file_name = kJournalFileName);

// Reads a journal one line at a time, with parse_journal's checks (a begin first, a known
// format, seq strictly increasing), so that a reader of a hostile outbox never holds the
// whole journal in memory. Errors name the file and the line number.
class JournalParser {
 public:
  explicit JournalParser(std::string_view file_name);
  // Parses one complete line (without its '\n').
  Result<JournalRecord> next(std::string_view line);

 private:
  std::string file_;
  std::size_t line_no_ = 0;
  std::optional<std::uint64_t> last_seq_;
};

// The seq the next record gets (0 for an empty journal).
std::uint64_t next_seq(const std::vector<JournalRecord>& records);

// What one path should be after replaying the journal.
struct ExpectedEntry {
  bool is_symlink = false;
  std::uint64_t size = 0;
  std::string sha256;
  std::uint32_t mode = 0;
  std::string target;        // symlinks
  JournalOp last_op = JournalOp::kPut;
  bool operator==(const ExpectedEntry&) const = default;
};

// The expected state per path. Replay is idempotent: records with a seq already applied
// are skipped, and every record carries absolute state (whole-file size and sha256), so
// replaying twice equals replaying once.
class TreeState {
 public:
  // Applies records in order; delete and rename also act on everything under the path.
  void replay(const std::vector<JournalRecord>& records);
  void apply(const JournalRecord& record);

  const std::map<std::string, ExpectedEntry>& entries() const { return entries_; }
  const ExpectedEntry* find(std::string_view path) const;
  // The highest seq applied; nullopt before any.
  std::optional<std::uint64_t> last_seq() const { return last_seq_; }
  bool operator==(const TreeState&) const = default;

 private:
  std::map<std::string, ExpectedEntry> entries_;
  std::optional<std::uint64_t> last_seq_;
};

// What is really in the outbox tree at one path (collected by the caller, which hashes
// the first `expected size` bytes when the file is at least that long).
struct ObservedEntry {
  std::string path;
  bool is_symlink = false;
  std::uint64_t size = 0;
  std::string prefix_sha256;  // sha256 of the first ExpectedEntry::size bytes; empty if shorter or not expected
  std::string whole_sha256;
  std::uint32_t mode = 0;
  std::string target;  // symlinks
  // An appended log longer than its journaled size (see is_appended_log): where the
  // complete lines past that size end, each of them JSON (complete_json_lines), and the
  // sha256 of the file up to there. lines_end == 0 when there are none.
  std::uint64_t lines_end = 0;
  std::string lines_sha256;
};

// True for the files the init appends to in place: session logs (*.jsonl) and any path
// whose last record is an append. Only their tail past the journaled size is worth
// reading for complete lines.
bool is_appended_log(std::string_view rel_path, const ExpectedEntry& expected);

// The length of the longest prefix of `tail` made of whole lines ('\n'-terminated), each
// of which parses as JSON (as the CLI reads it: core/json_syntax.h, lone surrogate escapes
// included): the lines an append wrote in full before a kill took the init.
// The init only ever appends whole lines, so what follows them is a torn write.
std::size_t complete_json_lines(std::string_view tail);

// Fills o.lines_end and o.lines_sha256 for an appended log longer than `expected`:
// `at_prefix` is the running sha256 after the first expected.size bytes, `tail` the bytes
// after them. Does nothing for other files.
void observe_log_tail(const ExpectedEntry& expected, Sha256 at_prefix, std::string_view tail,
                      ObservedEntry& o);

// Fills o.size, o.whole_sha256, o.prefix_sha256 and the log tail from a file's whole
// content (`expected` is the file's journaled state, nullptr when it has none).
void observe_content(std::string_view content, const ExpectedEntry* expected, ObservedEntry& o);

enum class RecoveryAction {
  kOk,               // matches the journal
  kJournalAsPut,     // a complete file renamed in after its last record: journal it
  kJournalAsSymlink, // a symlink renamed in after its last record: journal it
  kJournalAsDelete,  // journaled but gone (killed between unlink and record): journal it
  kJournalAsAppend,  // an appended log with whole lines past its journaled size (killed
                     // before the record): journal them as an append, cut any torn rest
  kTruncate,         // an appended log with only a torn line past its journaled size: cut it
  kStaleTemp,        // one of our temp files left by a kill: remove (init) or ignore (host)
  kCorrupt,          // a log whose journaled content is not there (shorter or different)
};

std::string_view action_name(RecoveryAction action);

struct RecoveryStep {
  std::string path;
  RecoveryAction action = RecoveryAction::kOk;
  // For the kJournalAs* actions: the record to append (seq and time left for the caller).
  JournalRecord record;
  // For kTruncate and kJournalAsAppend: the size to cut to (kJournalAsAppend: the file may
  // already end there). For kCorrupt: what was expected and found.
  std::uint64_t truncate_to = 0;
  std::string detail;
};

// Decides, for every path that is expected or observed, what recovery does. Session logs
// (*.jsonl, or any path whose last record is an append) are appended in place, so extra
// bytes after the journaled content are appends whose record a kill took: their whole
// JSON lines are journaled (kJournalAsAppend; nothing the container wrote out is lost), a
// torn rest is cut (kTruncate when there is nothing else), and anything else is kCorrupt;
// every other file only ever changes by rename, so a different file is complete
// (kJournalAsPut). The init publishes a file's first version by rename, never by append.
// Steps come out sorted by path.
std::vector<RecoveryStep> plan_recovery(const TreeState& expected,
                                        const std::vector<ObservedEntry>& observed);

// True when the last path component is one of our temp names (contains kTempMarker).
bool is_temp_name(std::string_view rel_path);

// The longest file name Linux filesystems take (NAME_MAX).
inline constexpr std::size_t kMaxNameBytes = 255;

// The temp name for a file named `name` (one component): ".<name>.claude-init-tmp.<unique>",
// or, when that would pass kMaxNameBytes, the first bytes of the name, '~' and 16 hex
// digits of its sha256 in place of the name — so a temp always fits beside a file whose
// own name does (a 255-byte name included). `unique` must be short (12 hex digits).
std::string temp_name(std::string_view name, std::string_view unique);

}  // namespace claude
