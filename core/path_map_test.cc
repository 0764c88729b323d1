#include "core/path_map.h"

#include <catch2/catch.hpp>

using claude::Direction;
using claude::PathMap;
using claude::PathMapping;
using claude::PathRole;

namespace {

PathMap make(std::vector<PathMapping> pairs) {
  auto m = PathMap::create(std::move(pairs));
  REQUIRE(m.ok());
  return *m;
}

// The default shape: the project to /workspace/<name>, the home to /root.
PathMap default_map() {
  return make({{"/home/al", "/root"}, {"/home/al/proj", "/workspace/proj"}});
}

}  // namespace

TEST_CASE("map_path rewrites only at path boundaries, longest prefix first") {
  PathMap m = default_map();
  struct Case {
    const char* in;
    Direction dir;
    std::optional<std::string> out;
  };
  const Case cases[] = {
      {"/home/al/proj/src/a.ts", Direction::kToContainer, "/workspace/proj/src/a.ts"},
      {"/home/al/proj", Direction::kToContainer, "/workspace/proj"},  // exactly the prefix
      {"/home/al/proj/", Direction::kToContainer, "/workspace/proj/"},
      {"/home/al/project", Direction::kToContainer, "/root/project"},  // not under /home/al/proj
      {"/home/al/.claude/x", Direction::kToContainer, "/root/.claude/x"},
      {"/home/al", Direction::kToContainer, "/root"},
      {"/home/alice/x", Direction::kToContainer, std::nullopt},  // /home/al is not /home/alice
      {"/home/alx", Direction::kToContainer, std::nullopt},
      {"/home", Direction::kToContainer, std::nullopt},
      {"relative/home/al", Direction::kToContainer, std::nullopt},
      {"", Direction::kToContainer, std::nullopt},
      {"/workspace/proj/a", Direction::kToHost, "/home/al/proj/a"},
      {"/workspace/projx", Direction::kToHost, std::nullopt},
      {"/root/.claude.json", Direction::kToHost, "/home/al/.claude.json"},
      {"/rooted", Direction::kToHost, std::nullopt},
  };
  for (const auto& c : cases) {
    INFO(c.in);
    CHECK(m.map_path(c.in, c.dir) == c.out);
  }
}

TEST_CASE("a root mapping maps every absolute path and back") {
  PathMap m = make({{"/", "/host"}});
  CHECK(m.map_path("/etc/x", Direction::kToContainer) == "/host/etc/x");
  CHECK(m.map_path("/", Direction::kToContainer) == "/host");
  CHECK(m.map_path("/host/etc/x", Direction::kToHost) == "/etc/x");
  CHECK(m.map_path("/host", Direction::kToHost) == "/");
  CHECK(m.map_path("/hostile", Direction::kToHost) == std::nullopt);
  PathMap to_root = make({{"/home/al", "/"}});
  CHECK(to_root.map_path("/home/al/x", Direction::kToContainer) == "/x");
  CHECK(to_root.map_path("/home/al", Direction::kToContainer) == "/");
  CHECK(to_root.map_path("/x", Direction::kToHost) == "/home/al/x");
  CHECK(to_root.map_path("/", Direction::kToHost) == "/home/al");
}

TEST_CASE("create normalizes prefixes and refuses bad or ambiguous mappings") {
  auto m = PathMap::create({{"/home//al/", "/root/"}});
  REQUIRE(m.ok());
  CHECK(m->mappings()[0] == PathMapping{"/home/al", "/root"});
  CHECK_FALSE(PathMap::create({{"home/al", "/root"}}).ok());
  CHECK_FALSE(PathMap::create({{"/home/al", ""}}).ok());
  CHECK_FALSE(PathMap::create({{"/home/../al", "/root"}}).ok());
  CHECK_FALSE(PathMap::create({{"/home/./al", "/root"}}).ok());
  CHECK_FALSE(PathMap::create({{"/a", "/x"}, {"/a/", "/y"}}).ok());  // host twice
  CHECK_FALSE(PathMap::create({{"/a", "/x"}, {"/b", "/x"}}).ok());   // container twice
  // Nested container folders are fine when they come from the matching host folder.
  CHECK(PathMap::create({{"/home/al", "/root"}, {"/home/al/data", "/root/data"}}).ok());
  // One home pair and one config pair at most.
  CHECK_FALSE(PathMap::create({{"/a", "/x", PathRole::kHome}, {"/b", "/y", PathRole::kHome}}).ok());
  CHECK_FALSE(PathMap::create({{"/a", "/x", PathRole::kConfig}, {"/b", "/y", PathRole::kConfig}}).ok());
}

TEST_CASE("a host path that would come back through another pair is left as it is") {
  // /srv/data -> /root/data lies inside the home's /root: /home/al/data/x would go to
  // /root/data/x and come back as /srv/data/x, so it stays.
  PathMap m = make({{"/home/al", "/root"}, {"/srv/data", "/root/data"}});
  CHECK(m.map_path("/srv/data/x", Direction::kToContainer) == "/root/data/x");
  CHECK(m.map_path("/root/data/x", Direction::kToHost) == "/srv/data/x");
  CHECK(m.map_path("/home/al/data/x", Direction::kToContainer) == std::nullopt);
  CHECK(m.map_path("/home/al/datum", Direction::kToContainer) == "/root/datum");
  for (std::string s : {"cat /home/al/data/x /home/al/y /srv/data", "Read(//home/al/data/**)"}) {
    INFO(s);
    std::string c = m.map_in_text(s, Direction::kToContainer);
    CHECK(c.find("/home/al/data") != std::string::npos);
    CHECK(m.map_in_text(c, Direction::kToHost) == s);
  }
}

TEST_CASE("mappings are kept longest prefix first whatever the input order") {
  PathMap m = make({{"/a", "/x"}, {"/a/b/c", "/y"}, {"/a/b", "/z/w/v"}});
  CHECK(m.mappings()[0].host == "/a/b/c");
  CHECK(m.mappings()[1].host == "/a/b");
  CHECK(m.mappings()[2].host == "/a");
  CHECK(m.map_path("/a/b/c/d", Direction::kToContainer) == "/y/d");
  CHECK(m.map_path("/z/w/v/q", Direction::kToHost) == "/a/b/q");
}

TEST_CASE("map_in_text finds paths inside commands and permission rules") {
  PathMap m = default_map();
  struct Case {
    const char* in;
    const char* out;
  };
  const Case cases[] = {
      {"Bash(/home/al/proj/run.sh:*)", "Bash(/workspace/proj/run.sh:*)"},
      {"node /home/al/proj/x.js --dir=/home/al/p", "node /workspace/proj/x.js --dir=/root/p"},
      {"PATH=/home/al/bin:/usr/bin:/home/al/proj", "PATH=/root/bin:/usr/bin:/workspace/proj"},
      {"Read(/home/al/proj/**)", "Read(/workspace/proj/**)"},
      {"'/home/al/proj' \"/home/al/x\"", "'/workspace/proj' \"/root/x\""},
      {"/home/alice/proj /home/al", "/home/alice/proj /root"},
      {"/x/home/al/proj", "/x/home/al/proj"},          // inside another path
      {"a/home/al", "a/home/al"},                      // not at a boundary
      {"/home/al/proj.bak", "/root/proj.bak"},         // proj.bak is not proj
      {"/home/al.bak", "/home/al.bak"},
      {"cd /home/al/proj && ls", "cd /workspace/proj && ls"},
      {"no paths here", "no paths here"},
      {"", ""},
  };
  for (const auto& c : cases) {
    INFO(c.in);
    CHECK(m.map_in_text(c.in, Direction::kToContainer) == c.out);
    CHECK(m.map_in_text(c.out, Direction::kToHost) == c.in);
  }
}

TEST_CASE("map_in_text with root mappings round-trips") {
  PathMap m = make({{"/", "/host"}});
  for (std::string s : {"cd / && ls /etc", "x=/a:/b", "/", "a / b", "//x"}) {
    INFO(s);
    std::string c = m.map_in_text(s, Direction::kToContainer);
    CHECK(m.map_in_text(c, Direction::kToHost) == s);
  }
  CHECK(m.map_in_text("ls /etc", Direction::kToContainer) == "ls /host/etc");
}

TEST_CASE("a path map survives to_json and from_json, and from_json checks the shape") {
  PathMap m = default_map();
  auto back = PathMap::from_json(m.to_json());
  REQUIRE(back.ok());
  CHECK(back->mappings() == m.mappings());
  CHECK_FALSE(PathMap::from_json(nlohmann::json::object()).ok());
  CHECK_FALSE(PathMap::from_json(nlohmann::json::parse(R"([{"host":"/a"}])")).ok());
  CHECK_FALSE(PathMap::from_json(nlohmann::json::parse(R"([{"host":1,"container":"/b"}])")).ok());
  CHECK(PathMap::from_json(nlohmann::json::array())->empty());
}

TEST_CASE("edits name the replaced spans so escaped text can be patched in place") {
  PathMap m = default_map();
  auto e = m.edits("x /home/al/proj/a /home/al", Direction::kToContainer, false);
  REQUIRE(e.size() == 2);
  CHECK(e[0].begin == 2);
  CHECK(e[0].end == 15);
  CHECK(e[0].replacement == "/workspace/proj");
  CHECK(e[1].begin == 18);
  CHECK(e[1].replacement == "/root");
  CHECK(m.edits("/home/al/proj dir", Direction::kToContainer, true)[0].replacement == "/root");
}

namespace {

// The stage's shape: the project, the host config dir onto the live dir, the home.
PathMap stage_like_map() {
  return make({{"/Users/al/src/app", "/workspace/app"},
               {"/Users/al/.claude", "/root/.claude-config", PathRole::kConfig},
               {"/Users/al", "/root", PathRole::kHome}});
}

}  // namespace

TEST_CASE("the config dir maps onto the live dir, longest prefix first, both ways") {
  PathMap m = stage_like_map();
  CHECK(m.map_path("/Users/al/.claude/statusline.sh", Direction::kToContainer) == "/root/.claude-config/statusline.sh");
  CHECK(m.map_path("/Users/al/.claude", Direction::kToContainer) == "/root/.claude-config");
  CHECK(m.map_path("/root/.claude-config/CLAUDE.md", Direction::kToHost) == "/Users/al/.claude/CLAUDE.md");
  CHECK(m.map_path("/Users/al/.claude.json", Direction::kToContainer) == "/root/.claude.json");
  CHECK(m.map_path("/Users/al/.claudex", Direction::kToContainer) == "/root/.claudex");
  // ~/.claude-config on the host would come back as ~/.claude: left alone.
  CHECK(m.map_path("/Users/al/.claude-config/x", Direction::kToContainer) == std::nullopt);
  CHECK(m.map_in_text("bash /Users/al/.claude-config/x", Direction::kToContainer) == "bash /Users/al/.claude-config/x");
}

TEST_CASE("paths written with ~ map through the home pair and stay written with ~") {
  PathMap m = stage_like_map();
  struct Case {
    const char* host;
    const char* container;
  };
  const Case whole[] = {
      {"~/.claude/statusline.sh", "~/.claude-config/statusline.sh"},
      {"~/.claude", "~/.claude-config"},
      {"~/notes", "~/notes"},  // the home pair itself: unchanged
      {"~", "~"},
  };
  for (const auto& c : whole) {
    INFO(c.host);
    CHECK(m.map_path(c.host, Direction::kToContainer) == c.container);
    CHECK(m.map_path(c.container, Direction::kToHost) == c.host);
  }
  CHECK(m.map_path("~al/x", Direction::kToContainer) == std::nullopt);
  const Case text[] = {
      {"bash ~/.claude/statusline.sh", "bash ~/.claude-config/statusline.sh"},
      {"Edit(~/.claude/agents/**)", "Edit(~/.claude-config/agents/**)"},
      {"Read(~/notes/*) ~/.claude:~/.claude/x", "Read(~/notes/*) ~/.claude-config:~/.claude-config/x"},
      {"a~/.claude/x ~x/.claude", "a~/.claude/x ~x/.claude"},  // not at a boundary, another user
  };
  for (const auto& c : text) {
    INFO(c.host);
    CHECK(m.map_in_text(c.host, Direction::kToContainer) == c.container);
    CHECK(m.map_in_text(c.container, Direction::kToHost) == c.host);
  }
}

TEST_CASE("a ~ path to a folder mounted outside the container's home is written absolute there") {
  PathMap m = stage_like_map();  // ~/src/app is mounted at /workspace/app
  CHECK(m.map_path("~/src/app", Direction::kToContainer) == "/workspace/app");
  CHECK(m.map_path("~/src/app/x", Direction::kToContainer) == "/workspace/app/x");
  CHECK(m.map_in_text("~/src/app/run.sh --x", Direction::kToContainer) == "/workspace/app/run.sh --x");
  CHECK(m.map_in_text("bash ~/src/app/hook.sh", Direction::kToContainer) == "bash /workspace/app/hook.sh");
  // In a file rule an absolute path is written "//abs"; a Bash rule holds command text.
  CHECK(m.map_in_text("Edit(~/src/app/**)", Direction::kToContainer) == "Edit(//workspace/app/**)");
  CHECK(m.map_in_text("Read(~/src/app)", Direction::kToContainer) == "Read(//workspace/app)");
  CHECK(m.map_in_text("Bash(~/src/app/run.sh:*)", Direction::kToContainer) == "Bash(/workspace/app/run.sh:*)");
  // Each such edit says the map alone cannot give the "~" back.
  auto edits = m.edits("Edit(~/src/app/**) Read(~/.claude/x)", Direction::kToContainer, false);
  REQUIRE(edits.size() == 2);
  CHECK(edits[0].respelled);
  CHECK_FALSE(edits[1].respelled);
  // Mapped back, it names the host folder absolute (the memo in config_rewrite restores "~").
  CHECK(m.map_in_text("Edit(//workspace/app/**)", Direction::kToHost) == "Edit(//Users/al/src/app/**)");
  // A container "~" path names the container's home: it stays, as before.
  CHECK(m.map_in_text("~/x/y", Direction::kToHost) == "~/x/y");
  // A prefix of the mount that is not the mount: still the home pair.
  CHECK(m.map_path("~/src/application", Direction::kToContainer) == "~/src/application");
}

TEST_CASE("permission rules' // absolute form maps and keeps its //") {
  PathMap m = stage_like_map();
  struct Case {
    const char* host;
    const char* container;
  };
  const Case text[] = {
      {"Read(//Users/al/src/app/**)", "Read(//workspace/app/**)"},
      {"Edit(//Users/al/.claude/settings.json)", "Edit(//root/.claude-config/settings.json)"},
      {"Read(//Users/al/**)", "Read(//root/**)"},
      {"Read(//Users/alice/**)", "Read(//Users/alice/**)"},
      {"Read(///Users/al/x)", "Read(///Users/al/x)"},
      {"x//Users/al", "x//Users/al"},
  };
  for (const auto& c : text) {
    INFO(c.host);
    CHECK(m.map_in_text(c.host, Direction::kToContainer) == c.container);
    CHECK(m.map_in_text(c.container, Direction::kToHost) == c.host);
  }
  CHECK(m.map_path("//Users/al/src/app", Direction::kToContainer) == "//workspace/app");
  CHECK(m.map_path("//workspace/app/x", Direction::kToHost) == "//Users/al/src/app/x");
}

TEST_CASE("roles survive to_json and from_json; an unknown role is refused") {
  PathMap m = stage_like_map();
  auto back = PathMap::from_json(m.to_json());
  REQUIRE(back.ok());
  CHECK(back->mappings() == m.mappings());
  CHECK(m.to_json().dump().find("\"role\":\"config\"") != std::string::npos);
  CHECK_FALSE(PathMap::from_json(nlohmann::json::parse(R"([{"host":"/a","container":"/b","role":"x"}])")).ok());
}
