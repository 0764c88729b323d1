// SyncService on a real uv loop, its live tree, outbox and watcher replaced by the fakes of
// test_fakes.h: what an event, a failing outbox, a barrier, an unparsable .json and the
// watch limit do to what is published and to the "sync" health.
#include "entrypoint/sync_service.h"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <functional>
#include <mutex>
#include <thread>

#include <catch2/catch.hpp>

#include "entrypoint/health_board.h"
#include "entrypoint/metrics_registry.h"
#include "entrypoint/test_fakes.h"

using namespace claude;
using namespace std::chrono_literals;

namespace {

// The fake live tree as SyncService sees it: FakeLiveTree's files, listed folder by folder
// (its own list() is always empty), with the folders their paths imply.
class ListedLiveTree final : public LiveTree {
 public:
  explicit ListedLiveTree(FakeLiveTree& fake) : fake_(fake) {}
  Result<std::optional<LiveFacts>> stat(const std::string& p) override { return fake_.stat(p); }
  Result<std::vector<std::pair<std::string, LiveFacts>>> list(const std::string& rel_dir) override {
    std::map<std::string, LiveFacts> entries;
    const std::string prefix = rel_dir.empty() ? "" : rel_dir + "/";
    for (const auto& [path, content] : fake_.files) {
      if (path.compare(0, prefix.size(), prefix) != 0) continue;
      std::string rest = path.substr(prefix.size());
      auto slash = rest.find('/');
      if (slash == std::string::npos) {
        entries[rest] = fake_.facts_by_path.at(path);
      } else {
        LiveFacts dir;
        dir.kind = EntryKind::kDirectory;
        dir.mode = 0755;
        entries[rest.substr(0, slash)] = dir;
      }
    }
    return std::vector<std::pair<std::string, LiveFacts>>(entries.begin(), entries.end());
  }
  Result<std::string> read(const std::string& p, std::uint64_t offset, std::uint64_t max) override {
    return fake_.read(p, offset, max);
  }
  Result<std::string> read_whole(const std::string& p, LiveFacts* facts) override {
    return fake_.read_whole(p, facts);
  }
  Result<int> open_regular(const std::string& p, LiveFacts* facts) override {
    return fake_.open_regular(p, facts);
  }

 private:
  FakeLiveTree& fake_;
};

// The test's FakeOutbox handed to SyncService, with the time of every attempt to stage a
// file (those that fail included).
class TimedOutbox final : public Outbox {
 public:
  explicit TimedOutbox(FakeOutbox& fake, std::vector<SyncClock::time_point>& attempts)
      : fake_(fake), attempts_(attempts) {}
  Status stage_put(const std::string& rel, std::string_view data, std::uint32_t mode) override {
    attempts_.push_back(SyncClock::now());
    return fake_.stage_put(rel, data, mode);
  }
  Result<std::string> stage_copy(const std::string& rel, int fd, std::uint64_t length,
                                 std::uint32_t mode, std::uint64_t* copied) override {
    attempts_.push_back(SyncClock::now());
    return fake_.stage_copy(rel, fd, length, mode, copied);
  }
  Status stage_symlink(const std::string& rel, const std::string& target) override {
    return fake_.stage_symlink(rel, target);
  }
  std::unique_ptr<StagedSet> take_staged() override { return fake_.take_staged(); }
  Status make_durable(StagedSet& set) override { return fake_.make_durable(set); }
  Status put_in_place(StagedSet& set, std::vector<std::string>* committed) override {
    return fake_.put_in_place(set, committed);
  }
  Status append(const std::string& rel, std::string_view data, std::uint64_t expected) override {
    return fake_.append(rel, data, expected);
  }
  Status remove(const std::string& rel) override { return fake_.remove(rel); }
  Status rename(const std::string& from, const std::string& to) override {
    return fake_.rename(from, to);
  }
  Status journal(std::vector<JournalRecord>& records) override { return fake_.journal(records); }
  Status sync() override { return fake_.sync(); }

 private:
  FakeOutbox& fake_;
  std::vector<SyncClock::time_point>& attempts_;
};

// A SyncService on its own loop with fakes; the live and outbox folders are real (empty)
// temp dirs, for the seed's checks and the reports, and there is no stage.
struct Rig {
  std::filesystem::path dir;
  uv_loop_t loop{};
  // Holds the loop alive, as the init's own handles do: the service's timers do not.
  uv_timer_t keepalive{};
  HealthBoard health;
  MetricsRegistry metrics;
  FakeLiveTree live;
  FakeOutbox outbox;
  std::vector<SyncClock::time_point> put_attempts;  // on the loop thread only
  FakeWatcher* watcher = nullptr;                   // owned by the service
  std::set<std::string> watch_limit;                // folders past the watch limit
  std::unique_ptr<SyncService> service;

  explicit Rig(SyncTuning tuning = {}) {
    // The seed grows the process's descriptor table for the batches in flight; kept small
    // here (below 1024 slots), so that the other tests of this binary find it as it was.
    tuning.staged_limit = 64;
    tuning.batch_limit = 256;
    char tmpl[] = "/tmp/sync_service_test.XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    dir = tmpl;
    std::filesystem::create_directories(dir / "live");
    std::filesystem::create_directories(dir / "outbox");
    REQUIRE(uv_loop_init(&loop) == 0);
    uv_timer_init(&loop, &keepalive);
    uv_timer_start(
        &keepalive, [](uv_timer_t*) {}, 3600 * 1000, 3600 * 1000);
    InitOptions options;
    options.stage_dir = (dir / "no-stage").string();
    options.live_dir = (dir / "live").string();
    options.outbox_dir = (dir / "outbox").string();
    options.inbox_dir = (dir / "no-inbox").string();
    SyncBackends backends;
    backends.open_live = [this](const std::string&) -> Result<std::unique_ptr<LiveTree>> {
      return std::unique_ptr<LiveTree>(std::make_unique<ListedLiveTree>(live));
    };
    backends.watch = [this](uv_loop_t*, const std::string&) -> Result<std::unique_ptr<Watcher>> {
      auto w = std::make_unique<FakeWatcher>();
      w->at_limit = watch_limit;
      watcher = w.get();
      return std::unique_ptr<Watcher>(std::move(w));
    };
    backends.open_outbox = [this](const std::string&, const std::string&, const std::string&,
                                  bool*) -> Result<OpenedOutbox> {
      OpenedOutbox opened;
      opened.outbox = std::make_unique<TimedOutbox>(outbox, put_attempts);
      return opened;
    };
    service =
        std::make_unique<SyncService>(&loop, options, health, metrics, std::move(backends), tuning);
  }
  ~Rig() {
    service.reset();
    uv_close(reinterpret_cast<uv_handle_t*>(&keepalive), nullptr);
    uv_run(&loop, UV_RUN_DEFAULT);  // the closed handles' callbacks
    (void)uv_loop_close(&loop);
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }

  void start() {
    REQUIRE(service->seed());
    REQUIRE(service->start());
    REQUIRE(watcher != nullptr);
    REQUIRE(watcher->started());
  }
  // Runs the loop until pred() holds or `timeout` has passed; whether it holds.
  bool run_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout = 5000ms) {
    auto end = std::chrono::steady_clock::now() + timeout;
    while (!pred()) {
      if (std::chrono::steady_clock::now() >= end) return false;
      uv_run(&loop, UV_RUN_NOWAIT);
      std::this_thread::sleep_for(1ms);
    }
    return true;
  }
  void run_for(std::chrono::milliseconds d) {
    auto end = std::chrono::steady_clock::now() + d;
    run_until([&] { return std::chrono::steady_clock::now() >= end; }, d + 1000ms);
  }
  // What the outbox holds at `path` ("" when nothing).
  std::string published(const std::string& path) {
    std::lock_guard lock(outbox.mu);
    auto it = outbox.tree.find(path);
    return it == outbox.tree.end() ? "" : it->second;
  }
  // A counter's value as /metrics renders it (-1 when it is not there).
  double count(const std::string& name) const {
    std::string text = "\n" + metrics.render();
    auto at = text.find("\n" + name + " ");
    return at == std::string::npos ? -1 : std::stod(text.substr(at + name.size() + 2));
  }
  ComponentHealth sync_health() const {
    auto state = health.snapshot();
    auto it = state.components().find("sync");
    REQUIRE(it != state.components().end());
    return it->second;
  }
  bool barrier() {
    std::optional<bool> result;
    service->flush_barrier([&](bool complete) { result = complete; });
    REQUIRE(result.has_value());  // a barrier answers before it returns
    return *result;
  }
  void changed(const std::string& path, bool finished) {
    WatchEvent ev;
    ev.kind = WatchEvent::Kind::kFile;
    ev.path = path;
    ev.finished = finished;
    watcher->emit({ev});
  }
};

}  // namespace

TEST_CASE("sync service: a change an event notes is published once it has settled",
          "[sync_service]") {
  SyncTuning tuning;
  tuning.coalescer.settle = 300ms;
  tuning.coalescer.cap = 5000ms;
  Rig rig(tuning);
  rig.start();
  rig.live.write("settings.json", R"({"theme":"dark"})");
  auto noted = SyncClock::now();
  rig.changed("settings.json", false);  // still being written: waits for the settle time
  rig.run_for(100ms);
  CHECK(rig.published("settings.json").empty());
  REQUIRE(rig.run_until([&] { return !rig.published("settings.json").empty(); }));
  CHECK(SyncClock::now() - noted >= 300ms);
  CHECK(rig.published("settings.json") == R"({"theme":"dark"})");
  CHECK(rig.count("claude_init_sync_events_total") == 1);
  CHECK(rig.run_until([&] { return rig.count("claude_init_sync_files_published_total") == 1; }));
  CHECK(rig.sync_health().level == HealthLevel::kOk);
}

TEST_CASE("sync service: a file no event names is not published until a look finds it",
          "[sync_service]") {
  Rig rig;
  rig.start();
  rig.live.write("quiet.json", "{}");
  rig.run_for(200ms);
  CHECK(rig.published("quiet.json").empty());  // no event: nothing noted, nothing published
  CHECK(rig.barrier());
  CHECK(rig.published("quiet.json") == "{}");
}

TEST_CASE(
    "sync service: a failing outbox is retried with a growing backoff, unhealthy after three "
    "failures",
    "[sync_service]") {
  SyncTuning tuning;
  tuning.retry_min = 100ms;
  tuning.retry_max = 400ms;
  tuning.unhealthy_after_failures = 3;
  Rig rig(tuning);
  rig.start();
  rig.outbox.fail_errno = ENOSPC;
  rig.live.write("settings.json", R"({"a":1})");
  rig.changed("settings.json", true);
  // The second failure accounted for (the publisher reports a batch once it is collected).
  REQUIRE(rig.run_until([&] { return rig.count("claude_init_sync_errors_total") >= 2; }));
  CHECK(rig.put_attempts.size() == 2);
  // Two failures: retried, not yet unhealthy.
  CHECK(rig.sync_health().level != HealthLevel::kUnhealthy);
  // Events meanwhile do not make it retry sooner.
  for (int i = 0; i < 20; ++i) {
    rig.changed("settings.json", true);
    rig.run_for(5ms);
  }
  REQUIRE(rig.run_until([&] { return rig.put_attempts.size() >= 5; }));
  const auto& t = rig.put_attempts;
  auto gap = [&](std::size_t i) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t[i] - t[i - 1]);
  };
  CHECK(gap(1) >= 95ms);   // retry_min
  CHECK(gap(2) >= 195ms);  // doubled
  CHECK(gap(3) >= 395ms);  // doubled again, up to retry_max
  CHECK(gap(4) >= 395ms);  // and no more
  auto h = rig.sync_health();
  CHECK(h.level == HealthLevel::kUnhealthy);
  CHECK_THAT(h.reason, Catch::Contains("outbox not writable") && Catch::Contains("No space left"));
  CHECK(rig.published("settings.json").empty());
  // Writable again: the next retry publishes it and health is back.
  rig.outbox.fail_errno = 0;
  REQUIRE(rig.run_until([&] { return rig.published("settings.json") == R"({"a":1})"; }));
  CHECK(rig.run_until([&] { return rig.sync_health().level == HealthLevel::kOk; }));
}

TEST_CASE("sync service: a barrier publishes everything pending and says complete",
          "[sync_service]") {
  SyncTuning tuning;
  tuning.coalescer.settle = 10000ms;  // nothing would be due before the barrier
  tuning.coalescer.cap = 10000ms;
  Rig rig(tuning);
  rig.start();
  rig.live.write("settings.json", R"({"a":1})");
  rig.live.write("projects/p/s.jsonl", "{\"line\":1}\n");
  rig.changed("settings.json", false);
  rig.changed("projects/p/s.jsonl", false);
  rig.live.write("CLAUDE.md", "# notes\n");  // no event at all: the barrier's rescan finds it
  // Queued in the kernel, not read yet: the barrier drains it first.
  rig.live.write("agents/a.md", "agent\n");
  rig.watcher->queue(WatchEvent{WatchEvent::Kind::kFile, "agents/a.md", "", false});
  CHECK(rig.published("settings.json").empty());
  CHECK(rig.barrier());
  CHECK(rig.published("settings.json") == R"({"a":1})");
  CHECK(rig.published("projects/p/s.jsonl") == "{\"line\":1}\n");
  CHECK(rig.published("CLAUDE.md") == "# notes\n");
  CHECK(rig.published("agents/a.md") == "agent\n");
  CHECK(rig.watcher->queued.empty());
}

TEST_CASE("sync service: an unparsable .json is held back and the barrier is not complete",
          "[sync_service]") {
  Rig rig;
  rig.start();
  rig.live.write("settings.json", R"({"a":1})");
  REQUIRE(rig.barrier());
  REQUIRE(rig.published("settings.json") == R"({"a":1})");
  rig.live.write("settings.json", R"({"a":1, "b":)");  // half written
  rig.live.write("other.json", R"({"ok":true})");
  CHECK_FALSE(rig.barrier());
  CHECK(rig.published("settings.json") == R"({"a":1})");   // the last version that parsed stays
  CHECK(rig.published("other.json") == R"({"ok":true})");  // the rest is published
  auto h = rig.sync_health();
  CHECK(h.level == HealthLevel::kDegraded);
  CHECK_THAT(h.reason, Catch::Contains("settings.json") && Catch::Contains("do not parse"));
  rig.live.write("settings.json", R"({"a":1, "b":2})");
  CHECK(rig.barrier());
  CHECK(rig.published("settings.json") == R"({"a":1, "b":2})");
  CHECK(rig.sync_health().level == HealthLevel::kOk);
}

TEST_CASE("sync service: a folder past the watch limit is scanned periodically", "[sync_service]") {
  SyncTuning tuning;
  tuning.unwatched_scan_interval = 100ms;
  Rig rig(tuning);
  rig.watch_limit = {"projects"};
  rig.live.write("projects/s1.jsonl", "one\n");
  rig.live.write("todo.json", "[]");
  rig.start();
  // The start-up scan lists it all and publishes it before start() returns.
  CHECK(rig.published("projects/s1.jsonl") == "one\n");
  CHECK(rig.watcher->watched.count("projects") == 0);
  auto h = rig.sync_health();
  CHECK(h.level == HealthLevel::kDegraded);
  CHECK_THAT(h.reason, Catch::Contains("watch limit"));
  // No event ever comes from that folder: the periodic scan finds the new file.
  rig.live.write("projects/s2.jsonl", "two\n");
  REQUIRE(rig.run_until([&] { return rig.published("projects/s2.jsonl") == "two\n"; }, 3000ms));
  // A watched folder is not scanned: a change there without an event stays unpublished.
  rig.live.write("todo.json", "[1]");
  rig.run_for(300ms);
  CHECK(rig.published("todo.json") == "[]");
}
