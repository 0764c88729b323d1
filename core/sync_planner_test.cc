#include "core/sync_planner.h"

#include "core/link_resolution.h"

#include <catch2/catch.hpp>

using namespace claude;

namespace {
LiveFacts file(std::uint64_t inode, std::uint64_t size, std::int64_t mtime, std::uint32_t mode = 0644) {
  LiveFacts f;
  f.kind = EntryKind::kFile;
  f.inode = inode;
  f.size = size;
  f.mtime_ns = mtime;
  f.mode = mode;
  return f;
}
SyncedEntry synced(LiveFacts f, bool in_outbox = true) {
  SyncedEntry e;
  e.facts = f;
  e.in_outbox = in_outbox;
  e.live_offset = f.size;
  return e;
}
}  // namespace

TEST_CASE("an unchanged file plans nothing, a changed one a whole put") {
  SyncSnapshot snap{{"settings.json", synced(file(7, 10, 100))}};
  CHECK(plan_batch({{"settings.json", file(7, 10, 100)}}, snap).empty());
  auto ops = plan_batch({{"settings.json", file(7, 12, 200)}}, snap);
  REQUIRE(ops.size() == 1);
  CHECK(ops[0].kind == PlanKind::kPut);
}

TEST_CASE("file_unchanged is true exactly where plan_path plans nothing for a file") {
  const SyncedEntry same = synced(file(7, 10, 100));
  SyncedEntry never_compared;
  never_compared.sha256 = "x";
  LiveFacts link;
  link.kind = EntryKind::kSymlink;
  link.link_target = "a";
  const SyncedEntry was_link = synced(link);
  struct Case {
    LiveFacts now;
    const SyncedEntry* synced;
    bool unchanged;
  };
  for (const Case& c : {Case{file(7, 10, 100), &same, true}, Case{file(7, 11, 100), &same, false},
                        Case{file(7, 10, 101), &same, false}, Case{file(8, 10, 100), &same, false},
                        Case{file(7, 10, 100, 0600), &same, false}, Case{file(7, 10, 100), nullptr, false},
                        Case{file(7, 10, 100), &never_compared, false}, Case{file(7, 10, 100), &was_link, false},
                        Case{link, &was_link, false}}) {
    CHECK(file_unchanged(c.now, c.synced) == c.unchanged);
    if (c.now.kind == EntryKind::kFile) {
      CHECK((plan_path(Observation{"f.json", c.now}, c.synced).kind == PlanKind::kNothing) == c.unchanged);
    }
  }
}

TEST_CASE("a new file and a baseline never compared are put (the publisher compares content)") {
  SyncSnapshot snap;
  SyncedEntry unknown;
  unknown.sha256 = "x";
  snap["old.md"] = unknown;
  auto ops = plan_batch({{"new.md", file(1, 3, 1)}, {"old.md", file(2, 3, 1)}}, snap);
  REQUIRE(ops.size() == 2);
  CHECK(ops[0].kind == PlanKind::kPut);
  CHECK(ops[1].kind == PlanKind::kPut);
}

TEST_CASE("a grown session log in the outbox is appended to, a shrunk or replaced one put whole") {
  SyncSnapshot snap{{"projects/p/s.jsonl", synced(file(9, 100, 1))}};
  CHECK(plan_path({"projects/p/s.jsonl", file(9, 150, 2)}, &snap["projects/p/s.jsonl"]).kind == PlanKind::kAppend);
  CHECK(plan_path({"projects/p/s.jsonl", file(9, 50, 2)}, &snap["projects/p/s.jsonl"]).kind == PlanKind::kPut);
  CHECK(plan_path({"projects/p/s.jsonl", file(10, 150, 2)}, &snap["projects/p/s.jsonl"]).kind == PlanKind::kPut);
  // Seeded only (the host has it, the outbox not yet): the first change is a whole put.
  SyncedEntry seeded = synced(file(9, 100, 1), false);
  CHECK(plan_path({"projects/p/s.jsonl", file(9, 150, 2)}, &seeded).kind == PlanKind::kPut);
}

TEST_CASE("a vanished path is deleted whether the outbox or only the stage had it") {
  SyncSnapshot snap{{"a", synced(file(1, 1, 1))}, {"b", synced(file(2, 1, 1), false)}};
  auto ops = plan_batch({{"a", std::nullopt}, {"b", std::nullopt}, {"never", std::nullopt}}, snap);
  REQUIRE(ops.size() == 2);
  CHECK(ops[0].kind == PlanKind::kDelete);
  CHECK(ops[1].kind == PlanKind::kDelete);
}

TEST_CASE("a path that vanished while another appeared with the same inode is a rename") {
  SyncSnapshot snap{{"agents/old.md", synced(file(42, 5, 9))}};
  auto ops = plan_batch({{"agents/old.md", std::nullopt}, {"agents/new.md", file(42, 5, 9)}}, snap);
  REQUIRE(ops.size() == 1);
  CHECK(ops[0].kind == PlanKind::kRename);
  CHECK(ops[0].from == "agents/old.md");
  CHECK(ops[0].path == "agents/new.md");
}

TEST_CASE("a rename followed by a change is a delete and a put, not a rename") {
  SyncSnapshot snap{{"a.md", synced(file(42, 5, 9))}};
  auto ops = plan_batch({{"a.md", std::nullopt}, {"b.md", file(42, 8, 11)}}, snap);
  REQUIRE(ops.size() == 2);
  CHECK(ops[0].kind == PlanKind::kDelete);  // a.md
  CHECK(ops[1].kind == PlanKind::kPut);     // b.md
}

TEST_CASE("links inside the tree are published, links out of it and special files skipped") {
  LiveFacts in;
  in.kind = EntryKind::kSymlink;
  in.link_target = "../agents/a.md";
  LiveFacts out = in;
  out.link_target = "../../etc/passwd";
  LiveFacts abs = in;
  abs.link_target = "/etc/passwd";
  LiveFacts fifo;
  fifo.kind = EntryKind::kOther;
  fifo.other_type = "FIFO";
  CHECK(plan_path({"commands/a.md", in}, nullptr).kind == PlanKind::kSymlink);
  auto skip_out = plan_path({"commands/b.md", out}, nullptr);
  CHECK(skip_out.kind == PlanKind::kSkip);
  CHECK_THAT(skip_out.reason, Catch::Contains("leaves the tree"));
  CHECK(plan_path({"x", abs}, nullptr).kind == PlanKind::kSkip);
  CHECK(plan_path({"pipe", fifo}, nullptr).kind == PlanKind::kSkip);
}

TEST_CASE("a link is judged through the tree's other links, published or not") {
  // a/b/c/s2 -> ../../.. (the root) and a/b/c/s1 -> s2/../.ssh (the root's parent).
  claude::LinkTable tree({{"a/b/c/s2", "../../.."}, {"a/b/c/s1", "s2/../.ssh"}});
  LiveFacts s1;
  s1.kind = EntryKind::kSymlink;
  s1.link_target = "s2/../.ssh";
  LiveFacts s2 = s1;
  s2.link_target = "../../..";
  auto ops = claude::plan_batch({{"a/b/c/s1", s1}, {"a/b/c/s2", s2}}, {}, &tree);
  REQUIRE(ops.size() == 2);
  CHECK(ops[0].path == "a/b/c/s1");
  CHECK(ops[0].kind == PlanKind::kSkip);
  CHECK_THAT(ops[0].reason, Catch::Contains("'a/b/c/s2' -> '../../..'"));
  CHECK(ops[1].kind == PlanKind::kSymlink);
  // Already published, unchanged itself, but now leading out through a new link: skipped.
  SyncSnapshot snap{{"a/b/c/s1", synced(s1)}};
  CHECK(plan_path({"a/b/c/s1", s1}, &snap.at("a/b/c/s1"), &tree).kind == PlanKind::kSkip);
  CHECK(plan_path({"a/b/c/s1", s1}, &snap.at("a/b/c/s1"), nullptr).kind == PlanKind::kNothing);
  // A loop never resolves.
  claude::LinkTable loop({{"l1", "l2"}, {"l2", "l1"}});
  LiveFacts l1 = s1;
  l1.link_target = "l2";
  auto looped = plan_path({"l1", l1}, nullptr, &loop);
  CHECK(looped.kind == PlanKind::kSkip);
  CHECK_THAT(looped.reason, Catch::Contains("never resolves"));
}

TEST_CASE("a mode change alone republishes the file") {
  SyncSnapshot snap{{".credentials.json", synced(file(3, 40, 5, 0644))}};
  CHECK(plan_path({".credentials.json", file(3, 40, 5, 0600)}, &snap[".credentials.json"]).kind == PlanKind::kPut);
}

TEST_CASE("logs and credentials are urgent; other files being written settle") {
  CHECK(urgency_for("projects/p/s.jsonl", false) == Urgency::kNow);
  CHECK(urgency_for(".credentials.json", false) == Urgency::kNow);
  CHECK(urgency_for("settings.json", false) == Urgency::kSettle);
  CHECK(urgency_for("settings.json", true) == Urgency::kNow);
  CHECK(is_append_only("history.jsonl"));
  CHECK_FALSE(is_append_only("a.json"));
  CHECK(must_parse_as_json(".claude.json"));
}

TEST_CASE("a folder where the snapshot has a file or link is a delete; a folder never synced plans nothing") {
  LiveFacts dir;
  dir.kind = EntryKind::kDirectory;
  dir.inode = 9;
  SyncSnapshot snap{{"commands", synced(file(3, 4, 5))}};
  auto ops = plan_batch({{"commands", dir}, {"agents", dir}}, snap);
  REQUIRE(ops.size() == 1);
  CHECK(ops[0].path == "commands");
  CHECK(ops[0].kind == PlanKind::kDelete);
}
