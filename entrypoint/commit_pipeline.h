// The outbox half of publishing, as a group commit: batches that the caller has staged
// (their temps taken from the Outbox as one StagedSet each, their journal records
// assembled) are made durable, put in place and journaled here, by two threads of its own.
// The syncer makes every batch queued since its last sync durable together (one sync for
// the group); the linker puts each synced group in place in submission order and journals
// it in one write, while the syncer already syncs the next. So the caller never waits for
// a sync while it stages, a sync never waits for the caller or for links, and links never
// wait for a later sync.
//
// Threading contract: submit(), committed(), wait_committed(), release() and commit_now()
// are called from one thread, the caller's (Publisher's); on_done is called on the linker
// after each group, with no lock held. Batches are committed in submission order, so the
// committed ones are always the oldest in flight: the caller takes them from the front of
// its own list. A batch handed over belongs to the pipeline until it is committed: the
// caller reads its results (commit_status, visible, journaled, journal_status) only after
// committed() counts it. The Outbox must allow make_durable() of one set while the caller
// stages the next and the linker puts an earlier one in place (Outbox's contract); the
// journal has one writer at a time, so the caller writes it only with nothing in flight.
// The destructor commits every batch handed over (queued work is never dropped) before
// it returns.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/journal.h"
#include "core/result.h"
#include "entrypoint/outbox_tree.h"

namespace claude {

// What one batch hands to the pipeline, and what the pipeline did with it.
struct CommitBatch {
  virtual ~CommitBatch() = default;
  // In: the batch's staged entries (Outbox::take_staged), the outbox paths they put in
  // place, and its journal records in order, each with the outbox path that must have
  // become visible for it to be written (a staged put's; empty for the others).
  std::unique_ptr<Outbox::StagedSet> set;
  std::vector<std::string> staged_paths;
  std::vector<std::pair<JournalRecord, std::string>> records;
  // Out, for the group this batch was committed in: whether it was put in place, which of
  // staged_paths became visible, the records written (or tried, when journal_status is an
  // error) and whether that write succeeded.
  Status commit_status = Ok{};
  std::set<std::string> visible;
  std::vector<JournalRecord> journaled;
  Status journal_status = Ok{};
};

class CommitPipeline {
 public:
  explicit CommitPipeline(Outbox& outbox) : outbox_(outbox) {}
  // Commits every batch handed over, then ends the threads.
  ~CommitPipeline();
  CommitPipeline(const CommitPipeline&) = delete;
  CommitPipeline& operator=(const CommitPipeline&) = delete;

  // Commits `b` on the caller's thread: durable, in place, journaled (no thread involved).
  void commit_now(CommitBatch& b);
  // Queues `b` (which must outlive its commit) for the threads, started by the first call.
  // on_done replaces the one given before; it is called on the linker after each group.
  void submit(CommitBatch& b, std::function<void()> on_done);
  // How many of the oldest batches in flight are committed and not released yet (no wait).
  std::size_t committed();
  // Waits until at least n are committed (n no more than are in flight); returns how many are.
  std::size_t wait_committed(std::size_t n);
  // The caller has taken the oldest n committed batches: they leave the pipeline.
  void release(std::size_t n);

 private:
  // Batches committed together: one set, one sync.
  struct Group {
    std::vector<CommitBatch*> batches;
    std::unique_ptr<Outbox::StagedSet> set;  // all their staged entries, in order
    bool staged = false;                     // whether the set holds anything
    Status durable = Ok{};
  };
  static Group make_group(std::vector<CommitBatch*> batches);
  void make_durable(Group& g);
  void put_in_place(Group& g);
  void syncer_main();
  void linker_main();

  Outbox& outbox_;
  // What the syncer and the linker share with the caller: the batches queued and not taken
  // by the syncer yet, the groups it made durable and the linker has not taken yet, and
  // how many of the oldest batches the linker has committed and the caller has not
  // released. Both keep queue order.
  std::thread syncer_, linker_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<CommitBatch*> queued_;
  std::deque<Group> durable_;
  std::size_t committed_ = 0;
  std::function<void()> on_done_;
  bool quit_ = false;         // the syncer ends once queued_ is empty
  bool syncer_gone_ = false;  // the linker ends once durable_ is empty
};

}  // namespace claude
