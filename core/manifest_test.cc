#include "core/manifest.h"

#include <catch2/catch.hpp>

#include "core/byte_names.h"
#include "core/sha256.h"

using claude::Manifest;
using claude::ManifestFile;

namespace {

Manifest sample() {
  Manifest m;
  m.run_id = "r-1";
  m.trace_id = "t-1";
  m.created_at = "2026-11-22T00:00:00Z";
  m.mapping = *claude::PathMap::create({{"/home/al", "/root"}, {"/home/al/proj", "/workspace/proj"}});
  m.files = {{".claude.json", 12, claude::sha256_hex("x"), 0600},
             {"projects/-home-al-proj/a.jsonl", 0, claude::sha256_hex(""), 0644}};
  m.symlinks = {{"commands/link.md", "../agents/a.md"}};
  return m;
}

// The sample's JSON with one field changed by f.
std::string edited(void (*f)(nlohmann::json&)) {
  nlohmann::json j = sample().to_json();
  f(j);
  return j.dump();
}

}  // namespace

TEST_CASE("a manifest survives to_json and parse") {
  Manifest m = sample();
  nlohmann::json j = m.to_json();
  CHECK(j["format"] == "claude-stage/1");
  CHECK(j["mapping"][0]["host"] == "/home/al/proj");
  auto back = Manifest::parse(j.dump(2), "manifest.json");
  REQUIRE(back.ok());
  CHECK(back->run_id == "r-1");
  CHECK(back->trace_id == "t-1");
  CHECK(back->created_at == m.created_at);
  CHECK(back->mapping.mappings() == m.mapping.mappings());
  CHECK(back->files == m.files);
  CHECK(back->symlinks == m.symlinks);
}

TEST_CASE("a manifest of a newer or foreign format is refused, naming the file") {
  auto newer = Manifest::parse(edited([](nlohmann::json& j) { j["format"] = "claude-stage/2"; }),
                               "/run/claude/stage/manifest.json");
  REQUIRE_FALSE(newer.ok());
  CHECK(newer.error().path == "/run/claude/stage/manifest.json");
  CHECK(newer.error().detail.find("claude-stage/2") != std::string::npos);
  CHECK(newer.error().fix.find("claude-host stage") != std::string::npos);
  CHECK(Manifest::parse(edited([](nlohmann::json& j) { j["format"] = "claude-stage/1.3"; }), "m").ok());
  CHECK_FALSE(Manifest::parse(edited([](nlohmann::json& j) { j["format"] = "other/1"; }), "m").ok());
  CHECK_FALSE(Manifest::parse(edited([](nlohmann::json& j) { j.erase("format"); }), "m").ok());
}

TEST_CASE("a manifest with bad fields is refused with what is wrong") {
  struct Case {
    const char* what;
    void (*edit)(nlohmann::json&);
    const char* mentions;
  };
  const Case cases[] = {
      {"absolute path", [](nlohmann::json& j) { j["files"][0]["path"] = "/etc/passwd"; }, "absolute"},
      {"dot-dot", [](nlohmann::json& j) { j["files"][0]["path"] = "projects/../../x"; }, "'..'"},
      {"empty component", [](nlohmann::json& j) { j["files"][0]["path"] = "a//b"; }, "empty"},
      {"dot", [](nlohmann::json& j) { j["files"][0]["path"] = "./a"; }, "'.'"},
      {"empty", [](nlohmann::json& j) { j["files"][0]["path"] = ""; }, "empty"},
      {"duplicate", [](nlohmann::json& j) { j["files"][1]["path"] = ".claude.json"; }, "twice"},
      {"file and folder", [](nlohmann::json& j) { j["files"][1]["path"] = ".claude.json/x"; }, "folder"},
      {"bad sha", [](nlohmann::json& j) { j["files"][0]["sha256"] = "abc"; }, "sha256"},
      {"negative size", [](nlohmann::json& j) { j["files"][0]["size"] = -1; }, "size"},
      {"string size", [](nlohmann::json& j) { j["files"][0]["size"] = "12"; }, "size"},
      {"mode", [](nlohmann::json& j) { j["files"][0]["mode"] = 070000; }, "mode"},
      {"no run id", [](nlohmann::json& j) { j.erase("run_id"); }, "run_id"},
      {"bad mapping", [](nlohmann::json& j) { j["mapping"][0]["host"] = "rel"; }, "mapping"},
      {"escaping link", [](nlohmann::json& j) { j["symlinks"][0]["target"] = "../../x"; }, "outside"},
      {"absolute link", [](nlohmann::json& j) { j["symlinks"][0]["target"] = "/etc"; }, "outside"},
      {"link over file", [](nlohmann::json& j) { j["symlinks"][0]["path"] = ".claude.json"; }, "twice"},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    auto r = Manifest::parse(edited(c.edit), "manifest.json");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().path == "manifest.json");
    CHECK(r.error().detail.find(c.mentions) != std::string::npos);
  }
  CHECK_FALSE(Manifest::parse("{", "manifest.json").ok());
  CHECK_FALSE(Manifest::parse("[]", "manifest.json").ok());
}

TEST_CASE("verify_entry compares size and sha256 and tells the user to re-stage") {
  ManifestFile f{"settings.json", 3, claude::sha256_hex("abc"), 0644};
  CHECK(claude::verify_entry(f, 3, claude::sha256_hex("abc")).ok());
  auto size = claude::verify_entry(f, 4, claude::sha256_hex("abcd"));
  REQUIRE_FALSE(size.ok());
  CHECK(size.error().path == "settings.json");
  CHECK(size.error().detail.find("size") != std::string::npos);
  CHECK(size.error().fix.find("claude-host stage") != std::string::npos);
  auto sha = claude::verify_entry(f, 3, claude::sha256_hex("abd"));
  REQUIRE_FALSE(sha.ok());
  CHECK(sha.error().detail.find("sha256") != std::string::npos);
}

TEST_CASE("symlinks may point anywhere inside the tree, never out of it") {
  CHECK(claude::symlink_stays_inside("a/b/link", "../c"));
  CHECK(claude::symlink_stays_inside("a/b/link", "../../c"));
  CHECK_FALSE(claude::symlink_stays_inside("a/b/link", "../../../c"));
  CHECK_FALSE(claude::symlink_stays_inside("link", "../x"));
  CHECK(claude::symlink_stays_inside("link", "./x/../y"));
  CHECK_FALSE(claude::symlink_stays_inside("link", "x/../../y"));
  CHECK_FALSE(claude::symlink_stays_inside("link", "/abs"));
  CHECK_FALSE(claude::symlink_stays_inside("link", ""));
}

TEST_CASE("check_rel_path accepts plain relative paths only") {
  CHECK(claude::check_rel_path("projects/-root/a.jsonl", "x").ok());
  CHECK(claude::check_rel_path(".claude.json", "x").ok());
  CHECK(claude::check_rel_path("..foo/bar..", "x").ok());
  CHECK_FALSE(claude::check_rel_path("a/", "x").ok());
  CHECK_FALSE(claude::check_rel_path(std::string("a\0b", 3), "x").ok());
  CHECK_FALSE(claude::check_rel_path("bad\xff", "x").ok());
}

TEST_CASE("reads_format accepts the same family and major version only") {
  CHECK(claude::reads_format("claude-stage/1", "claude-stage/1"));
  CHECK(claude::reads_format("claude-stage/1.7", "claude-stage/1"));
  CHECK_FALSE(claude::reads_format("claude-stage/2", "claude-stage/1"));
  CHECK_FALSE(claude::reads_format("claude-stage/10", "claude-stage/1"));
  CHECK_FALSE(claude::reads_format("claude-outbox/1", "claude-stage/1"));
  CHECK_FALSE(claude::reads_format("", "claude-stage/1"));
}

TEST_CASE("names are bytes: a manifest carries file and link names that are not UTF-8 exactly") {
  Manifest m = sample();
  m.files.push_back({"commands/caf\xe9.md", 1, claude::sha256_hex("x"), 0644});
  m.files.push_back({std::string("agents/") + std::string(255, '\xfe'), 1, claude::sha256_hex("x"), 0644});
  m.symlinks.push_back({"commands/l\xff", "caf\xe9.md"});
  nlohmann::json j = m.to_json();
  CHECK(j["files"][2]["path_b64"] == claude::base64_encode("commands/caf\xe9.md"));
  CHECK_FALSE(j["files"][2].contains("path"));
  auto back = Manifest::parse(j.dump(), "manifest.json");
  REQUIRE(back.ok());
  CHECK(back->files == m.files);
  CHECK(back->symlinks == m.symlinks);
  // A manifest written before (plain names only) reads as it did.
  auto plain = Manifest::parse(sample().to_json().dump(), "manifest.json");
  REQUIRE(plain.ok());
  CHECK(plain->files == sample().files);
}

TEST_CASE("a manifest's links are judged through each other, not one by one") {
  Manifest m = sample();
  m.symlinks = {{"a/b/c/s2", "../../.."}, {"a/b/c/s1", "s2/../.ssh"}};
  auto r = Manifest::parse(m.to_json().dump(), "manifest.json");
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.error().detail, Catch::Contains("a/b/c/s1") && Catch::Contains("outside the tree"));
  m.symlinks = {{"a/b/c/s2", "../../.."}};
  CHECK(Manifest::parse(m.to_json().dump(), "manifest.json").ok());
}
