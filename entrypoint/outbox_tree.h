// The outbox as the publisher sees it: a tree written only by temp + sync + rename or by
// append + fdatasync, and a journal appended after each completed operation. Puts are
// staged and committed as a batch so that a burst of files costs one filesystem sync
// instead of one per file (the ordering guarantee is the same: data is durable before it
// is renamed into place, and renamed before it is journaled).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/formats.h"
#include "core/journal.h"
#include "core/result.h"

namespace claude {

// Who the outbox's files belong to. A root container writes into a folder that the host
// user made (`claude-host stage`); files it created as root would be unreadable to that
// user (0600 credentials, the host's credential watcher) and undeletable. So when
// claude-init runs as root and the outbox folder belongs to someone else, everything it
// creates there is given that folder's owner and group; otherwise nothing is changed.
struct OutboxOwner {
  uid_t uid = 0;
  gid_t gid = 0;
  bool active = false;
  static OutboxOwner of(const std::string& outbox_dir);
  // Best effort: a failure (a user namespace without that id) leaves the file as it is.
  void adopt(int fd) const;
  void adopt_at(int dir_fd, const std::string& name) const;  // never follows a link
};

class Outbox {
 public:
  virtual ~Outbox() = default;
  // Writes `data` to a temp file beside tree/rel (parents created) with `mode`; nothing is
  // visible until commit(). The temp is an unnamed file (O_TMPFILE) where the filesystem
  // has them, so a crash leaves nothing behind; else a named temp (kTempMarker).
  virtual Status stage_put(const std::string& rel, std::string_view data, std::uint32_t mode) = 0;
  // A symlink, made visible at commit() like a put.
  // stage_put with the first `length` bytes of src_fd (from offset 0; fewer when it is
  // shorter), copied kernel-side or in fixed-size chunks, never held in memory. Returns the
  // sha256 of the staged bytes and their count in *copied.
  virtual Result<std::string> stage_copy(const std::string& rel, int src_fd, std::uint64_t length,
                                         std::uint32_t mode, std::uint64_t* copied) = 0;
  virtual Status stage_symlink(const std::string& rel, const std::string& target) = 0;
  // What stage_put and stage_symlink staged since the last take_staged(), taken out to be
  // committed, so that the next batch can be staged while this one is committed on
  // another thread (Publisher::submit). Dropping an uncommitted set removes its temps.
  struct StagedSet {
    virtual ~StagedSet() = default;
    // Takes over the entries of a set staged later, to be committed after these and with
    // them (one sync for both); `later` is left empty.
    virtual void absorb(StagedSet& later) = 0;
  };
  virtual std::unique_ptr<StagedSet> take_staged() = 0;
  // Makes every entry of `set` durable (one filesystem sync for several files), so that
  // put_in_place() may publish them. Safe to call on another thread while the next set is
  // staged and an earlier one is put in place.
  virtual Status make_durable(StagedSet& set) = 0;
  // Links (unnamed temp, new name) or renames each entry of a durable `set` into place, in
  // order. On an Error nothing more is renamed and the remaining temps are removed with
  // the set; `committed` (when given) receives the paths that did become visible. Safe to
  // call on another thread while the next set is staged or made durable, for disjoint paths.
  virtual Status put_in_place(StagedSet& set, std::vector<std::string>* committed) = 0;
  // Both, in order: durable first, then visible.
  Status commit(StagedSet& set, std::vector<std::string>* committed) {
    if (auto s = make_durable(set); !s) return s;
    return put_in_place(set, committed);
  }
  // Commits what is staged now.
  Status commit(std::vector<std::string>* committed = nullptr) {
    auto set = take_staged();
    return commit(*set, committed);
  }
  // Removes staged temps without publishing them.
  void abort() { take_staged(); }
  // Appends to tree/rel (not synced: a per-append fsync would write a block and a
  // filesystem commit for every log line). The file must currently be `expected_size`
  // bytes long (anything else is an Error with detail "size changed").
  virtual Status append(const std::string& rel, std::string_view data, std::uint64_t expected_size) = 0;
  // Removes tree/rel (a missing file is fine) and the parent folders it leaves empty.
  virtual Status remove(const std::string& rel) = 0;
  // Renames tree/from to tree/to (parents of `to` created). ENOENT when `from` is missing.
  virtual Status rename(const std::string& from, const std::string& to) = 0;
  // Appends the records to journal.jsonl; fills in their seq and time. Like append(), this
  // is not synced on its own: on ext4 (data=ordered) a journal line never reaches the disk
  // before the data written ahead of it, and sync() makes everything durable at a barrier.
  virtual Status journal(std::vector<JournalRecord>& records) = 0;
  // Makes everything written so far durable (one syncfs).
  virtual Status sync() = 0;
};

// Whether unnamed temps (O_TMPFILE) may be used where the filesystem has them (the
// default). The tests turn them off to run the named temps as well.
void set_tmpfile_allowed(bool allowed);

// The real outbox under `outbox_dir`: tree/, journal.jsonl. Call recover() (see
// outbox_recovery.h) before the first write so the journal's seq continues.
class PosixOutbox final : public Outbox {
 public:
  // Creates tree/ when missing. Error when the folder is missing or not writable, or when
  // another claude-init holds it: the outbox folder is flock()ed for this object's life, so
  // two inits given one outbox (a compose file that shares it) never interleave journals.
  // *in_use is set when that was the reason.
  static Result<std::unique_ptr<PosixOutbox>> open(const std::string& outbox_dir, bool* in_use = nullptr);
  ~PosixOutbox() override;
  PosixOutbox(const PosixOutbox&) = delete;
  PosixOutbox& operator=(const PosixOutbox&) = delete;

  Status stage_put(const std::string& rel, std::string_view data, std::uint32_t mode) override;
  Result<std::string> stage_copy(const std::string& rel, int src_fd, std::uint64_t length, std::uint32_t mode,
                                 std::uint64_t* copied) override;
  Status stage_symlink(const std::string& rel, const std::string& target) override;
  std::unique_ptr<StagedSet> take_staged() override;
  Status make_durable(StagedSet& set) override;
  Status put_in_place(StagedSet& set, std::vector<std::string>* committed) override;
  Status append(const std::string& rel, std::string_view data, std::uint64_t expected_size) override;
  Status remove(const std::string& rel) override;
  Status rename(const std::string& from, const std::string& to) override;
  Status journal(std::vector<JournalRecord>& records) override;
  Status sync() override;

  // Where the journal continues (set by recovery).
  void set_next_seq(std::uint64_t seq) { next_seq_ = seq; }
  std::uint64_t next_seq() const { return next_seq_; }
  const std::string& dir() const { return dir_; }
  const OutboxOwner& owner() const { return owner_; }
  std::string tree_path(const std::string& rel) const { return join_path(join_path(dir_, kTreeDirName), rel); }
  // Bytes this process wrote into the outbox (data and journal), for the metrics.
  std::uint64_t bytes_written() const { return bytes_written_.load(std::memory_order_relaxed); }

 private:
  struct Staged {
    std::string rel, temp;  // temp is empty for an unnamed (O_TMPFILE) file
    int fd = -1;            // -1 for symlinks
  };
  struct PosixStaged;
  // How an unnamed file gets its name at commit: linkat with AT_EMPTY_PATH (Linux 6.10+
  // lets the opener do it; before, it needs CAP_DAC_READ_SEARCH), through /proc/self/fd,
  // or not at all (no O_TMPFILE on this filesystem: named temps, renamed into place).
  enum class TmpfileLink { kNone, kEmptyPath, kProcFd };
  TmpfileLink probe_tmpfile();
  int link_tmpfile(int fd, const std::string& rel) const;
  Status commit_one(Staged& s);
  // A temp staged for rel with `mode`, its bytes written by fill (which returns their count).
  Status stage_filled(const std::string& rel, std::uint32_t mode,
                      const std::function<Result<std::uint64_t>(int fd, const std::string& what)>& fill);
  explicit PosixOutbox(std::string dir) : dir_(std::move(dir)) {}
  Status make_parents(const std::string& rel);
  void forget_dirs();  // made_dirs_ cleared: a folder may have gone
  void remove_empty_parents(const std::string& rel);
  std::string dir_;
  OutboxOwner owner_;
  int umask_ = -1;  // the process umask (-1: unknown), to skip a chmod it cannot spoil
  TmpfileLink tmpfile_ = TmpfileLink::kNone;
  // Folders this process made or found, so that a put does not mkdir every parent again;
  // cleared whenever one of them may have gone. Guarded by dirs_mu_: a commit on the
  // publisher's linker may make a folder again while the loop stages the next batch.
  std::mutex dirs_mu_;
  std::set<std::string> made_dirs_;
  int tree_fd_ = -1;
  int lock_fd_ = -1;  // the outbox folder, flock()ed exclusively
  std::uint64_t next_seq_ = 0;
  std::atomic<std::uint64_t> bytes_written_{0};
  std::vector<Staged> staged_;
};

// The wall clock now as RFC 3339 UTC with milliseconds (core/rfc3339.h), for journal and
// report records.
std::string rfc3339_now();

}  // namespace claude
