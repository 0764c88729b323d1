// Carries out planned operations: reads the live file (never through a link), turns it
// into host form, and publishes it through the Outbox — a whole file by temp + rename, new
// complete log lines by append — then journals what completed. The snapshot is updated
// only for operations whose journal record is durable, so a failure anywhere leaves the
// path to be retried and never a record the outbox does not match; log appends, whose
// records are held to be shared (recovery journals whole lines past a record), count as
// soon as they are written, so a log's next lines never wait for another file's commit.
// This is the staging half, on the caller's thread (reading, rewriting, staging, held-back
// bytes, unjournaled appends, the snapshot); the commit of staged batches runs in its
// CommitPipeline (commit_pipeline.h), on two threads of that pipeline's own.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/config_rewrite.h"
#include "core/result.h"
#include "core/sync_planner.h"
#include "entrypoint/commit_pipeline.h"
#include "entrypoint/outbox_tree.h"
#include "entrypoint/sync_live_tree.h"

namespace claude {

// The largest file whose content is held in memory to be checked or rewritten (every
// *.json and *.jsonl, see core/config_rewrite.h), and the longest log line: such a file
// above it is not published (the outbox keeps its last good version) and is reported in
// PublishResult::too_large; every other file is copied without being held, whatever its size.
constexpr std::uint64_t kMaxRewriteBytes = 64ull << 20;
// How much of a growing log one read takes: appends are published in chunks of this size.
constexpr std::uint64_t kAppendChunk = 4ull << 20;

struct PublishResult {
  std::size_t batches = 0;    // batches finished (0: this result covers none)
  std::size_t files = 0;      // whole files and links published
  std::size_t appends = 0;    // log appends
  std::size_t deletes = 0;
  std::size_t renames = 0;
  std::size_t unchanged = 0;  // looked at, content already published
  std::size_t held_back = 0;  // not published: bytes the init installed itself (hold_back)
  std::uint64_t bytes = 0;    // content bytes written to the outbox
  // Paths whose content is not published yet and is retried on their next change: a .json
  // that does not parse (as the CLI's JSON.parse reads it, core/json_syntax.h), with where
  // and why. The last good version stays in the outbox.
  std::vector<std::pair<std::string, std::string>> invalid_json;
  // Paths not published because they are above kMaxRewriteBytes, with the error that says
  // so; retried on their next change, like invalid_json.
  std::vector<std::pair<std::string, Error>> too_large;
  // Never published, with the reason (links leaving the tree, FIFOs, ...).
  std::vector<std::pair<std::string, std::string>> skipped;
  // Paths an outbox error stopped; the caller retries them with backoff.
  std::vector<std::string> failed;
  std::optional<Error> error;  // the first outbox error
  // Paths whose publication completed (for the lag metric).
  std::vector<std::string> done;

  // Adds a later batch's result to this one (the first error stays).
  void absorb(PublishResult&& later);
};

class Publisher {
 public:
  Publisher(LiveTree& live, Outbox& outbox, ProjectDirMapper& mapper, RewriteOptions rewrite,
            SyncSnapshot& snapshot);

  ~Publisher();
  Publisher(const Publisher&) = delete;
  Publisher& operator=(const Publisher&) = delete;

  // Publishes `ops` (from plan_batch) as one batch: one commit for the puts, one journal
  // write for everything.
  PublishResult publish(const std::vector<PlannedOp>& ops);

  // The same in two halves, as a group commit: submit() reads, rewrites and stages the
  // batch here and hands the rest (the filesystem sync, the links into place, the journal
  // write) to the publisher's CommitPipeline (commit_pipeline.h: its syncer and linker
  // threads, their order and what they share). on_done is called on the linker after each
  // group; the caller then collect_finished()s. The caller must
  // collect() before it plans a path in flight (in_flight_paths()), and before publish(),
  // flush_appends() or a sync of its own: the journal has one writer at a time. Returns
  // the results of the batches the linker has finished meanwhile (collect_finished()).
  PublishResult submit(const std::vector<PlannedOp>& ops, std::function<void()> on_done);
  // Whether a submitted batch is not finished yet.
  bool in_flight() const { return !inflight_.empty(); }
  // Live paths of the batches in flight (empty when none); disjoint between batches,
  // since the caller collects before it plans a path in flight.
  const std::set<std::string>& in_flight_paths() const { return inflight_paths_; }
  // Files staged by the batches in flight: each holds a descriptor until its commit.
  std::size_t staged_in_flight() const;
  // Finishes the batches the linker has committed, without waiting: their results merged,
  // the snapshot updated (an empty result when none is done).
  PublishResult collect_finished();
  // Waits until the linker has committed the oldest batch in flight, then finishes every
  // committed one; an empty result when none is in flight.
  PublishResult collect_oldest();
  // Waits for every batch in flight and finishes them; an empty result when there is none.
  PublishResult collect();

  // Log appends are journaled lazily: consecutive appends to one log share one record
  // (offset of the first, size and sha256 after the last), written by the next journal
  // write that touches that path or by flush_appends() (the caller's timer: SyncTuning's
  // journal_quiet and journal_hold, and every barrier). Whole lines appended but not
  // journaled yet are journaled by recovery after a kill (a torn rest is cut), so the
  // outbox always matches its journal; this
  // keeps the journal from growing as fast as the logs it describes.
  Status flush_appends();
  bool has_unjournaled_appends() const { return !unjournaled_.empty(); }

  // The host-form outbox path of a live path (project folder names mapped).
  std::string outbox_path(const std::string& live_path) const;

  // Never publishes the live file at `live_path` while its bytes hash to `sha256` (hex):
  // credentials the init installed from the host's inbox are not a container change, so
  // the outbox keeps the container's own last write. Other bytes there are published as
  // always. Replaces the path's earlier value; called on the caller's thread.
  void hold_back(const std::string& live_path, std::string sha256) { held_back_[live_path] = std::move(sha256); }

 private:
  struct Pending;  // an operation done but not yet journaled
  struct Batch;    // a prepared batch: staged, its journal records assembled
  std::unique_ptr<Batch> prepare(const std::vector<PlannedOp>& ops);
  // Back on the caller's thread: results, snapshot, owed records.
  PublishResult finish(Batch& b);
  // Finishes the first n batches in flight (committed) and merges their results.
  PublishResult finish_front(std::size_t n);
  void put(const PlannedOp& op, PublishResult& result, std::vector<Pending>& staged,
           std::vector<Pending>& done);
  // A file that is not rewritten: copied from the live file to the stage (hashed on the way),
  // never read into memory.
  void put_copy(const PlannedOp& op, PublishResult& result, std::vector<Pending>& staged,
                std::vector<Pending>& done);
  // Removes what the snapshot holds at a path whose kind changed in the live tree, so that
  // `path` can be published: a file or link at one of its parent folders, or the entries
  // under it (a folder that became a file or a link). Each removal is journaled as a delete.
  void clear_kind_conflicts(const std::string& path, PublishResult& result, std::vector<Pending>& done,
                            std::set<std::string>& removed);
  void remove_entry(const std::string& path, PublishResult& result, std::vector<Pending>& done,
                    std::set<std::string>& removed);
  void append(const PlannedOp& op, PublishResult& result, std::vector<Pending>& staged,
              std::vector<Pending>& done);
  void fail(const std::string& path, Error error, PublishResult& result);

  // Unjournaled append records by outbox path, in the order they were first held.
  std::vector<JournalRecord> unjournaled_;
  JournalRecord* unjournaled_for(const std::string& outbox_path);

  std::map<std::string, std::string> held_back_;  // live path -> sha256 of bytes not to publish

  LiveTree& live_;
  Outbox& outbox_;
  ProjectDirMapper& mapper_;
  RewriteOptions rewrite_;
  SyncSnapshot& snapshot_;

  // The batches in flight, in submission order (the caller's), and what they hold. The
  // pipeline commits them in that order, so its committed ones are a prefix of inflight_.
  std::vector<std::unique_ptr<Batch>> inflight_;
  std::set<std::string> inflight_paths_;
  // Declared last, so destroyed first: it commits what was handed over while the batches
  // (and everything above) are still there.
  CommitPipeline pipeline_;
};

}  // namespace claude
