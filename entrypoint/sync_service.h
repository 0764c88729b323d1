// The sync engine behind SyncHooks: seed the live dir from the stage, watch it, and publish
// every settled change to the outbox in host form, up to the final flush at shutdown.
//
//   seed():  stage manifest verified → live dir seeded (or kept, on a restart) → outbox
//            recovered against its journal → inotify watches on every live folder
//   start(): the start-up scan (diff against the seed baseline), then events
//   events → ChangeCoalescer (settle/cap) → plan_batch (diff against the snapshot) →
//            Publisher (temp + rename / append, then journal) → metrics, health, reports
//
// Everything runs on the init's loop thread but a batch's commit (the filesystem sync, the
// links into place, the journal write), which the publisher's syncer and linker threads
// do while the loop stages the next batches; timers are armed only while something is pending, so
// an idle engine never wakes up.
//
// The class is implemented in four files, one room each (the header groups the private
// members the same way):
//   sync_service.cc     the lifecycle: seed, start, the outbox opened, flushes, final report
//   sync_live_scan.cc   the live tree looked at: events, scans, the root, unwatched folders
//   sync_batch_pump.cc  pending changes published in batches: timers, accounting, backoff
//   sync_metrics.cc     the counters, metrics.jsonl, the sync health and the error list
#pragma once

#include <uv.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/change_coalescer.h"
#include "core/config_rewrite.h"
#include "core/exclude_rules.h"
#include "core/init_options.h"
#include "core/manifest.h"
#include "core/sync_planner.h"
#include "entrypoint/credentials_inbox.h"
#include "entrypoint/health_board.h"
#include "entrypoint/metrics_registry.h"
#include "entrypoint/outbox_recovery.h"
#include "entrypoint/outbox_tree.h"
#include "entrypoint/publisher.h"
#include "entrypoint/report_writer.h"
#include "entrypoint/sync_hooks.h"
#include "entrypoint/sync_live_tree.h"
#include "entrypoint/sync_metrics.h"
#include "entrypoint/watcher.h"

namespace claude {

// Tunables with their defaults (the flags that set them are in core/init_options.h).
struct SyncTuning {
  CoalescerConfig coalescer;
  std::size_t batch_limit = 512;                        // paths per publish batch
  // Paths per batch handed to the publisher while it commits: small, so that the first
  // files of a burst reach its next sync without waiting for the rest to be staged (it
  // syncs all batches queued since its last sync together).
  std::size_t submit_limit = 64;
  // Files staged by the batches in flight, at most (each holds a descriptor until its
  // commit; fewer when RLIMIT_NOFILE is lower): a burst is staged while slow syncs run.
  std::size_t staged_limit = 2048;
  int unhealthy_after_failures = 3;                     // consecutive failed batches
  std::chrono::milliseconds lag_threshold{30000};       // oldest unpublished change
  std::chrono::milliseconds retry_min{100}, retry_max{5000};
  std::chrono::milliseconds unwatched_scan_interval{2000};
  std::chrono::milliseconds metrics_interval{60000};       // metrics.jsonl while active
  // Log appends share one journal record: it is written once its logs have had no append
  // for journal_quiet, and journal_hold after the first of them at the latest.
  std::chrono::milliseconds journal_quiet{250};
  std::chrono::milliseconds journal_hold{10000};
};

// The outbox as SyncService opens it: recovered against its journal, with the owner its
// report files are given.
struct OpenedOutbox {
  std::unique_ptr<Outbox> outbox;
  OutboxOwner owner;
  OutboxRecovery recovery;
};

// What SyncService opens, at the moments it opens it: the live tree at the seed (reopened
// through LiveTree::reopen when the root is replaced), the watcher at the seed, the outbox
// at its first use (tried again after each failure until it opens). make_sync_service
// passes posix_sync_backends(); the unit tests pass fakes.
struct SyncBackends {
  std::function<Result<std::unique_ptr<LiveTree>>(const std::string& live_dir)> open_live;
  std::function<Result<std::unique_ptr<Watcher>>(uv_loop_t* loop, const std::string& live_dir)> watch;
  // Opens and recovers the outbox; sets *in_use when another claude-init holds it (an
  // Error then too).
  std::function<Result<OpenedOutbox>(const std::string& outbox_dir, const std::string& run_id,
                                     const std::string& trace_id, bool* in_use)>
      open_outbox;
};

// PosixLiveTree, InotifyWatcher, and PosixOutbox recovered by recover_outbox.
SyncBackends posix_sync_backends();

class SyncService final : public SyncHooks {
 public:
  SyncService(uv_loop_t* loop, const InitOptions& options, HealthBoard& health, MetricsRegistry& metrics,
              SyncBackends backends, SyncTuning tuning = {});
  ~SyncService() override;
  SyncService(const SyncService&) = delete;
  SyncService& operator=(const SyncService&) = delete;

  bool syncing() const override { return true; }
  Status seed() override;
  Status start() override;
  void flush(std::chrono::steady_clock::time_point deadline, std::function<void(bool complete)> done) override;
  void flush_barrier(std::function<void(bool complete)> done) override;
  void write_final_report(const RunOutcome& outcome) override;

 private:
  // ---- Lifecycle: sync_service.cc ----
  bool ensure_outbox();
  // Credentials the inbox installed (their sha256): never published as a container change.
  void hold_back_credentials(const std::string& sha256);

  // ---- Live scan: sync_live_scan.cc ----
  void on_events(std::vector<WatchEvent>& events);
  // Adds the watch, then lists the folder (in that order, so nothing created in between is
  // missed) and notes every file under it; folders recurse. With `confirmed`, a file whose
  // listed facts are the published ones (file_unchanged) goes there instead of being noted.
  void scan_subtree(const std::string& rel_dir, Urgency urgency,
                    std::unordered_set<std::string>* confirmed = nullptr);
  // Notes every snapshot path under rel_dir (it may be gone) but those in `confirmed`.
  void note_snapshot_under(const std::string& rel_dir, const std::unordered_set<std::string>* confirmed = nullptr);
  // A full look at rel_dir (the start-up scan, a rescan, a barrier): scans it and notes
  // what may differ from the snapshot. A file the listing confirms is left alone, which is
  // what its plan would be, without a second stat of it in the batch.
  void reconcile(const std::string& rel_dir);
  void note(const std::string& path, Urgency urgency);
  bool excluded(const std::string& path, bool is_dir) const;
  // Whether the live dir's path still names the folder being watched; if it names another
  // (moved away and made again, removed and recreated) the root is opened again, watched
  // and rescanned against the snapshot; if none, the tree is empty until it comes back.
  // Called on the watcher's kRootChanged, at every barrier and while the dir is missing.
  void check_root();
  // Whether a change noted up to the root's replacement is still unpublished.
  bool root_rescan_pending() const;
  static void on_root_timer(uv_timer_t* t);
  static void on_unwatched_timer(uv_timer_t* t);

  // ---- Batch pump: sync_batch_pump.cc ----
  // Publishes up to one batch of due paths (all pending when `everything`, synchronously);
  // returns false when an outbox error stopped it. Otherwise the batch is staged and its
  // commit handed to the publisher's threads; it is accounted for when it is collected
  // (on_batch_done, the next batch, or a barrier).
  bool run_batch(bool everything);
  // Waits for the batches in flight, if any, and accounts for them; false when one failed.
  bool settle_in_flight();
  // Accounts for finished batches (a result of Publisher::submit or collect*), with the
  // times their paths were first seen; false when one failed.
  bool account_in_flight(const PublishResult& res);
  // A batch's result: metrics, skips, retries with backoff for what failed, health.
  bool account(const PublishResult& res, const std::map<std::string, SyncClock::time_point>& first_seen);
  static void on_batch_done(uv_async_t* a);
  // Drains and publishes everything (a barrier); false when something could not be published
  // or the deadline passed.
  bool flush_all(std::optional<std::chrono::steady_clock::time_point> deadline);
  void arm_due_timer();
  // Doubles the retry backoff (retry_min..retry_max) after a failure at failed_at; no batch
  // starts before it has passed.
  void back_off(SyncClock::time_point failed_at);
  static void on_due_timer(uv_timer_t* t);
  static void on_journal_timer(uv_timer_t* t);
  // After a batch: (re)arms the journal timer for the records held back (see SyncTuning).
  void arm_journal_timer(bool appended);

  // ---- Metrics and health: sync_metrics.cc ----
  void arm_metrics_timer();
  void set_sync_health();
  void record_error(const Error& e);
  nlohmann::json counters_json() const;
  static void on_metrics_timer(uv_timer_t* t);

  // ---- State. Declared in this order on purpose (the opened live tree, outbox, publisher,
  // watcher and reports are destroyed in reverse); each line says which room writes it.
  uv_loop_t* loop_;
  InitOptions options_;
  HealthBoard& health_;
  MetricsRegistry& metrics_;
  SyncTuning tuning_;
  SyncBackends backends_;      // lifecycle
  SyncMetrics m_;              // metrics

  // Lifecycle: what the seed learned and opened.
  std::string run_id_, trace_id_;
  std::chrono::system_clock::time_point started_at_;
  std::optional<Manifest> manifest_;
  std::unique_ptr<ProjectDirMapper> mapper_;
  RewriteOptions rewrite_;
  ExcludeRules excludes_;
  std::unique_ptr<LiveTree> live_;
  std::unique_ptr<Outbox> outbox_;
  bool outbox_wanted_ = false;
  std::string outbox_in_use_;  // another init holds the outbox: why, and this one never syncs
  std::unique_ptr<Publisher> publisher_;
  std::unique_ptr<Watcher> watcher_;
  // The host's inbox (nullptr: none mounted); installed credentials are held back from
  // the outbox by their sha256 (empty: none installed).
  std::unique_ptr<CredentialsInbox> inbox_;
  std::string held_credentials_sha_;
  ReportWriter reports_;
  // Shared by every room: what is pending, and what the outbox holds.
  ChangeCoalescer coalescer_;
  SyncSnapshot snapshot_;
  SyncSnapshot journal_baseline_;  // outbox journal state, merged once the outbox is up

  // Live scan.
  std::set<std::string> unwatched_;        // folders past the watch limit
  // Batch pump: what was skipped or held back.
  std::set<std::string> warned_skips_;     // report each skipped entry once
  // Files not published because they are above kMaxRewriteBytes, with the error.
  std::map<std::string, std::string> too_large_;
  std::vector<std::pair<std::string, std::string>> skipped_;
  // Metrics and health.
  std::vector<std::string> errors_;        // most recent errors (bounded)
  // Batch pump: .json files held back because they do not parse, with where and why:
  // health is degraded while any is, and a barrier is not complete (each is reported as
  // an error).
  std::map<std::string, std::string> invalid_json_;
  // Live scan and batch pump: set when a look at the live tree failed (a folder that could
  // not be listed or watched, a path that could not be stat'ed): what is under it may be
  // unpublished, so the barrier that saw it is not complete.
  bool look_failed_ = false;
  // Batch pump: failures and the backoff.
  int consecutive_failures_ = 0;
  std::chrono::milliseconds backoff_{0};
  // After a failed batch (or no usable outbox) no batch starts before this, however many
  // changes arrive meanwhile: a log appended every 10 ms must not retry at that rate.
  SyncClock::time_point retry_not_before_{};
  bool activity_since_metrics_ = false;  // metrics
  // Lifecycle.
  bool started_ = false;
  bool seed_failed_ = false;
  bool stopped_ = false;  // after the final flush nothing more is published

  // Timers and the batch-done signal (made and closed by the lifecycle).
  uv_timer_t* due_timer_ = nullptr;        // batch pump
  uv_timer_t* metrics_timer_ = nullptr;    // metrics
  uv_timer_t* unwatched_timer_ = nullptr;  // live scan
  uv_timer_t* journal_timer_ = nullptr;    // batch pump
  uv_async_t* batch_done_ = nullptr;  // batch pump: the publisher's linker finished a group
  // Batch pump: when each path of the batches in flight was first seen (for the lag metric).
  std::map<std::string, SyncClock::time_point> inflight_first_seen_;
  // When the oldest append not journaled yet was published (unset while none is held).
  std::optional<SyncClock::time_point> journal_held_since_;
  // The journal timer fired while batches were in flight: the held records are written
  // once they are collected (on_batch_done), not by waiting for them.
  bool journal_after_commit_ = false;
  // Staged temps (a descriptor each) within the table reserved at the seed: staged_limit
  // for the batches in flight, batch_limit for a barrier's batch, or fewer.
  std::size_t staged_cap_;
  std::size_t barrier_limit_;
  // Live scan: the live dir as a whole: as watched, replaced and being rescanned (degraded
  // until what the rescan found is published), or missing (unhealthy, polled every second).
  enum class RootState { kOk, kReplaced, kMissing };
  RootState root_state_ = RootState::kOk;
  SyncClock::time_point root_replaced_at_{};
  bool missing_reconciled_ = false;  // the missing dir's files were noted as gone
  uv_timer_t* root_timer_ = nullptr;
  bool metrics_armed_ = false;    // metrics
  bool unwatched_armed_ = false;  // live scan
};

}  // namespace claude
