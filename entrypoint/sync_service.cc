#include "entrypoint/sync_service.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <random>

#include <spdlog/spdlog.h>

#include "core/byte_names.h"
#include "core/rfc3339.h"
#include "entrypoint/outbox_recovery.h"
#include "entrypoint/process_control.h"
#include "entrypoint/seeder.h"

namespace claude {

struct SyncService::Metrics {
  explicit Metrics(MetricsRegistry& r)
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
  Counter &events, &files, &appends, &deletes, &renames, &bytes, &rescans, &errors, &invalid_json, &skipped;
  Gauge &watches, &pending;
  Histogram& lag;
};

namespace {

// Descriptors besides a batch's staged temps: the loop's, the watcher's, the folders a
// batch opens in the live dir and the outbox, the journal and the reports.
constexpr int kFdHeadroom = 256;

// How long a missing live dir may take to come back before its files count as deleted.
constexpr std::chrono::milliseconds kMissingGrace{250};

std::string random_id() {
  std::mt19937_64 rng{std::random_device{}()};
  char buf[33];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(rng()),
                static_cast<unsigned long long>(rng()));
  return buf;
}

bool under(const std::string& path, const std::string& dir) {
  if (dir.empty()) return true;
  return path == dir || (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 && path[dir.size()] == '/');
}

std::string join(const std::string& dir, const std::string& name) { return dir.empty() ? name : dir + "/" + name; }

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
                         MetricsRegistry& metrics, SyncTuning tuning)
    : loop_(loop),
      options_(options),
      health_(health),
      metrics_(metrics),
      tuning_(tuning),
      m_(std::make_unique<Metrics>(metrics)),
      coalescer_(tuning.coalescer),
      staged_cap_(tuning.staged_limit),
      barrier_limit_(tuning.batch_limit) {
  metrics.computed_gauge("claude_init_sync_watches_used", "inotify watches in use (same as claude_init_sync_watches)",
                         [g = &m_->watches] { return static_cast<double>(g->value()); });
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

bool SyncService::excluded(const std::string& path, bool is_dir) const { return excludes_.excluded(path, is_dir); }

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

  auto live = PosixLiveTree::open(options_.live_dir);
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
  auto watcher = InotifyWatcher::create(loop_, options_.live_dir);
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
  auto outbox = PosixOutbox::open(options_.outbox_dir, &in_use);
  if (!outbox) {
    if (in_use) {
      // Not retried: taking the outbox over once the other init is gone would publish this
      // live dir over that container's results before the host has read them back.
      outbox_in_use_ = outbox.error().message();
      spdlog::error("sync: {}; this claude-init syncs nothing", outbox_in_use_);
      set_sync_health();
      return false;
    }
    record_error(outbox.error());
    return false;
  }
  auto rec = recover_outbox(options_.outbox_dir, **outbox, run_id_, trace_id_);
  if (!rec) {
    record_error(rec.error());
    return false;
  }
  outbox_ = std::move(outbox.value());
  if (auto s = reports_.open(options_.outbox_dir, outbox_->owner(), run_id_, trace_id_); !s) record_error(s.error());
  for (const std::string& note : rec->notes) (void)reports_.event("outbox_recovered", {{"detail", note}});
  // What the outbox already holds is the baseline for its paths (over the stage's).
  for (const auto& [host_path, expected] : rec->state.entries()) {
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
  m_->watches.set(static_cast<std::int64_t>(watcher_->watch_count()));
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
  if (*added == InotifyWatcher::AddResult::kGone) {
    note_snapshot_under(rel_dir);
    return;
  }
  if (*added == InotifyWatcher::AddResult::kLimit) {
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
  m_->events.inc(events.size());
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
        m_->rescans.inc();
        if (ev.path.empty()) {
          spdlog::warn("inotify queue overflowed: rescanning {}", options_.live_dir);
          (void)reports_.event("rescan", {{"reason", "inotify queue overflow"}});
        }
        reconcile(ev.path);
        break;
    }
  }
  if (root_changed) check_root();
  m_->watches.set(static_cast<std::int64_t>(watcher_->watch_count()));
  arm_due_timer();
}

void SyncService::arm_due_timer() {
  m_->pending.set(static_cast<std::int64_t>(coalescer_.size()));
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
  m_->files.inc(res.files);
  m_->appends.inc(res.appends);
  m_->deletes.inc(res.deletes);
  m_->renames.inc(res.renames);
  m_->bytes.inc(res.bytes);
  m_->invalid_json.inc(res.invalid_json.size());
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
    if (it != first_seen.end()) m_->lag.observe(std::chrono::duration<double>(done_at - it->second).count());
  }
  for (auto& [path, error] : res.too_large) {
    // Named once per change of the file; health stays degraded until it is published or gone.
    invalid_json_.erase(path);
    auto [it, fresh] = too_large_.insert_or_assign(path, error.message());
    if (fresh) m_->errors.inc();
    (void)reports_.event("too_large", {{"path", path}, {"error", it->second}});
    record_error(error);
  }
  for (const std::string& p : res.done) too_large_.erase(p);
  for (auto& [path, reason] : res.skipped) {
    if (!warned_skips_.insert(path).second) continue;
    m_->skipped.inc();
    spdlog::warn("not syncing {}: {}", path, reason);
    skipped_.emplace_back(path, reason);
    nlohmann::json fields = {{"reason", reason}};
    put_name(fields, "path", path);  // a name that is not UTF-8 as "path_b64"
    (void)reports_.event("skipped", std::move(fields));
  }
  if (!res.failed.empty()) {
    m_->errors.inc(res.failed.size());
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
    self->m_->errors.inc();
    // Still owed: tried again after the quiet time (not at once: the hold has passed).
    uv_timer_start(t, &SyncService::on_journal_timer, static_cast<std::uint64_t>(self->tuning_.journal_quiet.count()), 0);
    return;
  }
  self->arm_journal_timer(false);
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

void SyncService::check_root() {
  if (!watcher_ || !live_ || !started_ || stopped_) return;
  for (int attempt = 0; attempt < 3; ++attempt) {
    const auto check = live_->check_root();
    if (check == PosixLiveTree::RootCheck::kSame && root_state_ != RootState::kMissing) break;
    if (check == PosixLiveTree::RootCheck::kMissing && root_state_ == RootState::kMissing) break;
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
    m_->rescans.inc();
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
  m_->watches.set(static_cast<std::int64_t>(watcher_->watch_count()));
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

nlohmann::json SyncService::counters_json() const {
  return {{"events", m_->events.value()},     {"files_published", m_->files.value()},
          {"appends", m_->appends.value()},   {"deletes", m_->deletes.value()},
          {"renames", m_->renames.value()},   {"bytes_published", m_->bytes.value()},
          {"rescans", m_->rescans.value()},   {"errors", m_->errors.value()},
          {"invalid_json", m_->invalid_json.value()}, {"skipped", m_->skipped.value()},
          {"watches", m_->watches.value()},   {"pending", coalescer_.size()},
          {"lag_count", m_->lag.count()},     {"lag_sum_seconds", m_->lag.sum()}};
}

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
  self->m_->watches.set(static_cast<std::int64_t>(self->watcher_->watch_count()));
  self->set_sync_health();
  self->arm_due_timer();
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
  return std::make_unique<SyncService>(loop, options, health, metrics, tuning);
}

}  // namespace claude
