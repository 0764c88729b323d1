// SyncService's lifecycle: the seed (stage manifest, live dir, live tree and watcher
// opened, the outbox if mounted, the credentials inbox), start (the start-up scan and the
// first publication), the outbox opened and recovered (ensure_outbox), the barrier and the
// final flush, and the run report. Holds what the seed learned and opened, and the timers
// (sync_service.h, "Lifecycle"). The other rooms: sync_live_scan.cc, sync_batch_pump.cc,
// sync_metrics.cc.
#include "entrypoint/sync_service.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <random>

#include <spdlog/spdlog.h>

#include "core/byte_names.h"
#include "core/rfc3339.h"
#include "entrypoint/inotify_watcher.h"
#include "entrypoint/outbox_recovery.h"
#include "entrypoint/process_control.h"
#include "entrypoint/seeder.h"

namespace claude {

namespace {

// Descriptors besides a batch's staged temps: the loop's, the watcher's, the folders a
// batch opens in the live dir and the outbox, the journal and the reports.
constexpr int kFdHeadroom = 256;

std::string random_id() {
  std::mt19937_64 rng{std::random_device{}()};
  char buf[33];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(rng()),
                static_cast<unsigned long long>(rng()));
  return buf;
}

uv_timer_t* new_timer(uv_loop_t* loop, void* data) {
  auto* t = new uv_timer_t;
  uv_timer_init(loop, t);
  t->data = data;
  // Timers must not keep the loop alive on their own: the init decides when it ends.
  uv_unref(reinterpret_cast<uv_handle_t*>(t));
  return t;
}

void close_timer(uv_timer_t*& t) {
  if (!t) return;
  uv_timer_stop(t);
  uv_close(reinterpret_cast<uv_handle_t*>(t), [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
  t = nullptr;
}

}  // namespace

SyncService::SyncService(uv_loop_t* loop, const InitOptions& options, HealthBoard& health,
                         MetricsRegistry& metrics, SyncBackends backends, SyncTuning tuning)
    : loop_(loop),
      options_(options),
      health_(health),
      metrics_(metrics),
      tuning_(tuning),
      backends_(std::move(backends)),
      m_(metrics),
      coalescer_(tuning.coalescer),
      staged_cap_(tuning.staged_limit),
      barrier_limit_(tuning.batch_limit) {
  metrics.computed_gauge("claude_init_sync_watches_used", "inotify watches in use (same as claude_init_sync_watches)",
                         [g = &m_.watches] { return static_cast<double>(g->value()); });
  started_at_ = std::chrono::system_clock::now();
  due_timer_ = new_timer(loop_, this);
  metrics_timer_ = new_timer(loop_, this);
  unwatched_timer_ = new_timer(loop_, this);
  journal_timer_ = new_timer(loop_, this);
  root_timer_ = new_timer(loop_, this);
  batch_done_ = new uv_async_t;
  uv_async_init(loop_, batch_done_, &SyncService::on_batch_done);
  batch_done_->data = this;
  uv_unref(reinterpret_cast<uv_handle_t*>(batch_done_));
}

SyncService::~SyncService() {
  inbox_.reset();
  publisher_.reset();  // its threads finish the batches in flight and may still signal batch_done_
  uv_close(reinterpret_cast<uv_handle_t*>(batch_done_), [](uv_handle_t* h) { delete reinterpret_cast<uv_async_t*>(h); });
  close_timer(due_timer_);
  close_timer(metrics_timer_);
  close_timer(unwatched_timer_);
  close_timer(journal_timer_);
  close_timer(root_timer_);
}

Status SyncService::seed() {
  health_.set("sync", HealthLevel::kOk, "");
  health_.set_ready(false, "seeding");
  // The batches in flight hold their staged temps open until their commit: room for them
  // now, while this is the only thread (see reserve_fd_table). A barrier's batch (up to
  // batch_limit) runs alone, after everything in flight.
  // A lower RLIMIT_NOFILE makes both smaller (never below one batch of submit_limit).
  const std::size_t want =
      std::max(tuning_.staged_limit + tuning_.submit_limit, tuning_.batch_limit);
  const int table = reserve_fd_table(static_cast<int>(want) + kFdHeadroom);
  const std::size_t room = table > kFdHeadroom ? static_cast<std::size_t>(table - kFdHeadroom) : 0;
  staged_cap_ = std::clamp(room > tuning_.submit_limit ? room - tuning_.submit_limit : 0,
                           tuning_.submit_limit, tuning_.staged_limit);
  barrier_limit_ = std::clamp(room, tuning_.submit_limit, tuning_.batch_limit);
  auto fail = [&](Error e) -> Status {
    seed_failed_ = true;
    health_.set("sync", HealthLevel::kUnhealthy, "seed refused: " + e.message());
    health_.set_ready(false, "seed refused: " + e.message());
    return e;
  };

  auto manifest = load_stage_manifest(options_.stage_dir);
  if (!manifest) return fail(manifest.error());
  manifest_ = std::move(manifest.value());
  run_id_ = !options_.run_id.empty() ? options_.run_id : manifest_ && !manifest_->run_id.empty() ? manifest_->run_id : random_id();
  trace_id_ = !options_.trace_id.empty() ? options_.trace_id
              : manifest_ && !manifest_->trace_id.empty() ? manifest_->trace_id
                                                          : random_id();

  std::vector<PathMapping> pairs = manifest_ ? manifest_->mapping.mappings() : std::vector<PathMapping>{};
  // The host's config dir maps onto this init's live dir, wherever --live-dir puts it.
  for (auto& p : pairs)
    if (p.role == PathRole::kConfig) p.container = options_.live_dir;
  for (const std::string& m : options_.path_maps) {
    auto eq = m.find('=');
    pairs.push_back(PathMapping{m.substr(0, eq), m.substr(eq + 1)});
  }
  auto map = PathMap::create(pairs);
  if (!map) return fail(map.error());
  mapper_ = std::make_unique<ProjectDirMapper>(std::move(map.value()));
  rewrite_.free_text = options_.rewrite_free_text;
  rewrite_.spellings = std::make_shared<SpellingMemo>();  // filled by the seed, read by the publisher
  excludes_ = ExcludeRules::defaults();
  for (const std::string& g : options_.sync_excludes) excludes_.add_pattern(g);

  SeedOutcome seeded;
  if (manifest_) {
    auto r = seed_live_dir(options_.stage_dir, *manifest_, options_.live_dir, *mapper_, rewrite_);
    if (!r) return fail(r.error());
    seeded = std::move(r.value());
    for (const std::string& w : seeded.warnings) spdlog::info("{}", w);
  } else {
    std::error_code ec;
    std::filesystem::create_directories(options_.live_dir, ec);
    if (ec) return fail(Error{"create live dir", options_.live_dir, ec.value(), "", "check --live-dir"});
    spdlog::info("no stage at {}: starting from the live dir as it is", options_.stage_dir);
  }
  snapshot_ = std::move(seeded.baseline);
  // A restart leaves no trustworthy facts: the first look at each file compares content.
  if (!seeded.copied) {
    for (auto& [path, entry] : snapshot_) entry.facts.reset();
  }

  auto live = backends_.open_live(options_.live_dir);
  if (!live) return fail(live.error());
  live_ = std::move(live.value());

  struct stat st{};
  outbox_wanted_ = ::stat(options_.outbox_dir.c_str(), &st) == 0;
  if (!outbox_wanted_) {
    spdlog::warn("no outbox at {}: changes in {} will not be synced out", options_.outbox_dir, options_.live_dir);
    health_.set("sync", HealthLevel::kDegraded, "no outbox mounted at " + options_.outbox_dir);
  } else {
    (void)ensure_outbox();  // a full or read-only outbox is retried; the child still starts
  }
  if (reports_.is_open()) {
    (void)reports_.event(seeded.copied ? "seeded" : "seed_kept_live_dir",
                         {{"files", seeded.files}, {"bytes", seeded.bytes}, {"live_dir", options_.live_dir}});
  }

  // Watches before the start-up scan, so that nothing the child does slips between them.
  auto watcher = backends_.watch(loop_, options_.live_dir);
  if (!watcher) return fail(watcher.error());
  watcher_ = std::move(watcher.value());

  // The host's inbox, looked at once now, before the child starts: it reads the newest login.
  CredentialsInbox::Hooks hooks;
  hooks.installing = [this](const std::string& sha256) { hold_back_credentials(sha256); };
  hooks.event = [this](std::string_view name, nlohmann::json fields) { (void)reports_.event(name, std::move(fields)); };
  inbox_ = CredentialsInbox::open(loop_, options_, metrics_, std::move(hooks));
  if (inbox_) {
    // A restart finds its own earlier install in the live dir: still not the container's.
    if (std::string sha; inbox_->live_matches_inbox(&sha)) hold_back_credentials(sha);
    inbox_->check();
  }
  return Ok{};
}

void SyncService::hold_back_credentials(const std::string& sha256) {
  held_credentials_sha_ = sha256;
  if (publisher_) publisher_->hold_back(std::string(kCredentialsFileName), sha256);
}

bool SyncService::ensure_outbox() {
  if (outbox_) return true;
  if (!outbox_wanted_ || !outbox_in_use_.empty()) return false;
  bool in_use = false;
  auto opened = backends_.open_outbox(options_.outbox_dir, run_id_, trace_id_, &in_use);
  if (!opened) {
    if (in_use) {
      // Not retried: taking the outbox over once the other init is gone would publish this
      // live dir over that container's results before the host has read them back.
      outbox_in_use_ = opened.error().message();
      spdlog::error("sync: {}; this claude-init syncs nothing", outbox_in_use_);
      set_sync_health();
      return false;
    }
    record_error(opened.error());
    return false;
  }
  const OutboxRecovery& rec = opened->recovery;
  outbox_ = std::move(opened->outbox);
  if (auto s = reports_.open(options_.outbox_dir, opened->owner, run_id_, trace_id_); !s) record_error(s.error());
  for (const std::string& note : rec.notes) (void)reports_.event("outbox_recovered", {{"detail", note}});
  // What the outbox already holds is the baseline for its paths (over the stage's).
  for (const auto& [host_path, expected] : rec.state.entries()) {
    std::string live_path = mapper_->map_rel_path(host_path, Direction::kToContainer);
    SyncedEntry& e = snapshot_[live_path];
    e.in_outbox = true;
    e.outbox_path = host_path;
    e.sha256 = expected.sha256;
    e.outbox_size = expected.size;
    e.outbox_mode = expected.mode;
    if (expected.is_symlink) {
      LiveFacts f;
      f.kind = EntryKind::kSymlink;
      f.link_target = expected.target;
      e.facts = f;
    } else {
      e.facts.reset();
    }
    if (started_) note(live_path, Urgency::kNow);
  }
  publisher_ = std::make_unique<Publisher>(*live_, *outbox_, *mapper_, rewrite_, snapshot_);
  if (!held_credentials_sha_.empty()) publisher_->hold_back(std::string(kCredentialsFileName), held_credentials_sha_);
  return true;
}

Status SyncService::start() {
  if (seed_failed_ || !watcher_) return Ok{};
  started_ = true;
  if (auto s = watcher_->start([this](std::vector<WatchEvent>& ev) { on_events(ev); }); !s) {
    health_.set("sync", HealthLevel::kUnhealthy, s.error().message());
    return s;
  }
  // The start-up scan: every live file, and every path the baseline knows (it may be gone).
  reconcile("");
  m_.watches.set(static_cast<std::int64_t>(watcher_->watch_count()));
  // Publish what changed before the watches existed, now, so readiness means "in sync".
  while (!coalescer_.empty() && outbox_) {
    if (!run_batch(true)) break;
  }
  arm_due_timer();
  if (inbox_) {
    if (auto s = inbox_->start(); !s) {
      spdlog::warn("inbox: {}; credentials from the host are not installed while this runs", s.error().message());
      inbox_.reset();
    } else {
      inbox_->check();  // anything that arrived between the seed and the watch
    }
  }
  health_.set_ready(true, "");
  set_sync_health();
  (void)reports_.event("started", {{"watches", watcher_->watch_count()}, {"files", snapshot_.size()}});
  return Ok{};
}

void SyncService::flush_barrier(std::function<void(bool complete)> done) {
  bool complete = flush_all(std::nullopt);
  (void)reports_.event("flush", {{"complete", complete}, {"reason", "barrier"}});
  done(complete);
}

void SyncService::flush(std::chrono::steady_clock::time_point deadline, std::function<void(bool complete)> done) {
  bool complete = flush_all(deadline);
  // The final flush is the last publication: what changes after it (the child is gone;
  // anything else is not the user's session) would otherwise be published unjournaled.
  stopped_ = true;
  inbox_.reset();  // and nothing is installed for a session that has ended
  uv_timer_stop(due_timer_);
  (void)reports_.event("flush", {{"complete", complete}, {"reason", "shutdown"}});
  done(complete);
}

void SyncService::write_final_report(const RunOutcome& o) {
  if (seed_failed_ || !reports_.is_open()) return;  // nothing goes to the outbox after a refused seed
  auto iso = [](std::chrono::system_clock::time_point t) {
    return rfc3339_utc(std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count());
  };
  nlohmann::json skipped = nlohmann::json::array();
  for (auto& [path, reason] : skipped_) {
    nlohmann::json entry = {{"reason", reason}};
    put_name(entry, "path", path);
    skipped.push_back(std::move(entry));
  }
  nlohmann::json report = {
      {"started_at", iso(o.started_at.time_since_epoch().count() ? o.started_at : started_at_)},
      {"ended_at", rfc3339_now()},
      {"exit_code", o.exit_code},
      {"child", {{"started", o.child_started}, {"exit_code", o.child_exit_code},
                 {"signal", o.child_signal ? signal_name(o.child_signal) : ""}, {"exec_error", o.exec_error}}},
      {"stop_signal", o.stop_signal ? signal_name(o.stop_signal) : ""},
      {"killed_after_grace", o.killed_after_grace},
      {"flush_complete", o.flush_complete},
      {"clean_stop", o.clean_stop},
      {"durations_ms", {{"child", o.child_runtime.count()}, {"stop", o.stop_duration.count()},
                        {"flush", o.flush_duration.count()}, {"total", o.total_runtime.count()}}},
      {"counts", counters_json()},
      {"errors", errors_},
      {"skipped", skipped},
  };
  // The closing line of the time series: every run's metrics.jsonl ends with its final counts.
  uv_timer_stop(metrics_timer_);
  metrics_armed_ = false;
  if (auto s = reports_.metrics(counters_json()); !s) spdlog::error("final metrics line: {}", s.error().message());
  if (auto s = reports_.run_report(std::move(report)); !s) spdlog::error("final report: {}", s.error().message());
}

std::unique_ptr<SyncHooks> make_sync_service(uv_loop_t* loop, const InitOptions& options, HealthBoard& health,
                                             MetricsRegistry& metrics) {
  SyncTuning tuning;
  tuning.coalescer.settle = options.settle;
  return std::make_unique<SyncService>(loop, options, health, metrics, posix_sync_backends(), tuning);
}

SyncBackends posix_sync_backends() {
  SyncBackends b;
  b.open_live = [](const std::string& live_dir) -> Result<std::unique_ptr<LiveTree>> {
    auto live = PosixLiveTree::open(live_dir);
    if (!live) return live.error();
    return std::unique_ptr<LiveTree>(std::move(live.value()));
  };
  b.watch = [](uv_loop_t* loop, const std::string& live_dir) -> Result<std::unique_ptr<Watcher>> {
    auto watcher = InotifyWatcher::create(loop, live_dir);
    if (!watcher) return watcher.error();
    return std::unique_ptr<Watcher>(std::move(watcher.value()));
  };
  b.open_outbox = [](const std::string& outbox_dir, const std::string& run_id, const std::string& trace_id,
                     bool* in_use) -> Result<OpenedOutbox> {
    auto outbox = PosixOutbox::open(outbox_dir, in_use);
    if (!outbox) return outbox.error();
    // Recovered before anything is written, so the journal's seq continues.
    auto rec = recover_outbox(outbox_dir, **outbox, run_id, trace_id);
    if (!rec) return rec.error();
    OpenedOutbox opened;
    opened.owner = (*outbox)->owner();
    opened.outbox = std::move(outbox.value());
    opened.recovery = std::move(rec.value());
    return opened;
  };
  return b;
}

}  // namespace claude
