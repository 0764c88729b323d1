// SyncService's batch pump: pending changes published in batches. The due timer takes
// what has settled, plans it against the snapshot and hands it to the publisher's threads;
// finished batches are accounted for (metrics, held-back and skipped files, retries with
// backoff); held log records are journaled by the journal timer; a barrier publishes
// everything at once (flush_all). Holds the backoff, the failure count, the held-back
// files and the batches in flight (sync_service.h, "Batch pump").
#include <algorithm>
#include <cerrno>
#include <chrono>

#include <spdlog/spdlog.h>

#include "core/byte_names.h"
#include "entrypoint/sync_service.h"

namespace claude {

void SyncService::arm_due_timer() {
  m_.pending.set(static_cast<std::int64_t>(coalescer_.size()));
  auto due = coalescer_.next_due();
  if (!due || !outbox_in_use_.empty()) {
    uv_timer_stop(due_timer_);  // idle (or refused the outbox): no wake-ups at all
    return;
  }
  auto at = std::max(*due, retry_not_before_);
  auto now = SyncClock::now();
  auto wait = at <= now ? std::chrono::milliseconds(0)
                        : std::chrono::ceil<std::chrono::milliseconds>(at - now);
  uv_timer_start(due_timer_, &SyncService::on_due_timer, static_cast<std::uint64_t>(wait.count()), 0);
}

void SyncService::on_due_timer(uv_timer_t* t) {
  auto* self = static_cast<SyncService*>(t->data);
  if (self->stopped_) return;
  if (!self->ensure_outbox()) {
    // Still no usable outbox: try again after the backoff, keeping every pending change.
    self->back_off(SyncClock::now());
    self->arm_due_timer();
    self->set_sync_health();
    return;
  }
  (void)self->run_batch(false);
  self->arm_due_timer();
}

bool SyncService::run_batch(bool everything) {
  if (!ensure_outbox()) return false;
  // A barrier publishes synchronously, after the batch in flight.
  bool ok = everything ? settle_in_flight() : true;
  // The batches in flight hold a descriptor per staged file until their commit: at most
  // staged_cap_ of them before this batch's; past it, the oldest commits make room.
  while (!everything && publisher_ && publisher_->in_flight() &&
         publisher_->staged_in_flight() >= staged_cap_) {
    ok = account_in_flight(publisher_->collect_oldest()) && ok;
  }
  auto now = SyncClock::now();
  std::vector<ChangeCoalescer::Taken> taken =
      everything ? coalescer_.take_due(SyncClock::time_point::max(), barrier_limit_)
                 : coalescer_.take_due(now, tuning_.submit_limit);
  if (taken.empty()) return ok;
  // A path of the batch in flight is planned against the snapshot that batch updates.
  auto overlaps = [&](const std::string& p) { return !p.empty() && publisher_->in_flight_paths().count(p) != 0; };
  for (const auto& t : taken) {
    if (overlaps(t.path)) {
      ok = settle_in_flight() && ok;
      break;
    }
  }
  // Folders the batch opens stay open for it alone (see LiveTree::end_batch).
  struct EndBatch {
    LiveTree& live;
    ~EndBatch() { live.end_batch(); }
  } end_batch{*live_};
  activity_since_metrics_ = true;
  arm_metrics_timer();
  std::vector<Observation> observed;
  observed.reserve(taken.size());
  std::map<std::string, SyncClock::time_point> first_seen;
  for (const auto& t : taken) {
    first_seen[t.path] = t.first_seen;
    auto facts = live_->stat(t.path);
    if (!facts) {
      look_failed_ = true;
      record_error(facts.error());
      continue;
    }
    // A file held back (unparsable, or too large) that is gone, or no longer a file, is not owed.
    if (!*facts || (*facts)->kind != EntryKind::kFile) {
      invalid_json_.erase(t.path);
      too_large_.erase(t.path);
    }
    // A folder is planned only where the snapshot has a file or link: it leaves the outbox.
    if (*facts && (*facts)->kind == EntryKind::kDirectory && !snapshot_.count(t.path)) continue;
    observed.push_back(Observation{t.path, std::move(facts.value())});
  }
  // A link is judged through every other link in the live tree, so a change to one link
  // (or a folder turned into one) can change where a published link leads: then every
  // published link is looked at again, and one that now leads out is taken away.
  auto is_link = [](const std::optional<LiveFacts>& f) { return f && f->kind == EntryKind::kSymlink; };
  bool links_changed = false;
  for (const auto& t : taken) {
    auto it = snapshot_.find(t.path);
    if (it != snapshot_.end() && is_link(it->second.facts)) links_changed = true;
  }
  for (const Observation& o : observed) links_changed = links_changed || is_link(o.facts);
  if (links_changed) {
    std::set<std::string> observed_paths;
    for (const Observation& o : observed) observed_paths.insert(o.path);
    std::vector<std::string> published_links;  // collected first: settling changes the snapshot
    for (const auto& [path, entry] : snapshot_) {
      if (entry.in_outbox && is_link(entry.facts) && !observed_paths.count(path)) published_links.push_back(path);
    }
    for (const std::string& path : published_links) {
      if (overlaps(path)) ok = settle_in_flight() && ok;
      auto facts = live_->stat(path);
      if (!facts) continue;
      observed.push_back(Observation{path, std::move(facts.value())});
    }
  }
  LiveLinks links(*live_);
  std::vector<PlannedOp> ops = plan_batch(observed, snapshot_, &links);
  if (std::any_of(ops.begin(), ops.end(), [&](const PlannedOp& op) { return overlaps(op.from); })) {
    ok = settle_in_flight() && ok;  // a rename from a path in flight: planned again after it
    ops = plan_batch(observed, snapshot_, &links);
  }
  if (everything) return account(publisher_->publish(ops), first_seen) && ok;
  if (ops.empty()) return ok;  // nothing changed after all: no batch to hand over
  // The batch is staged here and queued for the publisher's threads, while the loop goes on
  // to the next one; on_batch_done (or the next submit) accounts for it once committed.
  for (auto& [path, seen] : first_seen) inflight_first_seen_.insert_or_assign(path, seen);
  PublishResult finished = publisher_->submit(ops, [async = batch_done_] { uv_async_send(async); });
  return account_in_flight(finished) && ok;
}

bool SyncService::account_in_flight(const PublishResult& res) {
  bool ok = res.batches == 0 || account(res, inflight_first_seen_);
  if (!publisher_->in_flight()) {
    inflight_first_seen_.clear();
  } else {
    for (const auto* paths : {&res.done, &res.failed}) {
      for (const std::string& p : *paths) inflight_first_seen_.erase(p);
    }
  }
  // A replaced live dir is back in sync once nothing its rescan noted is in flight.
  if (root_state_ == RootState::kReplaced) set_sync_health();
  return ok;
}

bool SyncService::settle_in_flight() {
  if (!publisher_ || !publisher_->in_flight()) return true;
  return account_in_flight(publisher_->collect());
}

void SyncService::on_batch_done(uv_async_t* a) {
  auto* self = static_cast<SyncService*>(a->data);
  if (self->publisher_) (void)self->account_in_flight(self->publisher_->collect_finished());
  if (self->journal_after_commit_ && self->publisher_ && !self->publisher_->in_flight()) {
    // Collecting re-arms the timer when records are still held (a new quiet time); else
    // the deferred write is due now.
    if (uv_is_active(reinterpret_cast<uv_handle_t*>(self->journal_timer_))) {
      self->journal_after_commit_ = false;
    } else {
      on_journal_timer(self->journal_timer_);
    }
  }
  self->arm_due_timer();
}

bool SyncService::account(const PublishResult& res, const std::map<std::string, SyncClock::time_point>& first_seen) {
  m_.files.inc(res.files);
  m_.appends.inc(res.appends);
  m_.deletes.inc(res.deletes);
  m_.renames.inc(res.renames);
  m_.bytes.inc(res.bytes);
  m_.invalid_json.inc(res.invalid_json.size());
  // A path is held back for one reason at a time: the latest look says which.
  for (const auto& [path, why] : res.invalid_json) {
    too_large_.erase(path);
    auto [it, added] = invalid_json_.try_emplace(path, why);
    if (added || it->second != why) {
      it->second = why;
      spdlog::warn("not publishing {} yet: {}; the last good version stays in the outbox", path, why);
    }
  }
  auto done_at = SyncClock::now();
  for (const std::string& p : res.done) {
    invalid_json_.erase(p);
    auto it = first_seen.find(p);
    if (it != first_seen.end()) m_.lag.observe(std::chrono::duration<double>(done_at - it->second).count());
  }
  for (auto& [path, error] : res.too_large) {
    // Named once per change of the file; health stays degraded until it is published or gone.
    invalid_json_.erase(path);
    auto [it, fresh] = too_large_.insert_or_assign(path, error.message());
    if (fresh) m_.errors.inc();
    (void)reports_.event("too_large", {{"path", path}, {"error", it->second}});
    record_error(error);
  }
  for (const std::string& p : res.done) too_large_.erase(p);
  for (auto& [path, reason] : res.skipped) {
    if (!warned_skips_.insert(path).second) continue;
    m_.skipped.inc();
    spdlog::warn("not syncing {}: {}", path, reason);
    skipped_.emplace_back(path, reason);
    nlohmann::json fields = {{"reason", reason}};
    put_name(fields, "path", path);  // a name that is not UTF-8 as "path_b64"
    (void)reports_.event("skipped", std::move(fields));
  }
  if (!res.failed.empty()) {
    m_.errors.inc(res.failed.size());
    record_error(*res.error);
    ++consecutive_failures_;
    back_off(done_at);
    for (const std::string& p : res.failed) {
      auto it = first_seen.find(p);
      coalescer_.retry_at(p, done_at + backoff_, it != first_seen.end() ? it->second : done_at);
    }
    set_sync_health();
    return false;
  }
  arm_journal_timer(res.appends > 0);
  if (consecutive_failures_ > 0) {
    spdlog::info("outbox writable again: publishing resumed");
    (void)reports_.event("publish_resumed", {{"after_failures", consecutive_failures_}});
  }
  consecutive_failures_ = 0;
  backoff_ = std::chrono::milliseconds(0);
  retry_not_before_ = {};
  set_sync_health();
  return true;
}

void SyncService::back_off(SyncClock::time_point failed_at) {
  backoff_ = std::clamp(backoff_ * 2, tuning_.retry_min, tuning_.retry_max);
  retry_not_before_ = failed_at + backoff_;
}

void SyncService::arm_journal_timer(bool appended) {
  if (!publisher_ || !publisher_->has_unjournaled_appends()) {
    journal_held_since_.reset();
    uv_timer_stop(journal_timer_);
    return;
  }
  auto now = SyncClock::now();
  if (!journal_held_since_) journal_held_since_ = now;
  if (!appended && uv_is_active(reinterpret_cast<uv_handle_t*>(journal_timer_))) return;
  auto due = std::min(now + tuning_.journal_quiet, *journal_held_since_ + tuning_.journal_hold);
  auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(due - now).count();
  uv_timer_start(journal_timer_, &SyncService::on_journal_timer, static_cast<std::uint64_t>(std::max<long long>(wait, 0)), 0);
}

void SyncService::on_journal_timer(uv_timer_t* t) {
  auto* self = static_cast<SyncService*>(t->data);
  // The journal has one writer at a time. Waiting here for the batches in flight would
  // hold the loop (and every log append) for their sync: the record is written when they
  // are collected instead, unless it has been held for journal_hold already.
  if (self->publisher_ && self->publisher_->in_flight() && self->journal_held_since_ &&
      SyncClock::now() < *self->journal_held_since_ + self->tuning_.journal_hold) {
    self->journal_after_commit_ = true;
    return;
  }
  self->journal_after_commit_ = false;
  (void)self->settle_in_flight();
  if (auto s = self->publisher_->flush_appends(); !s) {
    self->record_error(s.error());
    self->m_.errors.inc();
    // Still owed: tried again after the quiet time (not at once: the hold has passed).
    uv_timer_start(t, &SyncService::on_journal_timer, static_cast<std::uint64_t>(self->tuning_.journal_quiet.count()), 0);
    return;
  }
  self->arm_journal_timer(false);
}

bool SyncService::flush_all(std::optional<std::chrono::steady_clock::time_point> deadline) {
  if (seed_failed_ || !watcher_ || !started_) return true;
  // Everything the kernel has queued, then a full rescan: a change that raised no event
  // (or whose event is still in flight) is found by the diff.
  watcher_->drain();
  look_failed_ = false;
  // The path may name another folder than the one watched (replaced without an event
  // seen yet): the inode says so.
  check_root();
  reconcile("");
  bool complete = settle_in_flight();
  while (!coalescer_.empty()) {
    if (deadline && std::chrono::steady_clock::now() >= *deadline) {
      complete = false;
      break;
    }
    if (!run_batch(true)) {
      complete = false;
      break;
    }
  }
  // A folder or path that could not be looked at may hide unpublished files (the error
  // names it).
  if (look_failed_) complete = false;
  // A file held back because it does not parse is known to be unpublished: the barrier is
  // not complete, and each is an error in the report.
  for (const auto& [path, why] : invalid_json_) {
    complete = false;
    record_error(Error{"publish", options_.live_dir + "/" + path, 0, why,
                       "the last version that parsed stays in the outbox; fix the file or let Claude Code rewrite it"});
  }
  // A file held back above the size cap is not in the outbox: the barrier is not complete.
  if (!too_large_.empty()) complete = false;
  // A barrier is also a durability point: held log records are journaled and everything
  // written to the outbox reaches the disk before the caller is told it is done.
  if (publisher_) {
    if (auto s = publisher_->flush_appends(); !s) {
      record_error(s.error());
      complete = false;
    }
    arm_journal_timer(false);
  }
  if (outbox_) {
    if (auto s = outbox_->sync(); !s) {
      record_error(s.error());
      complete = false;
    }
  }
  arm_due_timer();
  set_sync_health();
  // A barrier never says complete while the live dir is missing: what it would hold is
  // unknown, not published.
  if (root_state_ == RootState::kMissing) {
    record_error(Error{"sync", options_.live_dir, ENOENT, "the live dir is missing (moved away or removed)",
                       "create it again; it is synced once it exists"});
    complete = false;
  }
  return complete;
}

}  // namespace claude
