// A run's outbox, read as hostile input (the container that wrote it may have run
// anything as root): every entry is opened beneath the run's folder without following any
// link, the outbox's own folders included; every size, count and depth is bounded; and a
// file counts only when its bytes are the ones its journal records.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/readback_plan.h"
#include "core/result.h"
#include "platform/beneath.h"

namespace claude::host {

struct OutboxLimits {
  std::uint64_t journal_bytes = 256ull << 20;  // journal.jsonl
  std::size_t journal_line = 1 << 20;          // one journal record
  std::size_t paths = 200000;                  // journaled paths, and entries in tree/
  std::size_t depth = 128;                     // folders below tree/
  std::uint64_t file_bytes = 4ull << 30;       // one file, hashed as it is read
  std::uint64_t in_memory = 64ull << 20;       // bytes of one file held in memory to merge
};

struct VerifiedOutbox {
  std::string trace_id;
  std::map<std::string, TheirEntry> entries;  // what verified; symlinks' sha256 names their target
  std::set<std::string> deleted;              // paths the journal deleted or renamed away
  std::vector<std::string> unverifiable;      // "path: why" — present, not merged
  // Complete files whose bytes no journal record names, changed (ctime) after the
  // journal's last write: what a kill between a publish and its record leaves. The caller
  // decides (they are taken only from a run whose init did not stop cleanly).
  std::map<std::string, TheirEntry> unjournaled;
  std::size_t journal_records = 0;
  std::int64_t journal_mtime_ns = 0;
};

class OutboxReader {
 public:
  // Opens <run_dir>/outbox without following a link at the outbox or below it. An Error
  // with ENOENT when there is no outbox; EACCES names the folder and the fix.
  static Result<OutboxReader> open(const std::string& run_dir);

  // True when the outbox holds a journal (the container started syncing).
  Result<bool> has_journal() const;

  // Replays the journal (streamed, bounded) and checks every entry of tree/ against it.
  // An Error (the whole run untrusted) for a journal that is a link, too large, or does
  // not parse, or a tree that is a link or over the bounds; entries that merely do not
  // match their record are listed in `unverifiable`.
  Result<VerifiedOutbox> verify(const OutboxLimits& limits = {}) const;

  // The entry's bytes [from, entry.size), read again and checked: the sha256 of its first
  // entry.size bytes must still be entry.sha256. Refused above limits.in_memory.
  Result<std::string> read_verified(const std::string& rel, const TheirEntry& entry,
                                    std::uint64_t from, const OutboxLimits& limits = {}) const;

  // tree/<rel> as it is now, not checked against the journal, refused above max_bytes:
  // for the credentials a running container refreshes (published by rename, so whole).
  Result<std::string> read_tree_file(const std::string& rel, std::uint64_t max_bytes) const;

  // The sha256 of the first n bytes of tree/<rel> (empty when it is shorter).
  Result<std::string> prefix_sha256(const std::string& rel, std::uint64_t n) const;

  // Up to `cap` bytes of reports/<name> from `offset`, and the file's size. A missing
  // report is empty.
  struct Chunk {
    std::string bytes;
    std::uint64_t file_size = 0;
  };
  Result<Chunk> read_report(std::string_view name, std::uint64_t offset, std::uint64_t cap) const;

  const std::string& path() const { return path_; }

 private:
  OutboxReader(std::string path, UniqueFd fd) : path_(std::move(path)), fd_(std::move(fd)) {}
  std::string path_;
  UniqueFd fd_;
};

}  // namespace claude::host
