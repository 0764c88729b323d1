#include "entrypoint/commit_pipeline.h"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <latch>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "entrypoint/test_fakes.h"

using namespace claude;

namespace {

// Waits up to 10 s for a counter bumped on another thread to reach `want`.
bool wait_for(const std::atomic<int>& n, int want) {
  for (int i = 0; i < 10000 && n < want; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return n >= want;
}

// A batch of one staged file `rel` (a put journaled once it is visible) and, when given, a
// record that needs nothing visible (a delete of `gone`).
std::unique_ptr<CommitBatch> stage(FakeOutbox& outbox, const std::string& rel, const std::string& gone = "") {
  auto b = std::make_unique<CommitBatch>();
  REQUIRE(outbox.stage_put(rel, "bytes of " + rel, 0644).ok());
  b->set = outbox.take_staged();
  b->staged_paths.push_back(rel);
  if (!gone.empty()) {
    JournalRecord d;
    d.op = JournalOp::kDelete;
    d.path = gone;
    b->records.emplace_back(std::move(d), std::string());
  }
  JournalRecord r;
  r.op = JournalOp::kPut;
  r.path = rel;
  b->records.emplace_back(std::move(r), rel);
  return b;
}

std::vector<std::string> journaled_paths(const FakeOutbox& outbox) {
  std::vector<std::string> paths;
  for (const JournalRecord& r : outbox.journaled) paths.push_back(r.path);
  return paths;
}

}  // namespace

TEST_CASE("commit pipeline: batches are put in place and journaled in submission order") {
  FakeOutbox outbox;
  CommitPipeline pipeline(outbox);
  // The first batch is held in its sync while the others queue behind it.
  std::latch hold(1);
  outbox.hold_commits = &hold;
  std::vector<std::unique_ptr<CommitBatch>> batches;
  for (const char* name : {"a", "b", "c", "d"}) {
    batches.push_back(stage(outbox, name));
    pipeline.submit(*batches.back(), {});
    if (batches.size() == 1) REQUIRE(wait_for(outbox.commits_started, 1));
  }
  CHECK(pipeline.committed() == 0);
  hold.count_down();
  CHECK(pipeline.wait_committed(4) == 4);
  CHECK(journaled_paths(outbox) == std::vector<std::string>{"a", "b", "c", "d"});
  for (const auto& b : batches) {
    CHECK(b->commit_status.ok());
    CHECK(b->journal_status.ok());
    CHECK(b->visible == std::set<std::string>(b->staged_paths.begin(), b->staged_paths.end()));
    REQUIRE(b->journaled.size() == 1);
    CHECK(b->journaled[0].path == b->staged_paths[0]);
  }
  pipeline.release(4);
  CHECK(pipeline.committed() == 0);
}

TEST_CASE("commit pipeline: the batches queued during a sync are made durable with one sync") {
  FakeOutbox outbox;
  CommitPipeline pipeline(outbox);
  std::latch hold(1);
  outbox.hold_commits = &hold;
  auto first = stage(outbox, "first");
  pipeline.submit(*first, {});
  REQUIRE(wait_for(outbox.commits_started, 1));
  std::vector<std::unique_ptr<CommitBatch>> later;
  for (const char* name : {"x", "y", "z"}) {
    later.push_back(stage(outbox, name));
    pipeline.submit(*later.back(), {});
  }
  hold.count_down();
  CHECK(pipeline.wait_committed(4) == 4);
  CHECK(outbox.commits_started == 2);  // "first" alone, then x, y and z as one group
  CHECK(outbox.links_started == 2);
  CHECK(outbox.tree.size() == 4);
  pipeline.release(4);
}

TEST_CASE("commit pipeline: on_done is called after each group, once it is committed") {
  FakeOutbox outbox;
  CommitPipeline pipeline(outbox);
  std::atomic<int> calls{0};
  std::mutex seen_mu;
  std::vector<std::size_t> seen;  // journal records written when each on_done ran
  auto on_done = [&] {
    {
      std::lock_guard lock(seen_mu);
      seen.push_back(outbox.journaled.size());
    }
    ++calls;
  };
  std::latch hold(1);
  outbox.hold_commits = &hold;
  auto a = stage(outbox, "a");
  pipeline.submit(*a, on_done);
  REQUIRE(wait_for(outbox.commits_started, 1));
  auto b = stage(outbox, "b");
  auto c = stage(outbox, "c");
  pipeline.submit(*b, on_done);
  pipeline.submit(*c, on_done);
  CHECK(calls == 0);  // nothing committed yet
  hold.count_down();
  REQUIRE(wait_for(calls, 2));
  CHECK(pipeline.wait_committed(3) == 3);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CHECK(calls == 2);  // two groups: "a", then "b" and "c"
  std::lock_guard lock(seen_mu);
  CHECK(seen == std::vector<std::size_t>{1, 3});
  pipeline.release(3);
}

TEST_CASE("commit pipeline: a failed sync puts nothing of its group in place; records that need nothing visible are still journaled") {
  FakeOutbox outbox;
  CommitPipeline pipeline(outbox);
  std::latch hold(1);
  outbox.hold_commits = &hold;
  auto b = stage(outbox, "kept", "removed");
  pipeline.submit(*b, {});
  REQUIRE(wait_for(outbox.commits_started, 1));
  outbox.fail_sync_errno = EIO;
  hold.count_down();
  REQUIRE(pipeline.wait_committed(1) == 1);
  REQUIRE_FALSE(b->commit_status.ok());
  CHECK(b->commit_status.error().sys_errno == EIO);
  CHECK(b->visible.empty());
  CHECK(outbox.tree.empty());
  CHECK(journaled_paths(outbox) == std::vector<std::string>{"removed"});
  pipeline.release(1);
}

TEST_CASE("commit pipeline: the destructor commits the batches still queued before it returns") {
  FakeOutbox outbox;
  std::latch hold(1);
  std::vector<std::unique_ptr<CommitBatch>> batches;
  std::optional<std::thread> releaser;
  {
    CommitPipeline pipeline(outbox);
    outbox.hold_commits = &hold;
    for (const char* name : {"a", "b", "c"}) {
      batches.push_back(stage(outbox, name));
      pipeline.submit(*batches.back(), {});
      if (batches.size() == 1) REQUIRE(wait_for(outbox.commits_started, 1));  // "a" alone in its sync
    }
    // The sync is let go of only after a pause, so the destructor starts while "a" is in
    // its sync and "b" and "c" wait in the queue.
    releaser.emplace([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      hold.count_down();
    });
  }
  releaser->join();
  CHECK(outbox.tree.size() == 3);
  CHECK(journaled_paths(outbox) == std::vector<std::string>{"a", "b", "c"});
}

TEST_CASE("commit pipeline: commit_now commits one batch on the caller's thread") {
  FakeOutbox outbox;
  CommitPipeline pipeline(outbox);
  auto b = stage(outbox, "now", "before");
  pipeline.commit_now(*b);
  CHECK(b->commit_status.ok());
  CHECK(b->visible == std::set<std::string>{"now"});
  CHECK(journaled_paths(outbox) == std::vector<std::string>{"before", "now"});
  CHECK(outbox.commits_started == 1);
  CHECK(pipeline.committed() == 0);  // nothing in flight: the caller finished it already
}
