#include "core/readback_plan.h"

#include <catch2/catch.hpp>

using namespace claude;

namespace {

TheirEntry file(std::string sha, std::uint64_t size = 10, std::int64_t mtime = 0) {
  TheirEntry t;
  t.sha256 = std::move(sha);
  t.size = size;
  t.mtime_ns = mtime;
  return t;
}
TheirEntry log(std::string sha, std::uint64_t size, bool starts_with_staged = true) {
  TheirEntry t = file(std::move(sha), size);
  t.starts_with_staged = starts_with_staged;
  return t;
}
HostEntry host(std::string sha, std::uint64_t size = 10, std::int64_t mtime = 0) {
  HostEntry h;
  h.kind = HostEntry::kFile;
  h.sha256 = std::move(sha);
  h.size = size;
  h.mtime_ns = mtime;
  return h;
}
const ReadbackStep* step(const ReadbackPlan& p, const std::string& path) {
  for (const auto& s : p.steps)
    if (s.path == path) return &s;
  return nullptr;
}

}  // namespace

TEST_CASE("a staged log gets exactly the bytes the container appended after the staged prefix", "[readback_plan]") {
  ReadbackInput in;
  in.staged["projects/p/s.jsonl"] = {100, "B"};
  in.theirs["projects/p/s.jsonl"] = log("T", 180);
  in.host["projects/p/s.jsonl"] = host("B", 100);
  auto p = plan_readback(in);
  REQUIRE(p.steps.size() == 1);
  CHECK(p.steps[0].kind == StepKind::kAppendLog);
  CHECK(p.steps[0].from == 100);
  CHECK(p.steps[0].to == 180);
  CHECK(p.steps[0].applied == AppliedEntry{false, 180, "T"});
  CHECK(p.writes());
}

TEST_CASE("a host append during the run stays and the container's bytes follow it", "[readback_plan]") {
  ReadbackInput in;
  in.staged["history.jsonl"] = {100, "B"};
  in.theirs["history.jsonl"] = log("T", 150);
  in.host["history.jsonl"] = host("H", 130);  // the host appended 30 bytes meanwhile
  auto p = plan_readback(in);
  REQUIRE(p.steps.size() == 1);
  CHECK(p.steps[0].kind == StepKind::kAppendLog);
  CHECK(p.steps[0].from == 100);
  CHECK(p.steps[0].to == 150);
}

TEST_CASE("a container log that does not begin with the staged bytes is kept beside, never merged", "[readback_plan]") {
  ReadbackInput in;
  in.staged["projects/p/s.jsonl"] = {100, "B"};
  in.theirs["projects/p/s.jsonl"] = log("T", 40, false);
  in.host["projects/p/s.jsonl"] = host("B", 100);
  auto p = plan_readback(in);
  REQUIRE(p.steps.size() == 1);
  CHECK(p.steps[0].kind == StepKind::kKeepTheirsBeside);
  CHECK(p.steps[0].detail.find("rotated or truncated") != std::string::npos);
  CHECK(container_copy_name("projects/p/s.jsonl", "r1") == "projects/p/s.jsonl.container-r1");
}

TEST_CASE("a new log is created whole; one the host has a prefix of gets the rest", "[readback_plan]") {
  ReadbackInput in;
  in.theirs["projects/q/new.jsonl"] = log("T", 70, false);
  in.theirs["projects/q/both.jsonl"] = log("T2", 90, false);
  HostEntry h = host("H", 30);
  h.prefix_of_theirs = true;
  in.host["projects/q/both.jsonl"] = h;
  in.theirs["projects/q/other.jsonl"] = log("T3", 90, false);
  in.host["projects/q/other.jsonl"] = host("H3", 30);
  auto p = plan_readback(in);
  REQUIRE(step(p, "projects/q/new.jsonl"));
  CHECK(step(p, "projects/q/new.jsonl")->kind == StepKind::kCreate);
  REQUIRE(step(p, "projects/q/both.jsonl"));
  CHECK(step(p, "projects/q/both.jsonl")->kind == StepKind::kAppendLog);
  CHECK(step(p, "projects/q/both.jsonl")->from == 30);
  REQUIRE(step(p, "projects/q/other.jsonl"));
  CHECK(step(p, "projects/q/other.jsonl")->kind == StepKind::kKeepTheirsBeside);
}

TEST_CASE("what an earlier read-back of the run applied is never applied again", "[readback_plan]") {
  ReadbackInput in;
  in.staged["h.jsonl"] = {100, "B"};
  in.staged["settings.json"] = {10, "S0"};
  in.theirs["h.jsonl"] = log("T", 180);
  in.theirs["settings.json"] = file("S1");
  in.theirs[".claude.json"] = file("C1");
  in.theirs[".credentials.json"] = file("K1");
  // Later runs changed everything on the host since.
  in.host["h.jsonl"] = host("LATER", 400);
  in.host["settings.json"] = host("S2", 10, 99);
  in.applied["h.jsonl"] = {false, 180, "T"};
  in.applied["settings.json"] = {false, 10, "S1"};
  in.applied[".claude.json"] = {false, 10, "C1"};
  in.applied[".credentials.json"] = {false, 10, "K1"};
  auto p = plan_readback(in);
  CHECK(p.steps.empty());
  CHECK_FALSE(p.writes());

  SECTION("the container's log grew after the first read-back: only the new bytes") {
    in.theirs["h.jsonl"] = log("T'", 260);
    auto q = plan_readback(in);
    REQUIRE(q.steps.size() == 1);
    CHECK(q.steps[0].kind == StepKind::kAppendLog);
    CHECK(q.steps[0].from == 180);
    CHECK(q.steps[0].to == 260);
  }
  SECTION("a file changed again after the first read-back merges against what was applied") {
    in.theirs["settings.json"] = file("S3", 10, 50);
    in.host["settings.json"] = host("S1");
    auto q = plan_readback(in);
    REQUIRE(q.steps.size() == 1);
    CHECK(q.steps[0].kind == StepKind::kReplace);
  }
}

TEST_CASE("the file rules: one-sided changes, both-sided conflicts", "[readback_plan]") {
  auto decide = [](std::optional<std::string> base, std::optional<std::string> ours, std::string theirs,
                   std::int64_t ours_mtime, std::int64_t theirs_mtime) -> std::optional<StepKind> {
    ReadbackInput in;
    if (base) in.staged["f"] = {10, *base};
    if (ours) in.host["f"] = host(*ours, 10, ours_mtime);
    in.theirs["f"] = file(theirs, 10, theirs_mtime);
    auto p = plan_readback(in);
    if (p.steps.empty()) return std::nullopt;
    return p.steps[0].kind;
  };
  CHECK(decide("B", "B", "B", 0, 0) == std::nullopt);
  CHECK(decide("B", "B", "T", 0, 0) == StepKind::kReplace);
  CHECK(decide("B", "T", "T", 0, 0) == std::nullopt);
  CHECK(decide(std::nullopt, std::nullopt, "T", 0, 0) == StepKind::kCreate);
  CHECK(decide("B", "H", "T", 10, 20) == StepKind::kReplaceKeepHost);
  CHECK(decide("B", "H", "T", 30, 20) == StepKind::kKeepTheirsAsConflict);
  CHECK(decide("B", "H", "T", 20, 20) == StepKind::kReplaceKeepHost);
  CHECK(decide("B", std::nullopt, "T", 0, 0) == StepKind::kCreate);
  CHECK(decide(std::nullopt, "H", "T", 0, 1) == StepKind::kReplaceKeepHost);
  CHECK(conflict_name("a/settings.json", "r1") == "a/settings.json.conflict-r1");

  ReadbackInput in;
  in.staged["f"] = {10, "B"};
  HostEntry h = host("H", 10, 30);
  h.conflict_copy_sha256 = "T";
  in.host["f"] = h;
  in.theirs["f"] = file("T", 10, 20);
  CHECK(plan_readback(in).steps.empty());  // kept beside already
}

TEST_CASE("the host's folder or link where the container left a file is never written through", "[readback_plan]") {
  ReadbackInput in;
  in.theirs["commands/x.md"] = file("T");
  HostEntry h;
  h.kind = HostEntry::kOther;
  h.other = "a symlink leading out of the config folder";
  in.host["commands/x.md"] = h;
  auto p = plan_readback(in);
  REQUIRE(p.steps.size() == 1);
  CHECK(p.steps[0].kind == StepKind::kSkip);
  CHECK(p.steps[0].detail.find("symlink leading out") != std::string::npos);
  CHECK_FALSE(p.writes());
}

TEST_CASE("a few deletions of unchanged staged files apply; a bulk one or a session log's is held", "[readback_plan]") {
  ReadbackInput in;
  in.staged["todos/a.json"] = {10, "A"};
  in.staged["todos/b.json"] = {10, "B"};
  in.host["todos/a.json"] = host("A");
  in.host["todos/b.json"] = host("Bchanged");
  in.deleted = {"todos"};
  auto p = plan_readback(in);
  REQUIRE(step(p, "todos/a.json"));
  CHECK(step(p, "todos/a.json")->kind == StepKind::kDelete);
  CHECK(step(p, "todos/a.json")->applied.deleted);
  REQUIRE(step(p, "todos/b.json"));
  CHECK(step(p, "todos/b.json")->kind == StepKind::kSkip);  // changed on the host: kept

  SECTION("a staged session log among the deletions holds them all") {
    in.staged["projects/p/s.jsonl"] = {10, "L"};
    in.host["projects/p/s.jsonl"] = host("L");
    in.deleted.insert("projects");
    auto q = plan_readback(in);
    CHECK(step(q, "todos/a.json")->kind == StepKind::kHoldDelete);
    CHECK(step(q, "projects/p/s.jsonl")->kind == StepKind::kHoldDelete);
    CHECK(step(q, "projects/p/s.jsonl")->detail.find("--accept-deletes") != std::string::npos);
    CHECK_FALSE(q.writes());
    in.accept_deletes = true;
    auto r = plan_readback(in);
    CHECK(step(r, "projects/p/s.jsonl")->kind == StepKind::kDelete);
  }
  SECTION("more than the threshold holds them all") {
    for (int i = 0; i < 11; ++i) {
      std::string f = "commands/c" + std::to_string(i) + ".md";
      in.staged[f] = {10, "X"};
      in.host[f] = host("X");
    }
    in.deleted.insert("commands");
    auto q = plan_readback(in);
    CHECK(step(q, "commands/c0.md")->kind == StepKind::kHoldDelete);
    CHECK(step(q, "todos/a.json")->kind == StepKind::kHoldDelete);
  }
  SECTION("a deletion applied before is not applied again, nor is a file published again") {
    in.applied["todos/a.json"] = {true, 0, ""};
    CHECK(step(plan_readback(in), "todos/a.json") == nullptr);
    in.applied.clear();
    in.theirs["todos/a.json"] = file("A");
    CHECK(step(plan_readback(in), "todos/a.json") == nullptr);
  }
}

TEST_CASE("excluded paths and symlinks", "[readback_plan]") {
  ReadbackInput in;
  in.theirs["debug/x.txt"] = file("T");
  in.excluded = [](const std::string& p) { return p.rfind("debug/", 0) == 0; };
  TheirEntry link;
  link.is_symlink = true;
  link.target = "../x";
  link.sha256 = "L";
  in.theirs["agents/l"] = link;
  in.theirs["agents/same"] = link;
  HostEntry same;
  same.kind = HostEntry::kOther;
  same.other = "a symlink to ../x";
  in.host["agents/same"] = same;
  auto p = plan_readback(in);
  CHECK(step(p, "debug/x.txt")->kind == StepKind::kSkip);
  CHECK(step(p, "agents/l")->kind == StepKind::kSymlink);
  CHECK(step(p, "agents/same") == nullptr);
}

TEST_CASE(".claude.json and credentials are handed to their own steps, once", "[readback_plan]") {
  ReadbackInput in;
  in.theirs[".claude.json"] = file("C");
  in.theirs[".credentials.json"] = file("K");
  in.staged[".claude.json"] = {10, "C0"};
  in.deleted = {".claude.json"};
  auto p = plan_readback(in);
  REQUIRE(p.steps.size() == 2);
  CHECK(p.steps[0].kind == StepKind::kMergeClaudeJson);
  CHECK(p.steps[1].kind == StepKind::kCredentials);
  in.theirs.erase(".claude.json");
  in.host[".claude.json"] = host("C0");
  for (const auto& s : plan_readback(in).steps) CHECK(s.path != ".claude.json");  // never deleted
}
