// SyncService's metrics and health: the counters in the registry (SyncMetrics), the
// metrics.jsonl timer, the "sync" health component worked out from the whole state, and
// the bounded list of recent errors (sync_service.h, "Metrics and health").
#include <chrono>
#include <string>

#include <spdlog/spdlog.h>

#include "entrypoint/sync_metrics.h"
#include "entrypoint/sync_service.h"

namespace claude {

SyncMetrics::SyncMetrics(MetricsRegistry& r)
    : events(r.counter("claude_init_sync_events_total", "inotify events read")),
      files(r.counter("claude_init_sync_files_published_total", "whole files and links published")),
      appends(r.counter("claude_init_sync_appends_total", "session-log appends published")),
      deletes(r.counter("claude_init_sync_deletes_total", "deletions published")),
      renames(r.counter("claude_init_sync_renames_total", "renames published")),
      bytes(r.counter("claude_init_sync_bytes_published_total", "content bytes written to the outbox")),
      rescans(r.counter("claude_init_sync_rescans_total", "rescans after an overflow or a lost watch")),
      errors(r.counter("claude_init_sync_errors_total", "failed outbox operations")),
      invalid_json(r.counter("claude_init_sync_invalid_json_total", "JSON files held back because they did not parse")),
      skipped(r.counter("claude_init_sync_skipped_total", "entries never synced (links out of the tree, FIFOs, devices)")),
      watches(r.gauge("claude_init_sync_watches", "inotify watches in use")),
      pending(r.gauge("claude_init_sync_pending", "paths waiting to be published")),
      lag(r.histogram("claude_init_sync_lag_seconds", "first change to published",
                      {0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30})) {}

nlohmann::json SyncMetrics::to_json(std::size_t pending_paths) const {
  return {{"events", events.value()},     {"files_published", files.value()},
          {"appends", appends.value()},   {"deletes", deletes.value()},
          {"renames", renames.value()},   {"bytes_published", bytes.value()},
          {"rescans", rescans.value()},   {"errors", errors.value()},
          {"invalid_json", invalid_json.value()}, {"skipped", skipped.value()},
          {"watches", watches.value()},   {"pending", pending_paths},
          {"lag_count", lag.count()},     {"lag_sum_seconds", lag.sum()}};
}

void SyncService::record_error(const Error& e) {
  std::string msg = e.message();
  spdlog::error("sync: {}", msg);
  // Consecutive identical errors (a full outbox retried) are kept once.
  if (errors_.empty() || errors_.back() != msg) {
    errors_.push_back(msg);
    if (errors_.size() > 50) errors_.erase(errors_.begin());
    (void)reports_.event("error", {{"message", msg}});
  }
}

void SyncService::set_sync_health() {
  if (seed_failed_) return;
  if (root_state_ == RootState::kReplaced && !root_rescan_pending()) {
    root_state_ = RootState::kOk;
    spdlog::info("sync: the replaced live dir {} is back in sync", options_.live_dir);
    (void)reports_.event("rescan_done", {{"reason", "live dir replaced"}, {"path", options_.live_dir}});
  }
  auto lag = coalescer_.oldest_first_seen();
  auto now = SyncClock::now();
  if (!outbox_wanted_) {
    health_.set("sync", HealthLevel::kDegraded, "no outbox mounted at " + options_.outbox_dir);
  } else if (!outbox_in_use_.empty()) {
    health_.set("sync", HealthLevel::kUnhealthy, outbox_in_use_ + "; this claude-init syncs nothing");
  } else if (!outbox_ || consecutive_failures_ >= tuning_.unhealthy_after_failures) {
    health_.set("sync", HealthLevel::kUnhealthy,
                "outbox not writable: " + (errors_.empty() ? std::string("unknown error") : errors_.back()));
  } else if (root_state_ == RootState::kMissing) {
    health_.set("sync", HealthLevel::kUnhealthy,
                "live dir " + options_.live_dir + " missing (moved away or removed); waiting for it");
  } else if (watcher_ && !watcher_->failure().empty()) {
    health_.set("sync", HealthLevel::kUnhealthy, "watcher stalled: " + watcher_->failure());
  } else if (lag && now - *lag > tuning_.lag_threshold) {
    health_.set("sync", HealthLevel::kUnhealthy,
                "sync lag " + std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now - *lag).count()) + "s");
  } else if (root_state_ == RootState::kReplaced && root_rescan_pending()) {
    health_.set("sync", HealthLevel::kDegraded, "live dir replaced, rescanning");
  } else if (!invalid_json_.empty()) {
    const auto& [path, why] = *invalid_json_.begin();
    health_.set("sync", HealthLevel::kDegraded,
                std::to_string(invalid_json_.size()) + " JSON file(s) held back because they do not parse: " +
                    path + ": " + why);
  } else if (!too_large_.empty()) {
    health_.set("sync", HealthLevel::kDegraded,
                std::to_string(too_large_.size()) + " file(s) not published: " + too_large_.begin()->second);
  } else if (!unwatched_.empty()) {
    health_.set("sync", HealthLevel::kDegraded,
                "inotify watch limit reached: " + std::to_string(unwatched_.size()) + " folder(s) scanned periodically");
  } else {
    health_.set("sync", HealthLevel::kOk, "");
  }
}

void SyncService::arm_metrics_timer() {
  if (metrics_armed_ || !reports_.is_open()) return;
  metrics_armed_ = true;
  uv_timer_start(metrics_timer_, &SyncService::on_metrics_timer,
                 static_cast<std::uint64_t>(tuning_.metrics_interval.count()), 0);
}

nlohmann::json SyncService::counters_json() const { return m_.to_json(coalescer_.size()); }

void SyncService::on_metrics_timer(uv_timer_t* t) {
  auto* self = static_cast<SyncService*>(t->data);
  self->metrics_armed_ = false;
  (void)self->reports_.metrics(self->counters_json());
  // Re-armed only by new activity: an idle engine writes nothing and never wakes.
  if (self->activity_since_metrics_) {
    self->activity_since_metrics_ = false;
    self->arm_metrics_timer();
  }
}

}  // namespace claude
