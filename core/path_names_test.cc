#include "core/path_names.h"

#include <catch2/catch.hpp>

namespace claude {

TEST_CASE("base_name is the last component", "[path_names]") {
  CHECK(base_name("a/b/.credentials.json") == ".credentials.json");
  CHECK(base_name(".claude.json") == ".claude.json");
  CHECK(base_name("/home/al/x") == "x");
  CHECK(base_name("a/") == "");
  CHECK(base_name("") == "");
}

TEST_CASE("parent_path is the folder part, empty at the top", "[path_names]") {
  CHECK(parent_path("a/b/c") == "a/b");
  CHECK(parent_path("c") == "");
  CHECK(parent_path("/c") == "");
  CHECK(parent_path("/a/c") == "/a");
}

TEST_CASE("is_under needs a component boundary and excludes the folder itself", "[path_names]") {
  CHECK(is_under("a/b", "a"));
  CHECK(is_under("a/b/c", "a/b"));
  CHECK_FALSE(is_under("a", "a"));
  CHECK_FALSE(is_under("ab", "a"));
  CHECK_FALSE(is_under("ab/c", "a"));
  CHECK_FALSE(is_under("a", "a/b"));
}

TEST_CASE("is_same_or_under takes the folder itself, and / holds every absolute path",
          "[path_names]") {
  CHECK(is_same_or_under("a", "a"));
  CHECK(is_same_or_under("a/b", "a"));
  CHECK_FALSE(is_same_or_under("ab", "a"));
  CHECK_FALSE(is_same_or_under("b", "a"));
  CHECK(is_same_or_under("/home/al/proj", "/home/al"));
  CHECK_FALSE(is_same_or_under("/home/alice", "/home/al"));
  CHECK(is_same_or_under("/x", "/"));
  CHECK(is_same_or_under("/", "/"));
  CHECK_FALSE(is_same_or_under("x", "/"));
  CHECK_FALSE(is_same_or_under("", "/"));
}

TEST_CASE("has_dotdot finds a '..' component and nothing that only looks like one", "[path_names]") {
  CHECK(has_dotdot(".."));
  CHECK(has_dotdot("../a"));
  CHECK(has_dotdot("a/../b"));
  CHECK(has_dotdot("a/.."));
  CHECK_FALSE(has_dotdot(""));
  CHECK_FALSE(has_dotdot("a/..b"));
  CHECK_FALSE(has_dotdot("..a/b"));
  CHECK_FALSE(has_dotdot("..."));
  CHECK_FALSE(has_dotdot("a/./b"));
}

}  // namespace claude
