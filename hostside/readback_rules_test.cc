#include "hostside/readback_rules.h"

#include <catch2/catch.hpp>

using namespace claude::host;

TEST_CASE("a session log gets the container's new lines appended once", "[readback_rules]") {
  auto u = union_log_lines("a\nb\n", "a\nb\nc\nd\n");
  CHECK(u.merged == "a\nb\nc\nd\n");
  CHECK(u.lines_added == 2);
  auto again = union_log_lines(u.merged, "a\nb\nc\nd\n");
  CHECK(again.lines_added == 0);
  CHECK(again.merged == u.merged);
}

TEST_CASE("lines the host appended meanwhile stay, the container's follow", "[readback_rules]") {
  auto u = union_log_lines("a\nhost\n", "a\nbox1\nbox2\n");
  CHECK(u.merged == "a\nhost\nbox1\nbox2\n");
}

TEST_CASE("an incomplete last line of the container's log is not taken", "[readback_rules]") {
  auto u = union_log_lines("", "x\ny");
  CHECK(u.merged == "x\n");
  CHECK(u.lines_added == 1);
}

TEST_CASE("a host log without a final newline gets one before new lines", "[readback_rules]") {
  auto u = union_log_lines("a", "a\nb\n");
  CHECK(u.merged == "a\nb\n");
  CHECK(union_log_lines("a", "a\n").merged == "a");
}

TEST_CASE("the file rules: one-sided changes, both-sided conflicts, deletions", "[readback_rules]") {
  const std::optional<std::string> B = "base", H = "host", T = "box", none;
  CHECK(decide_file(B, B, B, 0, 0) == FileAction::kNothing);
  CHECK(decide_file(B, B, T, 0, 0) == FileAction::kTakeTheirs);
  CHECK(decide_file(B, H, B, 0, 0) == FileAction::kNothing);
  CHECK(decide_file(B, T, T, 0, 0) == FileAction::kNothing);
  CHECK(decide_file(none, none, T, 0, 0) == FileAction::kTakeTheirs);
  CHECK(decide_file(B, H, T, 10, 20) == FileAction::kTakeTheirsKeepOurs);
  CHECK(decide_file(B, H, T, 30, 20) == FileAction::kKeepOursKeepTheirs);
  CHECK(decide_file(B, H, T, 20, 20) == FileAction::kTakeTheirsKeepOurs);
  CHECK(decide_file(B, B, none, 0, 0) == FileAction::kDelete);
  CHECK(decide_file(B, H, none, 0, 0) == FileAction::kKeepOursDeleted);
  CHECK(decide_file(B, none, T, 0, 0) == FileAction::kTakeTheirs);
  CHECK(decide_file(none, H, T, 0, 1) == FileAction::kTakeTheirsKeepOurs);
  CHECK(conflict_name("a/settings.json", "r1") == "a/settings.json.conflict-r1");
}
