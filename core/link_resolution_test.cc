#include "core/link_resolution.h"

#include <catch2/catch.hpp>

using claude::LinkTable;
using claude::LinkWhere;
using claude::resolve_link;

TEST_CASE("a chain of links each lexically inside resolves outside through the other link") {
  // a/b/c/s2 -> ../../.. is the root; s1 -> s2/../.ssh then goes to the root's parent.
  LinkTable tree({{"a/b/c/s2", "../../.."}, {"a/b/c/s1", "s2/../.ssh"}});
  auto s2 = resolve_link("a/b/c/s2", "../../..", tree);
  CHECK(s2.where == LinkWhere::kInside);
  CHECK(s2.path.empty());
  auto s1 = resolve_link("a/b/c/s1", "s2/../.ssh", tree);
  CHECK(s1.where == LinkWhere::kOutside);
  CHECK(s1.reason.find("'a/b/c/s2' -> '../../..'") != std::string::npos);
  CHECK_FALSE(claude::link_resolves_inside("a/b/c/s1", "s2/../.ssh", tree));
  // Lexically, s2/../.ssh from a/b/c is a/b/c/.ssh: without s2 being a link it stays in.
  CHECK(resolve_link("a/b/c/s1", "s2/../.ssh", LinkTable{}).path == "a/b/c/.ssh");
}

TEST_CASE("'..' after a link goes to the parent of the link's target") {
  LinkTable tree({{"a/deep", "x/y/z"}});
  auto r = resolve_link("a/s", "deep/../../q", tree);
  REQUIRE(r.where == LinkWhere::kInside);
  CHECK(r.path == "a/x/q");
  // A link pointing at a folder holding a link: both are followed.
  tree.add("a/x/y/z", "../../../b");
  r = resolve_link("a/s", "deep/f", tree);
  REQUIRE(r.where == LinkWhere::kInside);
  CHECK(r.path == "b/f");
}

TEST_CASE("an absolute target or one reached through a link is outside") {
  LinkTable tree({{"abs", "/etc"}});
  auto r = resolve_link("l", "/root/.claude/x", tree);
  CHECK(r.where == LinkWhere::kOutside);
  CHECK(r.reason == "its target is absolute");
  r = resolve_link("dir/l", "../abs/passwd", tree);
  CHECK(r.where == LinkWhere::kOutside);
  CHECK(r.reason.find("'abs' -> '/etc'") != std::string::npos);
}

TEST_CASE("'..' at the root is outside, never clamped to the root as '/..' would be") {
  LinkTable none;
  CHECK(resolve_link("l", "..", none).where == LinkWhere::kOutside);
  CHECK(resolve_link("l", "../.claude/x", none).where == LinkWhere::kOutside);
  CHECK(resolve_link("a/l", "../..", none).where == LinkWhere::kOutside);
  auto r = resolve_link("a/l", "..", none);
  CHECK(r.where == LinkWhere::kInside);
  CHECK(r.path.empty());
  r = resolve_link("a/b/l", "./../.././c//d/", none);
  CHECK(r.where == LinkWhere::kInside);
  CHECK(r.path == "c/d");
}

TEST_CASE("links that loop are refused after the kernel's limit of hops") {
  LinkTable self({{"a", "a"}});
  CHECK(resolve_link("a", "a", self).where == LinkWhere::kLoop);
  LinkTable pair({{"x/p", "q"}, {"x/q", "p"}});
  auto r = resolve_link("x/p", "q", pair);
  CHECK(r.where == LinkWhere::kLoop);
  CHECK(r.reason.find("a loop") != std::string::npos);
  // A long chain under the limit resolves.
  LinkTable chain;
  for (int i = 0; i < 39; ++i) chain.add("l" + std::to_string(i), "l" + std::to_string(i + 1));
  r = resolve_link("start", "l0", chain);
  REQUIRE(r.where == LinkWhere::kInside);
  CHECK(r.path == "l39");
  chain.add("l39", "l40");
  chain.add("l40", "end");
  CHECK(resolve_link("start", "l0", chain).where == LinkWhere::kLoop);
}

TEST_CASE("a dangling link is judged by where it would land") {
  LinkTable none;
  auto r = resolve_link("commands/l.md", "../agents/missing.md", none);
  REQUIRE(r.where == LinkWhere::kInside);
  CHECK(r.path == "agents/missing.md");
  CHECK(resolve_link("l", "missing/../../x", none).where == LinkWhere::kOutside);
  // A dangling link through a link that itself leaves.
  LinkTable out({{"up", "../.."}});
  CHECK(resolve_link("a/l", "../up/missing", out).where == LinkWhere::kOutside);
}

TEST_CASE("the link's own parent folders are resolved through links too") {
  // d is a link to a/b/c; a link written at d/l is physically in a/b/c.
  LinkTable tree({{"d", "a/b/c"}});
  auto r = resolve_link("d/l", "../../../..", tree);
  CHECK(r.where == LinkWhere::kOutside);
  r = resolve_link("d/l", "../../..", tree);
  CHECK(r.where == LinkWhere::kInside);
}

TEST_CASE("targets that are empty or hold a NUL byte are invalid") {
  LinkTable tree({{"e", ""}});
  CHECK(resolve_link("l", "", tree).where == LinkWhere::kInvalid);
  CHECK(resolve_link("l", std::string_view("a\0b", 3), tree).where == LinkWhere::kInvalid);
  CHECK(resolve_link("l", "e/x", tree).where == LinkWhere::kInvalid);
}

TEST_CASE("names are bytes: a target that is not UTF-8 resolves byte for byte") {
  std::string name = "caf\xe9";
  LinkTable tree({{name, "real\xff"}});
  auto r = resolve_link("l", name + "/x", tree);
  REQUIRE(r.where == LinkWhere::kInside);
  CHECK(r.path == "real\xff/x");
}
