// SyncService's live scan: the live tree looked at. Watcher events become noted paths
// (folders created, gone and moved are watched, scanned or forgotten; overflows rescan);
// scans and reconciles against the snapshot; the root checked and reopened when replaced
// or missing; folders past the watch limit polled. Holds the unwatched folders and the
// root's state (sync_service.h, "Live scan").
#include <algorithm>
#include <chrono>

#include <spdlog/spdlog.h>

#include "entrypoint/sync_service.h"

namespace claude {

namespace {

// How long a missing live dir may take to come back before its files count as deleted.
constexpr std::chrono::milliseconds kMissingGrace{250};

bool under(const std::string& path, const std::string& dir) {
  if (dir.empty()) return true;
  return path == dir || (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 && path[dir.size()] == '/');
}

std::string join(const std::string& dir, const std::string& name) { return dir.empty() ? name : dir + "/" + name; }

}  // namespace

bool SyncService::excluded(const std::string& path, bool is_dir) const { return excludes_.excluded(path, is_dir); }

void SyncService::note(const std::string& path, Urgency urgency) {
  coalescer_.note(path, urgency, SyncClock::now());
}

void SyncService::note_snapshot_under(const std::string& rel_dir, const std::unordered_set<std::string>* confirmed) {
  auto it = rel_dir.empty() ? snapshot_.begin() : snapshot_.lower_bound(rel_dir);
  for (; it != snapshot_.end() && under(it->first, rel_dir); ++it) {
    if (!confirmed || !confirmed->count(it->first)) note(it->first, Urgency::kNow);
  }
}

void SyncService::reconcile(const std::string& rel_dir) {
  std::unordered_set<std::string> confirmed;
  scan_subtree(rel_dir, Urgency::kNow, &confirmed);
  note_snapshot_under(rel_dir, &confirmed);
}

void SyncService::scan_subtree(const std::string& rel_dir, Urgency urgency,
                               std::unordered_set<std::string>* confirmed) {
  auto added = watcher_->add(rel_dir);
  if (!added) {
    look_failed_ = true;
    record_error(added.error());
    return;
  }
  if (*added == Watcher::AddResult::kGone) {
    note_snapshot_under(rel_dir);
    return;
  }
  if (*added == Watcher::AddResult::kLimit) {
    if (unwatched_.insert(rel_dir).second) {
      spdlog::warn("inotify watch limit reached at {}/{}: scanning it every {} ms instead; raise "
                   "fs.inotify.max_user_watches on the host",
                   options_.live_dir, rel_dir, tuning_.unwatched_scan_interval.count());
      (void)reports_.event("watch_limit", {{"path", rel_dir}});
    }
    if (!unwatched_armed_) {
      unwatched_armed_ = true;
      uv_timer_start(unwatched_timer_, &SyncService::on_unwatched_timer,
                     static_cast<std::uint64_t>(tuning_.unwatched_scan_interval.count()),
                     static_cast<std::uint64_t>(tuning_.unwatched_scan_interval.count()));
    }
  } else {
    unwatched_.erase(rel_dir);
  }
  // Listed after the watch exists: anything created from here on also raises an event.
  auto entries = live_->list(rel_dir);
  if (!entries) {
    look_failed_ = true;
    record_error(entries.error());
    return;
  }
  for (auto& [name, facts] : *entries) {
    std::string rel = join(rel_dir, name);
    bool is_dir = facts.kind == EntryKind::kDirectory;
    if (excluded(rel, is_dir)) continue;
    if (is_dir) {
      scan_subtree(rel, urgency, confirmed);
      continue;
    }
    auto synced = confirmed ? snapshot_.find(rel) : snapshot_.end();
    if (synced != snapshot_.end() && file_unchanged(facts, &synced->second)) {
      confirmed->insert(std::move(rel));
    } else {
      note(rel, urgency);
    }
  }
}

void SyncService::on_events(std::vector<WatchEvent>& events) {
  if (stopped_) return;
  m_.events.inc(events.size());
  activity_since_metrics_ = true;
  bool root_changed = false;
  for (WatchEvent& ev : events) {
    switch (ev.kind) {
      case WatchEvent::Kind::kRootChanged:
        root_changed = true;  // after the rest of this read, which may still name the old tree
        break;
      case WatchEvent::Kind::kFile:
        if (!excluded(ev.path, false)) note(ev.path, urgency_for(ev.path, ev.finished));
        break;
      case WatchEvent::Kind::kDirCreated:
        if (!excluded(ev.path, true)) scan_subtree(ev.path, Urgency::kNow);
        break;
      case WatchEvent::Kind::kDirGone:
        watcher_->remove_subtree(ev.path);
        unwatched_.erase(ev.path);
        note_snapshot_under(ev.path);
        break;
      case WatchEvent::Kind::kDirMoved:
        watcher_->move_subtree(ev.from, ev.path);
        note_snapshot_under(ev.from);
        if (excluded(ev.path, true)) {
          watcher_->remove_subtree(ev.path);
        } else {
          scan_subtree(ev.path, Urgency::kNow);
        }
        break;
      case WatchEvent::Kind::kRescan:
        m_.rescans.inc();
        if (ev.path.empty()) {
          spdlog::warn("inotify queue overflowed: rescanning {}", options_.live_dir);
          (void)reports_.event("rescan", {{"reason", "inotify queue overflow"}});
        }
        reconcile(ev.path);
        break;
    }
  }
  if (root_changed) check_root();
  m_.watches.set(static_cast<std::int64_t>(watcher_->watch_count()));
  arm_due_timer();
}

void SyncService::check_root() {
  if (!watcher_ || !live_ || !started_ || stopped_) return;
  for (int attempt = 0; attempt < 3; ++attempt) {
    const auto check = live_->check_root();
    if (check == LiveTree::RootCheck::kSame && root_state_ != RootState::kMissing) break;
    if (check == LiveTree::RootCheck::kMissing && root_state_ == RootState::kMissing) break;
    // Batches staged from the old folder are finished first; then nothing the snapshot
    // knows of a file says anything about the new folder's (its inodes are another
    // folder's): the first look at each file compares content, as after a restart.
    (void)settle_in_flight();
    watcher_->remove_subtree("");
    unwatched_.clear();
    auto opened = live_->reopen();
    if (!opened) {
      record_error(opened.error());
      break;
    }
    for (auto& [path, entry] : snapshot_) entry.facts.reset();
    m_.rescans.inc();
    if (!*opened) {
      if (root_state_ != RootState::kMissing) {
        spdlog::error("sync: the live dir {} is gone (moved away or removed); unless it is back within {} ms "
                      "its files are published as deleted; it is synced again once it exists",
                      options_.live_dir, kMissingGrace.count());
        (void)reports_.event("rescan", {{"reason", "live dir missing"}, {"path", options_.live_dir}});
        root_state_ = RootState::kMissing;
        missing_reconciled_ = false;
        // A folder swapped for another (moved away, the new one moved in) is usually back
        // at once: its files are not published as deleted and then again meanwhile.
        uv_timer_start(root_timer_, &SyncService::on_root_timer, static_cast<std::uint64_t>(kMissingGrace.count()), 1000);
      }
      break;
    }
    uv_timer_stop(root_timer_);
    spdlog::warn("sync: the live dir {} was replaced: rescanning it against what was published", options_.live_dir);
    (void)reports_.event("rescan", {{"reason", "live dir replaced"}, {"path", options_.live_dir}});
    root_state_ = RootState::kReplaced;
    reconcile("");
    root_replaced_at_ = SyncClock::now();
    // Replaced again while it was being watched and listed: once more, from the top.
  }
  m_.watches.set(static_cast<std::int64_t>(watcher_->watch_count()));
  set_sync_health();
  arm_due_timer();
}

void SyncService::on_root_timer(uv_timer_t* t) {
  auto* self = static_cast<SyncService*>(t->data);
  if (self->root_state_ != RootState::kMissing) {
    uv_timer_stop(t);
    return;
  }
  self->check_root();
  if (self->root_state_ == RootState::kMissing && !self->missing_reconciled_) {
    // Still gone after the grace: the tree is empty, so everything the snapshot knows is
    // noted (published as deleted).
    self->missing_reconciled_ = true;
    self->reconcile("");
    self->arm_due_timer();
  }
}

bool SyncService::root_rescan_pending() const {
  auto oldest = coalescer_.oldest_first_seen();
  if (oldest && *oldest <= root_replaced_at_) return true;
  for (const auto& [path, seen] : inflight_first_seen_) {
    if (seen <= root_replaced_at_) return true;
  }
  return false;
}

void SyncService::on_unwatched_timer(uv_timer_t* t) {
  auto* self = static_cast<SyncService*>(t->data);
  std::set<std::string> dirs = self->unwatched_;
  for (const std::string& d : dirs) {
    self->reconcile(d);
  }
  if (self->unwatched_.empty()) {
    self->unwatched_armed_ = false;
    uv_timer_stop(t);
    (void)self->reports_.event("watch_limit_cleared");
  }
  self->m_.watches.set(static_cast<std::int64_t>(self->watcher_->watch_count()));
  self->set_sync_health();
  self->arm_due_timer();
}

}  // namespace claude
