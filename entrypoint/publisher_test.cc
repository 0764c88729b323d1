#include "entrypoint/publisher.h"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <latch>
#include <map>
#include <mutex>
#include <thread>

#include <sys/mman.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "core/link_resolution.h"
#include "core/sha256.h"
#include "entrypoint/test_fakes.h"

using namespace claude;

namespace {

struct Rig {
  FakeLiveTree live;
  FakeOutbox outbox;
  ProjectDirMapper mapper{PathMap::create({{"/home/al/proj", "/workspace/proj"}, {"/home/al", "/root"}}).value()};
  SyncSnapshot snapshot;
  Publisher publisher{live, outbox, mapper, RewriteOptions{}, snapshot};

  PublishResult sync(std::vector<std::string> paths) {
    std::vector<Observation> obs;
    for (auto& p : paths) obs.push_back(live.observe(p));
    return publisher.publish(plan_batch(obs, snapshot));
  }
};

}  // namespace

TEST_CASE("a .json that does not parse is held back and published once it parses") {
  Rig rig;
  rig.live.write("settings.json", R"({"a":1})");
  rig.sync({"settings.json"});
  REQUIRE(rig.outbox.tree["settings.json"] == R"({"a":1})");
  rig.live.write("settings.json", R"({"a":1, "b":)");  // the first half of a write
  auto res = rig.sync({"settings.json"});
  REQUIRE(res.invalid_json.size() == 1);
  CHECK(res.invalid_json[0].first == "settings.json");
  CHECK_THAT(res.invalid_json[0].second, Catch::Contains("line 1 column 13"));
  CHECK(rig.outbox.tree["settings.json"] == R"({"a":1})");  // the last good version stays
  rig.live.write("settings.json", R"({"a":1, "b":2})");
  rig.sync({"settings.json"});
  CHECK(rig.outbox.tree["settings.json"] == R"({"a":1, "b":2})");
}

TEST_CASE("a session log sends only new complete lines, rewritten to host paths, journaled with the whole-file hash") {
  Rig rig;
  const std::string log = "projects/-workspace-proj/s.jsonl";
  rig.live.write(log, "{\"cwd\":\"/workspace/proj\",\"n\":1}\n{\"cwd\":\"/workspace/pr");
  rig.sync({log});
  const std::string out = "projects/-home-al-proj/s.jsonl";
  REQUIRE(rig.outbox.tree.count(out));
  CHECK(rig.outbox.tree[out] == "{\"cwd\":\"/home/al/proj\",\"n\":1}\n");
  rig.live.write(log, rig.live.files[log] + "oj\",\"n\":2}\n{\"cwd\":\"/workspace/proj\",\"n\":3}\n");
  auto res = rig.sync({log});
  CHECK(res.appends == 1);
  CHECK(rig.outbox.tree[out] ==
        "{\"cwd\":\"/home/al/proj\",\"n\":1}\n{\"cwd\":\"/home/al/proj\",\"n\":2}\n{\"cwd\":\"/home/al/proj\",\"n\":3}\n");
  const std::size_t records_before = rig.outbox.journaled.size();
  CHECK(rig.publisher.has_unjournaled_appends());  // held, to share one record
  rig.live.write(log, rig.live.files[log] + "{\"cwd\":\"/workspace/proj\",\"n\":4}\n");
  CHECK(rig.sync({log}).appends == 1);
  REQUIRE(rig.publisher.flush_appends().ok());
  const JournalRecord& last = rig.outbox.journaled.back();
  CHECK(last.op == JournalOp::kAppend);
  CHECK(last.offset == 30);  // one record for both appends
  CHECK(last.size == rig.outbox.tree[out].size());
  CHECK(last.sha256 == sha256_hex(rig.outbox.tree[out]));
  CHECK(rig.outbox.journaled.size() == records_before + 1);
}

TEST_CASE("a rewritten log (the synced block changed) falls back to a whole put") {
  Rig rig;
  const std::string log = "history.jsonl";
  rig.live.write(log, "{\"display\":\"a\"}\n{\"display\":\"b\"}\n");
  rig.sync({log});
  rig.live.write(log, "{\"display\":\"X\"}\n{\"display\":\"b\"}\n{\"display\":\"c\"}\n");
  auto res = rig.sync({log});
  CHECK(res.appends == 0);
  CHECK(res.files == 1);
  CHECK(rig.outbox.tree[log] == rig.live.files[log]);
  CHECK(rig.outbox.journaled.back().op == JournalOp::kPut);
}

TEST_CASE("an outbox error publishes nothing, journals nothing, and the retry succeeds") {
  Rig rig;
  rig.outbox.fail_errno = ENOSPC;
  rig.live.write(".credentials.json", R"({"claudeAiOauth":{"refreshToken":"r2"}})");
  auto res = rig.sync({".credentials.json"});
  CHECK(res.failed == std::vector<std::string>{".credentials.json"});
  REQUIRE(res.error);
  CHECK(res.error->sys_errno == ENOSPC);
  CHECK(rig.outbox.tree.empty());
  CHECK(rig.outbox.journaled.empty());
  CHECK(rig.snapshot.empty());
  rig.outbox.fail_errno = 0;
  res = rig.sync({".credentials.json"});
  CHECK(res.failed.empty());
  CHECK(rig.outbox.tree[".credentials.json"] == rig.live.files[".credentials.json"]);
}

TEST_CASE("credentials the init installed (hold_back) are never published; the container's next write is") {
  Rig rig;
  const std::string own = R"({"claudeAiOauth":{"refreshToken":"container-1","expiresAt":1000}})";
  rig.live.write(".credentials.json", own);
  rig.sync({".credentials.json"});
  REQUIRE(rig.outbox.tree[".credentials.json"] == own);
  const std::size_t records = rig.outbox.journaled.size();

  const std::string installed = R"({"claudeAiOauth":{"refreshToken":"host-2","expiresAt":2000}})";
  rig.publisher.hold_back(".credentials.json", sha256_hex(installed));
  rig.live.write(".credentials.json", installed, /*new_inode=*/true);
  auto res = rig.sync({".credentials.json"});
  CHECK(res.held_back == 1);
  CHECK(res.files == 0);
  CHECK(rig.outbox.tree[".credentials.json"] == own);  // the container's own last write stays
  CHECK(rig.outbox.journaled.size() == records);
  // Looked at again (a barrier): still held back.
  CHECK(rig.sync({".credentials.json"}).held_back == 1);
  CHECK(rig.outbox.tree[".credentials.json"] == own);

  const std::string refreshed = R"({"claudeAiOauth":{"refreshToken":"container-3","expiresAt":3000}})";
  rig.live.write(".credentials.json", refreshed);
  res = rig.sync({".credentials.json"});
  CHECK(res.held_back == 0);
  CHECK(res.files == 1);
  CHECK(rig.outbox.tree[".credentials.json"] == refreshed);
  CHECK(rig.outbox.journaled.size() == records + 1);
}

TEST_CASE("a seeded file whose content did not change is not published again") {
  Rig rig;
  const std::string host = "{\"projects\":{\"/home/al/proj\":{}}}";
  rig.live.write(".claude.json", "{\"projects\":{\"/workspace/proj\":{}}}");
  SyncedEntry seeded;
  seeded.outbox_path = ".claude.json";
  seeded.sha256 = sha256_hex(host);
  seeded.outbox_mode = 0644;
  rig.snapshot[".claude.json"] = seeded;  // the baseline from the stage, facts unknown
  auto res = rig.sync({".claude.json"});
  CHECK(res.unchanged == 1);
  CHECK(rig.outbox.tree.empty());
  CHECK(rig.outbox.journaled.empty());
  // Now that its facts are known, a later look costs nothing at all.
  CHECK(plan_batch({rig.live.observe(".claude.json")}, rig.snapshot).empty());
}

TEST_CASE("deletes and renames propagate to the outbox and the journal") {
  Rig rig;
  rig.live.write("agents/a.md", "A");
  rig.live.write("agents/b.md", "B");
  rig.sync({"agents/a.md", "agents/b.md"});
  // mv agents/a.md agents/c.md; rm agents/b.md
  rig.live.files["agents/c.md"] = rig.live.files["agents/a.md"];
  rig.live.facts_by_path["agents/c.md"] = rig.live.facts_by_path["agents/a.md"];
  rig.live.files.erase("agents/a.md");
  rig.live.files.erase("agents/b.md");
  auto res = rig.sync({"agents/a.md", "agents/b.md", "agents/c.md"});
  CHECK(res.renames == 1);
  CHECK(res.deletes == 1);
  CHECK(rig.outbox.tree == std::map<std::string, std::string>{{"agents/c.md", "A"}});
  CHECK(rig.outbox.journaled[rig.outbox.journaled.size() - 2].op == JournalOp::kRename);
  CHECK(rig.outbox.journaled.back().op == JournalOp::kDelete);
}

// Waits up to 10 s for a counter bumped on another thread to reach `want`.
static bool wait_for(const std::atomic<int>& n, int want) {
  for (int i = 0; i < 10000 && n < want; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return n >= want;
}

TEST_CASE(
    "batches submitted during a commit are staged at once and committed together after it, in "
    "order") {
  Rig rig;
  for (const char* name : {"a.json", "b.json", "c.json"}) rig.live.write(name, R"({"x":1})");
  std::latch hold(1);
  rig.outbox.hold_commits = &hold;
  std::atomic<int> signalled{0};
  auto on_done = [&] { ++signalled; };
  PublishResult none = rig.publisher.submit(plan_batch({rig.live.observe("a.json")}, rig.snapshot), on_done);
  CHECK(none.batches == 0);
  REQUIRE(wait_for(rig.outbox.commits_started, 1));  // the syncer holds "a" in its sync
  // Submitting must not wait for that commit: the hold is let go only once both later
  // batches are staged (after 10 s regardless, and the test fails).
  std::atomic<bool> staged_while_held{false};
  std::thread releaser([&] {
    for (int i = 0; i < 10000 && !staged_while_held; ++i) {
      if (rig.outbox.puts_staged == 3)
        staged_while_held = true;
      else std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    hold.count_down();
  });
  PublishResult b =
      rig.publisher.submit(plan_batch({rig.live.observe("b.json")}, rig.snapshot), on_done);
  PublishResult c =
      rig.publisher.submit(plan_batch({rig.live.observe("c.json")}, rig.snapshot), on_done);
  CHECK(rig.publisher.in_flight_paths() == std::set<std::string>{"a.json", "b.json", "c.json"});
  CHECK(rig.publisher.staged_in_flight() == 3);
  releaser.join();
  CHECK(staged_while_held);
  CHECK(b.batches + c.batches == 0);  // "a" was held throughout both submits
  PublishResult all = rig.publisher.collect();
  CHECK(all.batches == 3);
  CHECK(all.done == std::vector<std::string>{"a.json", "b.json", "c.json"});
  CHECK(all.files == 3);
  CHECK(rig.outbox.commits_started == 2);  // "b" and "c" in one commit: one sync for both
  CHECK(wait_for(signalled, 2));           // on_done runs after the linker lets go of the batch
  CHECK_FALSE(rig.publisher.in_flight());
  CHECK(rig.publisher.in_flight_paths().empty());
  CHECK(rig.publisher.staged_in_flight() == 0);
  CHECK(rig.publisher.collect().batches == 0);  // nothing left in flight
  REQUIRE(rig.outbox.journaled.size() == 3);
  CHECK(rig.outbox.journaled[0].path == "a.json");
  CHECK(rig.outbox.journaled[1].path == "b.json");
  CHECK(rig.outbox.journaled[2].path == "c.json");
  CHECK(rig.snapshot.size() == 3);
}

TEST_CASE("a synced group is put in place and journaled while the next group's sync runs") {
  Rig rig;
  rig.live.write("a.json", R"({"a":1})");
  rig.live.write("b.json", R"({"b":1})");
  std::latch links(1), sync(1);
  rig.outbox.hold_links = &links;
  std::atomic<int> signalled{0};
  auto on_done = [&] { ++signalled; };
  (void)rig.publisher.submit(plan_batch({rig.live.observe("a.json")}, rig.snapshot), on_done);
  REQUIRE(wait_for(rig.outbox.links_started, 1));  // "a" is synced, held before its links
  rig.outbox.hold_commits = &sync;
  (void)rig.publisher.submit(plan_batch({rig.live.observe("b.json")}, rig.snapshot), on_done);
  // The sync of "b" must start while "a" still waits for its links.
  CHECK(wait_for(rig.outbox.commits_started, 2));
  links.count_down();
  // ... and "a" must be put in place and journaled while that sync is still held.
  CHECK(wait_for(signalled, 1));
  PublishResult first = rig.publisher.collect_oldest();
  CHECK(first.done == std::vector<std::string>{"a.json"});
  CHECK(rig.outbox.tree.count("a.json"));
  CHECK_FALSE(rig.outbox.tree.count("b.json"));
  REQUIRE(rig.outbox.journaled.size() == 1);
  sync.count_down();
  CHECK(rig.publisher.collect().done == std::vector<std::string>{"b.json"});
  REQUIRE(rig.outbox.journaled.size() == 2);
  CHECK(rig.outbox.journaled[1].path == "b.json");
  CHECK(wait_for(signalled, 2));  // on_done runs after the linker lets go of the batch
}

TEST_CASE("a committed batch is finished without waiting; the snapshot changes only then") {
  Rig rig;
  rig.live.write("a.json", R"({"a":1})");
  rig.live.write("b.json", R"({"b":1})");
  std::atomic<int> signalled{0};
  // "a"'s commit waits until its submit has returned: a commit done before that would be
  // collected by the submit itself.
  std::latch hold_a(1);
  rig.outbox.hold_commits = &hold_a;
  (void)rig.publisher.submit(plan_batch({rig.live.observe("a.json")}, rig.snapshot),
                             [&] { ++signalled; });
  hold_a.count_down();
  REQUIRE(wait_for(signalled, 1));
  CHECK_FALSE(rig.snapshot.count("a.json"));  // committed, not finished yet
  std::latch hold(1);
  rig.outbox.hold_commits = &hold;
  PublishResult first =
      rig.publisher.submit(plan_batch({rig.live.observe("b.json")}, rig.snapshot), {});
  CHECK(first.batches == 1);  // "a", finished by the submit while "b" is held
  CHECK(first.done == std::vector<std::string>{"a.json"});
  CHECK(rig.snapshot.count("a.json"));
  CHECK(rig.publisher.collect_finished().batches == 0);  // "b" is still in its commit
  CHECK(rig.publisher.in_flight_paths() == std::set<std::string>{"b.json"});
  hold.count_down();
  CHECK(rig.publisher.collect().done == std::vector<std::string>{"b.json"});
  CHECK(rig.snapshot.count("b.json"));
}

TEST_CASE("a batch in flight whose commit fails hands its paths back and journals nothing of them") {
  Rig rig;
  rig.live.write("a.json", R"({"a":1})");
  std::latch hold(1);
  rig.outbox.hold_commits = &hold;
  (void)rig.publisher.submit(plan_batch({rig.live.observe("a.json")}, rig.snapshot), {});
  rig.outbox.fail_errno = EIO;  // the outbox turns bad while the batch waits in its commit
  hold.count_down();
  PublishResult res = rig.publisher.collect();
  CHECK(res.failed == std::vector<std::string>{"a.json"});
  REQUIRE(res.error);
  CHECK(res.error->sys_errno == EIO);
  CHECK(rig.outbox.journaled.empty());
  CHECK(rig.snapshot.empty());
  CHECK(rig.outbox.tree.empty());
}

TEST_CASE("a published link that comes to lead out through another link is removed from the outbox") {
  Rig rig;
  LiveFacts s1;
  s1.kind = EntryKind::kSymlink;
  s1.link_target = "s2/../.ssh";
  s1.inode = 7;
  // Published while a/b/c/s2 was a folder: s2/../.ssh is a/b/c/.ssh, inside.
  auto first = rig.publisher.publish(plan_batch({{"a/b/c/s1", s1}}, rig.snapshot));
  REQUIRE(rig.outbox.tree.count("a/b/c/s1"));
  REQUIRE(first.files == 1);
  // Now s2 is a link to the root: s1 leads to the root's parent.
  claude::LinkTable links({{"a/b/c/s2", "../../.."}, {"a/b/c/s1", "s2/../.ssh"}});
  auto res = rig.publisher.publish(plan_batch({{"a/b/c/s1", s1}}, rig.snapshot, &links));
  REQUIRE(res.skipped.size() == 1);
  CHECK_THAT(res.skipped[0].second, Catch::Contains("leaves the tree"));
  CHECK_FALSE(rig.outbox.tree.count("a/b/c/s1"));
  REQUIRE_FALSE(rig.outbox.journaled.empty());
  CHECK(rig.outbox.journaled.back().op == claude::JournalOp::kDelete);
  CHECK(rig.outbox.journaled.back().path == "a/b/c/s1");
  CHECK_FALSE(rig.snapshot.count("a/b/c/s1"));
  // A skipped entry that was never published leaves the outbox and journal alone.
  const std::size_t records = rig.outbox.journaled.size();
  LiveFacts fifo;
  fifo.kind = EntryKind::kOther;
  fifo.other_type = "FIFO";
  auto again = rig.publisher.publish(plan_batch({{"pipe", fifo}}, rig.snapshot));
  CHECK(again.skipped.size() == 1);
  CHECK(rig.outbox.journaled.size() == records);
}

TEST_CASE("a log's next lines are appended while the batch of its last append waits for its sync") {
  Rig rig;
  const std::string log = "history.jsonl";
  rig.live.write(log, "{\"n\":1}\n");
  rig.sync({log});  // the first version, put whole
  std::latch hold(1);
  rig.outbox.hold_commits = &hold;  // every sync from here on waits (a slow filesystem)
  rig.live.write(log, rig.live.files[log] + "{\"n\":2}\n");
  rig.live.write("settings.json", R"({"a":1})");
  (void)rig.publisher.submit(plan_batch({rig.live.observe(log), rig.live.observe("settings.json")}, rig.snapshot), {});
  // The append is in the outbox file and the snapshot now; only the put waits in flight.
  CHECK(rig.outbox.tree[log] == "{\"n\":1}\n{\"n\":2}\n");
  CHECK(rig.publisher.in_flight_paths() == std::set<std::string>{"settings.json"});
  rig.live.write(log, rig.live.files[log] + "{\"n\":3}\n");
  auto plan = plan_batch({rig.live.observe(log)}, rig.snapshot);
  REQUIRE(plan.size() == 1);
  CHECK(plan[0].kind == PlanKind::kAppend);
  (void)rig.publisher.submit(plan, {});
  CHECK(rig.outbox.tree[log] == "{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n");
  hold.count_down();
  PublishResult res = rig.publisher.collect();
  CHECK(res.appends == 2);
  CHECK(res.failed.empty());
  REQUIRE(rig.publisher.flush_appends().ok());
  const JournalRecord& last = rig.outbox.journaled.back();
  CHECK(last.op == JournalOp::kAppend);
  CHECK(last.size == rig.outbox.tree[log].size());
  CHECK(rig.snapshot.at(log).outbox_size == rig.outbox.tree[log].size());
}

TEST_CASE("a file that is not rewritten is copied from its fd; a touch with the same bytes stages nothing") {
  Rig rig;
  rig.live.write("todos/blob.bin", std::string("\0bin\xff", 5));
  auto res = rig.sync({"todos/blob.bin"});
  CHECK(res.files == 1);
  CHECK(rig.outbox.copies_staged == 1);
  CHECK(rig.outbox.tree["todos/blob.bin"] == std::string("\0bin\xff", 5));
  REQUIRE(!rig.outbox.journaled.empty());
  CHECK(rig.outbox.journaled.back().sha256 == sha256_hex(std::string("\0bin\xff", 5)));
  CHECK(rig.outbox.journaled.back().size == 5);
  rig.live.write("todos/blob.bin", std::string("\0bin\xff", 5));  // touched: new mtime, same bytes
  res = rig.sync({"todos/blob.bin"});
  CHECK(res.unchanged == 1);
  CHECK(rig.outbox.copies_staged == 1);
  rig.live.write("todos/blob.bin", "other");
  CHECK(rig.sync({"todos/blob.bin"}).files == 1);
  CHECK(rig.outbox.copies_staged == 2);
  CHECK(rig.outbox.tree["todos/blob.bin"] == "other");
  // JSON files are still read, checked and rewritten.
  rig.live.write("settings.json", R"({"a":1})");
  rig.sync({"settings.json"});
  CHECK(rig.outbox.copies_staged == 2);
}

TEST_CASE("a .json or a new .jsonl above the cap is held back, named with the cap, and never read") {
  Rig rig;
  rig.live.write("settings.json", R"({"a":1})");
  rig.sync({"settings.json"});
  for (const std::string path : {"settings.json", "todos/t.json", "projects/-w/s.jsonl"}) {
    rig.live.write(path, R"({"a":2})");
    rig.live.facts_by_path[path].size = kMaxRewriteBytes + 1;  // what the fstat says
    auto res = rig.sync({path});
    REQUIRE(res.too_large.size() == 1);
    CHECK(res.too_large[0].first == path);
    CHECK(res.too_large[0].second.message().find(path) != std::string::npos);
    CHECK(res.too_large[0].second.message().find("64 MiB") != std::string::npos);
    CHECK(res.failed.empty());
    CHECK(res.done.empty());
  }
  CHECK(rig.outbox.tree["settings.json"] == R"({"a":1})");  // the last good version stays
  CHECK_FALSE(rig.outbox.tree.count("todos/t.json"));
  rig.live.write("settings.json", R"({"a":3})");  // small again
  auto res = rig.sync({"settings.json"});
  CHECK(res.too_large.empty());
  CHECK(rig.outbox.tree["settings.json"] == R"({"a":3})");
}

TEST_CASE("an append larger than a chunk is published whole in chunks; a line longer than a chunk too") {
  Rig rig;
  const std::string log = "projects/-w/s.jsonl";
  rig.live.write(log, "{\"n\":0}\n");
  rig.sync({log});
  std::string more;
  while (more.size() < kAppendChunk * 2 + 1000) more += "{\"text\":\"" + std::string(1000, 'x') + "\"}\n";
  more += "{\"long\":\"" + std::string(kAppendChunk + 10, 'y') + "\"}\n";  // one line longer than a chunk
  more += "{\"partial\":";                                                    // no newline yet
  rig.live.write(log, rig.live.files[log] + more);
  auto res = rig.sync({log});
  CHECK(res.appends == 1);
  CHECK(res.failed.empty());
  const std::string& live = rig.live.files[log];
  CHECK(rig.outbox.tree[log] == live.substr(0, live.rfind('\n') + 1));
  REQUIRE(rig.publisher.flush_appends().ok());
  CHECK(rig.outbox.journaled.back().sha256 == sha256_hex(rig.outbox.tree[log]));
  // A torn line longer than the cap: named, nothing more published.
  const std::size_t before = rig.outbox.tree[log].size();
  rig.live.write(log, live + std::string(kMaxRewriteBytes + 1, 'z'));
  res = rig.sync({log});
  REQUIRE(res.too_large.size() == 1);
  CHECK(res.too_large[0].first == log);
  CHECK(rig.outbox.tree[log].size() == before);
}

TEST_CASE("a path that changed kind: what the snapshot holds at a parent or under it leaves the outbox first") {
  Rig rig;
  rig.live.write("commands", "a file");
  rig.sync({"commands"});
  REQUIRE(rig.outbox.tree.count("commands"));
  // commands became a folder; only the file inside is planned.
  rig.live.files.erase("commands");
  rig.live.facts_by_path.erase("commands");
  rig.live.write("commands/a.md", "a");
  auto res = rig.sync({"commands/a.md"});
  CHECK(res.failed.empty());
  CHECK(res.deletes == 1);
  CHECK_FALSE(rig.outbox.tree.count("commands"));
  CHECK(rig.outbox.tree["commands/a.md"] == "a");
  CHECK_FALSE(rig.snapshot.count("commands"));
  bool journaled_delete = false;
  for (const JournalRecord& r : rig.outbox.journaled) journaled_delete |= r.op == JournalOp::kDelete && r.path == "commands";
  CHECK(journaled_delete);
  // And back: commands is a file again; only it is planned.
  rig.live.files.erase("commands/a.md");
  rig.live.facts_by_path.erase("commands/a.md");
  rig.live.write("commands", "a file again");
  res = rig.sync({"commands"});
  CHECK(res.failed.empty());
  CHECK_FALSE(rig.outbox.tree.count("commands/a.md"));
  CHECK_FALSE(rig.snapshot.count("commands/a.md"));
  CHECK(rig.outbox.tree["commands"] == "a file again");
}
