#include "core/json_merge.h"

#include <catch2/catch.hpp>

using claude::merge_json_three_way;
using nlohmann::json;

namespace {

// One row of the merge table: documents as JSON text ("" = absent), the expected merged
// document ("" = absent) and the JSON pointers expected to be reported as conflicts.
struct MergeCase {
  const char* name;
  const char* base;
  const char* ours;
  const char* theirs;
  const char* merged;
  std::vector<std::string> conflicts;
};

std::optional<json> doc(const char* text) {
  if (std::string(text).empty()) return std::nullopt;
  return json::parse(text);
}

const MergeCase kCases[] = {
    {"nothing changed", R"({"a":1})", R"({"a":1})", R"({"a":1})", R"({"a":1})", {}},
    {"both sides add different keys", R"({"a":1})", R"({"a":1,"h":2})", R"({"a":1,"c":3})",
     R"({"a":1,"h":2,"c":3})", {}},
    {"same key changed on our side only", R"({"a":1,"b":1})", R"({"a":2,"b":1})", R"({"a":1,"b":1})",
     R"({"a":2,"b":1})", {}},
    {"same key changed on their side only", R"({"a":1,"b":1})", R"({"a":1,"b":1})", R"({"a":1,"b":9})",
     R"({"a":1,"b":9})", {}},
    {"same key changed identically on both sides", R"({"a":1})", R"({"a":5})", R"({"a":5})", R"({"a":5})", {}},
    {"same key changed differently on both sides: theirs wins, conflict listed", R"({"a":1})", R"({"a":2})",
     R"({"a":3})", R"({"a":3})", {"/a"}},
    {"both sides add the same new key with different values", R"({})", R"({"n":"host"})",
     R"({"n":"container"})", R"({"n":"container"})", {"/n"}},
    {"deleted on our side, unchanged on theirs: stays deleted", R"({"a":1,"b":2})", R"({"a":1})",
     R"({"a":1,"b":2})", R"({"a":1})", {}},
    {"deleted on their side, unchanged on ours: stays deleted", R"({"a":1,"b":2})", R"({"a":1,"b":2})",
     R"({"a":1})", R"({"a":1})", {}},
    {"deleted on both sides", R"({"a":1,"b":2})", R"({"a":1})", R"({"a":1})", R"({"a":1})", {}},
    {"deleted on our side, edited on theirs: the edit wins, conflict listed", R"({"b":2})", R"({})",
     R"({"b":3})", R"({"b":3})", {"/b"}},
    {"edited on our side, deleted on theirs: the deletion wins, conflict listed", R"({"b":2})",
     R"({"b":3})", R"({})", R"({})", {"/b"}},
    {"nested objects merge key by key",
     R"({"projects":{"/p":{"x":1,"y":1}}})",
     R"({"projects":{"/p":{"x":2,"y":1}}})",
     R"({"projects":{"/p":{"x":1,"y":2},"/q":{}}})",
     R"({"projects":{"/p":{"x":2,"y":2},"/q":{}}})", {}},
    {"nested conflict is reported with an escaped pointer",
     R"({"projects":{"/home/al":{"t":1}}})",
     R"({"projects":{"/home/al":{"t":2}}})",
     R"({"projects":{"/home/al":{"t":3}}})",
     R"({"projects":{"/home/al":{"t":3}}})", {"/projects/~1home~1al/t"}},
    {"both sides add a nested object under a new key: merged",
     R"({})", R"({"m":{"a":1}})", R"({"m":{"b":2}})", R"({"m":{"a":1,"b":2}})", {}},
    {"array changed on one side takes that side", R"({"l":[1,2]})", R"({"l":[2]})", R"({"l":[1,2]})",
     R"({"l":[2]})", {}},
    {"arrays both appended: union, ours first", R"({"l":[1]})", R"({"l":[1,2]})", R"({"l":[1,3]})",
     R"({"l":[1,2,3]})", {}},
    {"arrays both appended the same element: not doubled", R"({"l":[1]})", R"({"l":[1,2]})",
     R"({"l":[1,2,3]})", R"({"l":[1,2,3]})", {}},
    {"array reordered on one side and appended on the other: a conflict", R"({"l":[1,2]})",
     R"({"l":[2,1]})", R"({"l":[1,2,3]})", R"({"l":[1,2,3]})", {"/l"}},
    {"array shortened on both sides differently: a conflict", R"({"l":[1,2,3]})", R"({"l":[1]})",
     R"({"l":[2]})", R"({"l":[2]})", {"/l"}},
    {"type changed on both sides: a conflict", R"({"v":{"a":1}})", R"({"v":[1]})", R"({"v":"s"})",
     R"({"v":"s"})", {"/v"}},
    {"file absent at stage time, created on both sides: keys merged", "", R"({"a":1})", R"({"b":2})",
     R"({"a":1,"b":2})", {}},
    {"file deleted on the host, unchanged in the container: stays deleted", R"({"a":1})", "",
     R"({"a":1})", "", {}},
    {"file absent on the host and in the container", R"({"a":1})", "", "", "", {}},
    {"root replaced by a scalar on one side", R"({"a":1})", R"({"a":1})", "3", "3", {}},
};

}  // namespace

TEST_CASE("three-way JSON merge follows the table of cases", "[json_merge]") {
  for (const MergeCase& c : kCases) {
    SECTION(c.name) {
      auto result = merge_json_three_way(doc(c.base), doc(c.ours), doc(c.theirs));
      auto expected = doc(c.merged);
      REQUIRE(result.merged.has_value() == expected.has_value());
      if (expected) CHECK(*result.merged == *expected);
      std::vector<std::string> pointers;
      for (const auto& conflict : result.conflicts) pointers.push_back(conflict.pointer);
      CHECK(pointers == c.conflicts);
    }
  }
}

TEST_CASE("a conflict keeps all three values for the report", "[json_merge]") {
  auto result = merge_json_three_way(json::parse(R"({"a":1})"), json::parse(R"({"a":2})"),
                                     json::parse(R"({})"));
  REQUIRE(result.conflicts.size() == 1);
  json report = claude::conflict_to_json(result.conflicts[0]);
  CHECK(report["base"] == 1);
  CHECK(report["ours"] == 2);
  CHECK(report["theirs"].is_null());
  CHECK(report["theirs_absent"] == true);
  CHECK_FALSE(report.contains("ours_absent"));
}

TEST_CASE("merging the merged result again changes nothing", "[json_merge]") {
  // Idempotence of read-back: the second run sees ours == the first run's result.
  for (const MergeCase& c : kCases) {
    auto first = merge_json_three_way(doc(c.base), doc(c.ours), doc(c.theirs));
    auto second = merge_json_three_way(doc(c.base), first.merged, doc(c.theirs));
    CHECK(second.merged == first.merged);
    CHECK(second.conflicts.empty());
  }
}
