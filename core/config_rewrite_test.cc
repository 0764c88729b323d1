#include "core/config_rewrite.h"

#include <random>
#include <set>

#include <catch2/catch.hpp>

#include "core/project_dir_name.h"

using claude::Direction;
using claude::PathMap;
using claude::ProjectDirMapper;
using claude::rewrite_content;
using claude::rewrite_jsonl_lines;
using claude::RewriteOptions;

namespace {

PathMap default_map() {
  auto m = PathMap::create({{"/home/al", "/root"}, {"/home/al/proj", "/workspace/proj"}});
  REQUIRE(m.ok());
  return *m;
}

std::string to_container(std::string_view rel, std::string_view text, const PathMap& m,
                         RewriteOptions o = {}) {
  auto r = rewrite_content(rel, text, m, Direction::kToContainer, o);
  REQUIRE(r.ok());
  return *r;
}

std::string to_host(std::string_view rel, std::string_view text, const PathMap& m,
                    RewriteOptions o = {}) {
  auto r = rewrite_content(rel, text, m, Direction::kToHost, o);
  REQUIRE(r.ok());
  return *r;
}

}  // namespace

TEST_CASE(".claude.json: projects keys and MCP servers (top level and per project) are rewritten") {
  const std::string host = R"J({
  "numStartups": 12,
  "projects": {
    "/home/al/proj": {
      "allowedTools": ["Bash(/home/al/proj/x.sh)"],
      "mcpServers": {
        "local": {"type": "stdio", "command": "/home/al/proj/bin/srv", "args": ["--root=/home/al/proj", "/home/al/alice"],
                  "cwd": "/home/al/proj", "env": {"DATA": "/home/al/data:/opt/x", "N": "1"}}
      },
      "cwd": "/home/al/proj"
    },
    "/home/alice/other": {"history": []},
    "/home/al/proj2": {}
  },
  "mcpServers": {"g": {"command": "node", "args": ["/home/al/.mcp/g.js"], "url": "http://h/home/al"}},
  "githubRepoPaths": {"al/proj": ["/home/al/proj", "/srv/x"]},
  "oauthAccount": {"note": "/home/al/proj"}
})J";
  const std::string container = R"J({
  "numStartups": 12,
  "projects": {
    "/workspace/proj": {
      "allowedTools": ["Bash(/home/al/proj/x.sh)"],
      "mcpServers": {
        "local": {"type": "stdio", "command": "/workspace/proj/bin/srv", "args": ["--root=/workspace/proj", "/root/alice"],
                  "cwd": "/workspace/proj", "env": {"DATA": "/root/data:/opt/x", "N": "1"}}
      },
      "cwd": "/home/al/proj"
    },
    "/home/alice/other": {"history": []},
    "/root/proj2": {}
  },
  "mcpServers": {"g": {"command": "node", "args": ["/root/.mcp/g.js"], "url": "http://h/home/al"}},
  "githubRepoPaths": {"al/proj": ["/workspace/proj", "/srv/x"]},
  "oauthAccount": {"note": "/home/al/proj"}
})J";
  PathMap m = default_map();
  CHECK(to_container(".claude.json", host, m) == container);
  CHECK(to_host(".claude.json", container, m) == host);
}

TEST_CASE("settings.json: hook, helper and status commands, permission rules and env") {
  const std::string host =
      R"J({"hooks":{"PreToolUse":[{"matcher":"Bash","hooks":[{"type":"command","command":"/home/al/.claude/hooks/check.sh --log /home/al/log"}]}]},)J"
      R"J("permissions":{"allow":["Bash(/home/al/proj/run.sh:*)","Read(/home/al/proj/**)","WebFetch"],"deny":["Edit(/home/al/.ssh/*)"],)J"
      R"J("ask":["Bash(rm /home/al/proj/x)"],"additionalDirectories":["/home/al/shared","/home/alice"],"defaultMode":"acceptEdits"},)J"
      R"J("statusLine":{"type":"command","command":"bash /home/al/.claude/status.sh"},"apiKeyHelper":"/home/al/bin/key",)J"
      R"J("awsAuthRefresh":"/home/al/aws.sh","env":{"TOOL_HOME":"/home/al/tool"},"model":"/home/al/not-a-path-field",)J"
      R"J("command":"/home/al/top-level-command-is-not-a-hook"})J";
  const std::string container =
      R"J({"hooks":{"PreToolUse":[{"matcher":"Bash","hooks":[{"type":"command","command":"/root/.claude/hooks/check.sh --log /root/log"}]}]},)J"
      R"J("permissions":{"allow":["Bash(/workspace/proj/run.sh:*)","Read(/workspace/proj/**)","WebFetch"],"deny":["Edit(/root/.ssh/*)"],)J"
      R"J("ask":["Bash(rm /workspace/proj/x)"],"additionalDirectories":["/root/shared","/home/alice"],"defaultMode":"acceptEdits"},)J"
      R"J("statusLine":{"type":"command","command":"bash /root/.claude/status.sh"},"apiKeyHelper":"/root/bin/key",)J"
      R"J("awsAuthRefresh":"/root/aws.sh","env":{"TOOL_HOME":"/root/tool"},"model":"/home/al/not-a-path-field",)J"
      R"J("command":"/home/al/top-level-command-is-not-a-hook"})J";
  PathMap m = default_map();
  for (const char* name : {"settings.json", "settings.local.json", "sub/settings.json"}) {
    INFO(name);
    CHECK(to_container(name, host, m) == container);
    CHECK(to_host(name, container, m) == host);
  }
}

TEST_CASE("settings.json: the config dir, ~ paths and // rules map onto the live dir and back byte for byte") {
  auto made = PathMap::create({{"/Users/al/src/app", "/workspace/app"},
                               {"/Users/al/.claude", "/root/.claude-config", claude::PathRole::kConfig},
                               {"/Users/al", "/root", claude::PathRole::kHome}});
  REQUIRE(made.ok());
  const PathMap& m = *made;
  const std::string host =
      R"J({"statusLine":{"type":"command","command":"~/.claude/statusline.sh"},)J"
      R"J("hooks":{"Stop":[{"hooks":[{"type":"command","command":"/Users/al/.claude/hooks/done.sh ~/.claude/log"}]}]},)J"
      R"J("permissions":{"allow":["Read(//Users/al/src/app/**)","Edit(~/.claude/agents/**)","Read(~/notes/**)"],)J"
      R"J("deny":["Read(//Users/al/.ssh/**)"],"additionalDirectories":["~/.claude/shared","//Users/al/src/app/docs","/Users/al/.claude"]}})J";
  const std::string container =
      R"J({"statusLine":{"type":"command","command":"~/.claude-config/statusline.sh"},)J"
      R"J("hooks":{"Stop":[{"hooks":[{"type":"command","command":"/root/.claude-config/hooks/done.sh ~/.claude-config/log"}]}]},)J"
      R"J("permissions":{"allow":["Read(//workspace/app/**)","Edit(~/.claude-config/agents/**)","Read(~/notes/**)"],)J"
      R"J("deny":["Read(//root/.ssh/**)"],"additionalDirectories":["~/.claude-config/shared","//workspace/app/docs","/root/.claude-config"]}})J";
  CHECK(to_container("settings.json", host, m) == container);
  CHECK(to_host("settings.json", container, m) == host);
  // A file whose only paths are written with ~ (no prefix appears literally), '/' escaped or not.
  for (auto [h, c] : {std::pair<std::string, std::string>{R"J({"statusLine":{"command":"~/.claude/s.sh"}})J",
                                                          R"J({"statusLine":{"command":"~/.claude-config/s.sh"}})J"},
                      {R"J({"env":{"X":"~\/.claude\/x"}})J", R"J({"env":{"X":"~\/.claude-config\/x"}})J"}}) {
    CHECK(to_container("settings.json", h, m) == c);
    CHECK(to_host("settings.json", c, m) == h);
  }
  // The CLI's own log lines name the live dir: they come back naming ~/.claude.
  const std::string log = R"J({"cwd":"/workspace/app","file_path":"/root/.claude-config/CLAUDE.md"})J" "\n";
  CHECK(to_host("projects/x/s.jsonl", log, m) ==
        R"J({"cwd":"/Users/al/src/app","file_path":"/Users/al/.claude/CLAUDE.md"})J" "\n");
}

TEST_CASE("settings.json: a ~ rule for a folder mounted elsewhere is absolute inside and ~ again outside") {
  auto made = PathMap::create({{"/Users/al/work/infra", "/workspace/infra"},
                               {"/Users/al/.claude", "/root/.claude-config", claude::PathRole::kConfig},
                               {"/Users/al", "/root", claude::PathRole::kHome}});
  REQUIRE(made.ok());
  const PathMap& m = *made;
  const std::string host =
      R"J({"permissions":{"allow":["Edit(~/work/infra/**)","Read(//Users/al/work/infra/docs/**)","Bash(~/work/infra/run.sh:*)"],)J"
      R"J("additionalDirectories":["~/work/infra/modules"]},)J"
      R"J("hooks":{"Stop":[{"hooks":[{"type":"command","command":"~/work/infra/hook.sh ~/.claude/log"}]}]}})J";
  const std::string container =
      R"J({"permissions":{"allow":["Edit(//workspace/infra/**)","Read(//workspace/infra/docs/**)","Bash(/workspace/infra/run.sh:*)"],)J"
      R"J("additionalDirectories":["/workspace/infra/modules"]},)J"
      R"J("hooks":{"Stop":[{"hooks":[{"type":"command","command":"/workspace/infra/hook.sh ~/.claude-config/log"}]}]}})J";
  claude::RewriteOptions opts;
  opts.spellings = std::make_shared<claude::SpellingMemo>();
  auto seeded = rewrite_content("settings.json", host, m, Direction::kToContainer, opts);
  REQUIRE(seeded.ok());
  CHECK(*seeded == container);
  // Back with the memo the seed filled: the host's own bytes.
  auto back = rewrite_content("settings.json", container, m, Direction::kToHost, opts);
  REQUIRE(back.ok());
  CHECK(*back == host);
  // The CLI adds a rule and rewrites the file (settings.local.json too): the old strings
  // keep their ~, the new one names the host folder.
  const std::string grown =
      R"J({"permissions":{"allow":["Edit(//workspace/infra/**)","Write(//workspace/infra/new/**)"]}})J";
  auto grown_back = rewrite_content("settings.local.json", grown, m, Direction::kToHost, opts);
  REQUIRE(grown_back.ok());
  CHECK(*grown_back == R"J({"permissions":{"allow":["Edit(~/work/infra/**)","Write(//Users/al/work/infra/new/**)"]}})J");
  // Without the memo the same container file comes back absolute (never wrong, not exact).
  CHECK(to_host("settings.json", container, m) ==
        R"J({"permissions":{"allow":["Edit(//Users/al/work/infra/**)","Read(//Users/al/work/infra/docs/**)","Bash(/Users/al/work/infra/run.sh:*)"],)J"
        R"J("additionalDirectories":["/Users/al/work/infra/modules"]},)J"
        R"J("hooks":{"Stop":[{"hooks":[{"type":"command","command":"/Users/al/work/infra/hook.sh ~/.claude/log"}]}]}})J");
}

TEST_CASE("spellings: a folder written both ways in the stage maps back as the map says") {
  auto made = PathMap::create({{"/Users/al/work/infra", "/workspace/infra"},
                               {"/Users/al", "/root", claude::PathRole::kHome}});
  REQUIRE(made.ok());
  claude::RewriteOptions opts;
  opts.spellings = std::make_shared<claude::SpellingMemo>();
  // Two host strings become one container string: which one it was cannot be known.
  const std::string host = R"J({"permissions":{"allow":["Edit(~/work/infra/**)"],"deny":["Edit(//Users/al/work/infra/**)"]}})J";
  auto seeded = rewrite_content("settings.json", host, *made, Direction::kToContainer, opts);
  REQUIRE(seeded.ok());
  CHECK(*seeded == R"J({"permissions":{"allow":["Edit(//workspace/infra/**)"],"deny":["Edit(//workspace/infra/**)"]}})J");
  CHECK_FALSE(opts.spellings->host_spelling("Edit(//workspace/infra/**)").has_value());
  // The same holds across files, in either order, and for a host string that is the
  // container string literally.
  claude::RewriteOptions other;
  other.spellings = std::make_shared<claude::SpellingMemo>();
  REQUIRE(rewrite_content("settings.json", R"J({"env":{"A":"~/work/infra/x"}})J", *made, Direction::kToContainer, other).ok());
  CHECK(other.spellings->host_spelling("/workspace/infra/x") == std::optional<std::string_view>("~/work/infra/x"));
  REQUIRE(rewrite_content(".claude.json", R"J({"mcpServers":{"s":{"command":"/workspace/infra/x"}}})J", *made,
                          Direction::kToContainer, other).ok());
  CHECK_FALSE(other.spellings->host_spelling("/workspace/infra/x").has_value());
  // Session logs teach nothing (they are read in chunks and can be huge).
  claude::RewriteOptions logs;
  logs.spellings = std::make_shared<claude::SpellingMemo>();
  (void)rewrite_content("projects/x/s.jsonl", "{\"cwd\":\"~/work/infra\"}\n", *made, Direction::kToContainer, logs);
  CHECK(logs.spellings->empty());
}

TEST_CASE("session logs: every path field of every record, free text left alone") {
  const std::string host =
      R"J({"type":"user","cwd":"/home/al/proj","message":{"content":"look at /home/al/proj/a.ts"}})J" "\n"
      R"J({"type":"assistant","cwd":"/home/al/proj/sub","message":{"content":[{"type":"tool_use","input":{"file_path":"/home/al/proj/a.ts","command":"cat /home/al/proj/a.ts"}},)J"
      R"J({"type":"tool_use","input":{"notebook_path":"/home/al/proj/n.ipynb","path":"/home/al/proj/src"}}]}})J" "\n"
      R"J({"toolUseResult":{"filePath":"/home/al/proj/a.ts","stdout":"/home/al/proj"},"originalCwd":"/home/al/proj","worktreePath":"/home/al/wt",)J"
      R"J("persistedOutputPath":"/home/al/.claude/out.txt","project":"/home/al/proj"})J" "\n"
      "not json /home/al/proj\n"
      "\n"
      R"J({"cwd":"/home/al/proj","partial")J";
  const std::string container =
      R"J({"type":"user","cwd":"/workspace/proj","message":{"content":"look at /home/al/proj/a.ts"}})J" "\n"
      R"J({"type":"assistant","cwd":"/workspace/proj/sub","message":{"content":[{"type":"tool_use","input":{"file_path":"/workspace/proj/a.ts","command":"cat /home/al/proj/a.ts"}},)J"
      R"J({"type":"tool_use","input":{"notebook_path":"/workspace/proj/n.ipynb","path":"/workspace/proj/src"}}]}})J" "\n"
      R"J({"toolUseResult":{"filePath":"/workspace/proj/a.ts","stdout":"/home/al/proj"},"originalCwd":"/workspace/proj","worktreePath":"/root/wt",)J"
      R"J("persistedOutputPath":"/root/.claude/out.txt","project":"/home/al/proj"})J" "\n"
      "not json /home/al/proj\n"
      "\n"
      R"J({"cwd":"/home/al/proj","partial")J";
  PathMap m = default_map();
  CHECK(to_container("projects/-home-al-proj/s1.jsonl", host, m) == container);
  CHECK(to_host("projects/-workspace-proj/s1.jsonl", container, m) == host);
  // Appended chunks go through the same code.
  CHECK(rewrite_jsonl_lines(host, m, Direction::kToContainer) == container);
}

TEST_CASE("history.jsonl: the project field is a path too") {
  const std::string host = R"J({"display":"fix /home/al/proj/x","project":"/home/al/proj","cwd":"/home/al"})J" "\n";
  const std::string container = R"J({"display":"fix /home/al/proj/x","project":"/workspace/proj","cwd":"/root"})J" "\n";
  PathMap m = default_map();
  CHECK(to_container("history.jsonl", host, m) == container);
  CHECK(rewrite_jsonl_lines(host, m, Direction::kToContainer, true) == container);
  CHECK(rewrite_jsonl_lines(container, m, Direction::kToHost, true) == host);
}

TEST_CASE("plugin files: install paths") {
  const std::string host = R"J({"mkt":{"installLocation":"/home/al/.claude/plugins/marketplaces/mkt","source":{"repo":"/home/al/x"}}})J";
  const std::string container = R"J({"mkt":{"installLocation":"/root/.claude/plugins/marketplaces/mkt","source":{"repo":"/home/al/x"}}})J";
  PathMap m = default_map();
  CHECK(to_container("plugins/known_marketplaces.json", host, m) == container);
  CHECK(to_container("other/known_marketplaces.json", host, m) == host);
}

TEST_CASE("free text is rewritten only when asked for") {
  const std::string host =
      R"J({"cwd":"/home/al/proj","message":{"content":"see /home/al/proj/a.ts and /home/alice"}, "k/home/al": 1})J" "\n";
  const std::string container =
      R"J({"cwd":"/workspace/proj","message":{"content":"see /workspace/proj/a.ts and /home/alice"}, "k/home/al": 1})J" "\n";
  PathMap m = default_map();
  RewriteOptions free;
  free.free_text = true;
  CHECK(to_container("projects/x/s.jsonl", host, m, free) == container);
  CHECK(to_host("projects/x/s.jsonl", container, m, free) == host);
  CHECK(to_container("projects/x/s.jsonl", host, m).find("see /home/al/proj") != std::string::npos);
}

TEST_CASE("escapes and unicode inside path strings are kept byte for byte") {
  PathMap m = default_map();
  struct Case {
    const char* host;
    const char* container;
  };
  const Case cases[] = {
      // Every '/' escaped: the replaced prefix keeps that style.
      {R"J({"cwd":"\/home\/al\/proj\/src"})J", R"J({"cwd":"\/workspace\/proj\/src"})J"},
      // Escapes after the prefix stay exactly as they were.
      {R"J({"cwd":"/home/al/caf\u00e9\/x\u0041"})J", R"J({"cwd":"/root/caf\u00e9\/x\u0041"})J"},
      {R"J({"cwd":"/home/al/\ud83d\ude00/\"q\"\\"})J", R"J({"cwd":"/root/\ud83d\ude00/\"q\"\\"})J"},
      {"{\"cwd\":\"/home/al/proj/\xc3\xbcn\xc3\xaf\"}", "{\"cwd\":\"/workspace/proj/\xc3\xbcn\xc3\xaf\"}"},
      // An escaped key is still recognized.
      {R"J({"c\u0077d":"/home/al/x"})J", R"J({"c\u0077d":"/root/x"})J"},
      // A quote inside a string value does not end it.
      {R"J({"x":"\"cwd\":\"/home/al\"","cwd":"/home/al"})J", R"J({"x":"\"cwd\":\"/home/al\"","cwd":"/root"})J"},
  };
  for (const auto& c : cases) {
    INFO(c.host);
    std::string line = std::string(c.host) + "\n";
    CHECK(to_container("s.jsonl", line, m) == std::string(c.container) + "\n");
    CHECK(to_host("s.jsonl", std::string(c.container) + "\n", m) == line);
  }
  // A prefix spelled with \u escapes is still found (written back plainly).
  CHECK(to_container("s.jsonl", "{\"cwd\":\"\\u002fhome/al/x\"}\n", m) == "{\"cwd\":\"/root/x\"}\n");
}

TEST_CASE("a file with nothing to rewrite comes back byte-identical") {
  PathMap m = default_map();
  const std::string odd = "\xef\xbb\xbf {\n\t\"a\" :[ 1 ,2.50e3, true,null ,\"\\u00e9\\/\" ] ,\r\n \"projects\":{ } }  \n";
  CHECK(to_container(".claude.json", odd, m) == odd);
  CHECK(to_container("CLAUDE.md", "cd /home/al/proj", m) == "cd /home/al/proj");
  CHECK(to_container("todos/x.json", R"J({"cwd":"/home/al"})J", m) == R"J({"cwd":"/home/al"})J");
  CHECK(to_container(".claude.json", R"J({"projects":{"/home/al/proj":{}}})J", PathMap()) ==
        R"J({"projects":{"/home/al/proj":{}}})J");
}

TEST_CASE("JSON that does not parse is an error naming the file and the position") {
  PathMap m = default_map();
  auto r = rewrite_content("settings.json", "{\n  \"hooks\": {\n    \"x\": [1,]\n}", m,
                           Direction::kToContainer);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().path == "settings.json");
  CHECK(r.error().detail.find("line 3") != std::string::npos);
  CHECK_FALSE(rewrite_content(".claude.json", "", m, Direction::kToContainer).ok());
  // Session logs never fail: bad lines pass through.
  CHECK(rewrite_content("a.jsonl", "{bad\n", m, Direction::kToContainer).value() == "{bad\n");
}

TEST_CASE("lone and reversed surrogate escapes are carried byte for byte, paths around them mapped") {
  // JSON.stringify writes an unpaired surrogate as an escape; JSON.parse reads it back.
  PathMap m = default_map();
  const std::string host =
      R"({"projects":{"/home/al/proj\ud800":{"note":"\udfff"},"/home/al/x\udc00\ud800y":{}},)"
      R"("mcpServers":{"s":{"command":"/home/al/bin/\ud83d tool","cwd":"/home/al/proj"}},"k\ud800":"v"})";
  const std::string container = to_container(".claude.json", host, m);
  CHECK(container ==
        R"({"projects":{"/root/proj\ud800":{"note":"\udfff"},"/root/x\udc00\ud800y":{}},)"
        R"("mcpServers":{"s":{"command":"/root/bin/\ud83d tool","cwd":"/workspace/proj"}},"k\ud800":"v"})");
  CHECK(to_host(".claude.json", container, m) == host);
  // A session-log line with one is rewritten like any other, not passed over.
  const std::string line = R"({"cwd":"/home/al/proj","text":"\udbff!"})" "\n";
  CHECK(rewrite_jsonl_lines(line, m, Direction::kToContainer) ==
        R"({"cwd":"/workspace/proj","text":"\udbff!"})" "\n");
  // Truly broken JSON is still an error.
  auto bad = rewrite_content(".claude.json", R"({"projects":{"/home/al":)", m, Direction::kToContainer);
  REQUIRE_FALSE(bad.ok());
  CHECK_THAT(bad.error().detail, Catch::Contains("cut short"));
}

TEST_CASE("the folder mapper learns a project key holding a lone surrogate") {
  // /home/al/proj-x is under /home/al (-> /root), not /home/al/proj: only a learned key
  // maps it right; the prefix swap would take the longer encoded prefix of /home/al/proj.
  ProjectDirMapper mapper(default_map());
  mapper.learn_from_content(".claude.json", R"({"projects":{"/home/al/proj-x\ud800":{}}})");
  const std::string lone = "\xed\xa0\x80";  // how the walker decodes an unpaired \ud800
  CHECK(mapper.map_dir_name(claude::project_dir_name("/home/al/proj-x" + lone), Direction::kToContainer) ==
        claude::project_dir_name("/root/proj-x" + lone));
}

TEST_CASE("is_rewritable names the files the rewrite can change") {
  CHECK(claude::is_rewritable(".claude.json"));
  CHECK(claude::is_rewritable("settings.local.json"));
  CHECK(claude::is_rewritable("projects/x/a.jsonl"));
  CHECK(claude::is_rewritable("plugins/installed_plugins.json"));
  CHECK_FALSE(claude::is_rewritable("CLAUDE.md"));
  CHECK_FALSE(claude::is_rewritable(".credentials.json"));
  CHECK_FALSE(claude::is_rewritable("todos/a.json"));
}

// ---- Project folder names ------------------------------------------------------------

TEST_CASE("project folders map by encoding the mapped path of a learned directory") {
  ProjectDirMapper d(default_map());
  // b.c and b_c encode alike; learning tells which one is meant.
  d.learn("/home/al/proj/b.c");
  CHECK(d.map_dir_name("-home-al-proj-b-c", Direction::kToContainer) == "-workspace-proj-b-c");
  // "/home/al/proj-x" is under /home/al, not /home/al/proj: only learning gets this right.
  d.learn("/home/al/proj-x");
  CHECK(d.map_dir_name("-home-al-proj-x", Direction::kToContainer) == "-root-proj-x");
  d.learn("/workspace/proj");
  CHECK(d.map_dir_name("-workspace-proj", Direction::kToHost) == "-home-al-proj");
  CHECK(d.map_dir_name("-opt-elsewhere", Direction::kToContainer) == "-opt-elsewhere");
}

TEST_CASE("long project folder names get the hash of the mapped path") {
  ProjectDirMapper d(default_map());
  std::string deep = "/home/al/proj/" + std::string(220, 'd');
  std::string host_name = claude::project_dir_name(deep);
  REQUIRE(host_name.size() > 200);
  // Not learned: a hashed name cannot be re-hashed, so it stays.
  CHECK(d.map_dir_name(host_name, Direction::kToContainer) == host_name);
  d.learn(deep);
  std::string expected = claude::project_dir_name("/workspace/proj/" + std::string(220, 'd'));
  CHECK(d.map_dir_name(host_name, Direction::kToContainer) == expected);
  CHECK(expected != host_name);
  // A short host name whose container name would need a hash stays when not learned.
  ProjectDirMapper longer(*PathMap::create({{"/a", "/" + std::string(190, 'c')}}));
  CHECK(longer.map_dir_name("-a-" + std::string(20, 'x'), Direction::kToContainer) ==
        "-a-" + std::string(20, 'x'));
}

TEST_CASE("unlearned project folders fall back to swapping the encoded prefix at a '-'") {
  ProjectDirMapper d(default_map());
  CHECK(d.map_dir_name("-home-al-proj", Direction::kToContainer) == "-workspace-proj");
  CHECK(d.map_dir_name("-home-al-proj-sub", Direction::kToContainer) == "-workspace-proj-sub");
  CHECK(d.map_dir_name("-home-al", Direction::kToContainer) == "-root");
  CHECK(d.map_dir_name("-home-al--claude", Direction::kToContainer) == "-root--claude");
  CHECK(d.map_dir_name("-home-alice", Direction::kToContainer) == "-home-alice");
  CHECK(d.map_dir_name("-root-x", Direction::kToHost) == "-home-al-x");
  ProjectDirMapper root(*PathMap::create({{"/", "/host"}}));
  CHECK(root.map_dir_name("-etc-x", Direction::kToContainer) == "-host-etc-x");
  CHECK(root.map_dir_name("-host-etc-x", Direction::kToHost) == "-etc-x");
  CHECK(root.map_dir_name("-host", Direction::kToHost) == "-");
  CHECK(root.map_dir_name("-", Direction::kToContainer) == "-host");
}

TEST_CASE("map_rel_path maps only the folder under projects/") {
  ProjectDirMapper d(default_map());
  CHECK(d.map_rel_path("projects/-home-al-proj/abc.jsonl", Direction::kToContainer) ==
        "projects/-workspace-proj/abc.jsonl");
  CHECK(d.map_rel_path("projects/-home-al-proj", Direction::kToContainer) ==
        "projects/-workspace-proj");
  CHECK(d.map_rel_path("projects/-home-al-proj/abc/tool-results/x.txt", Direction::kToContainer) ==
        "projects/-workspace-proj/abc/tool-results/x.txt");
  CHECK(d.map_rel_path("todos/-home-al-proj.json", Direction::kToContainer) ==
        "todos/-home-al-proj.json");
  CHECK(d.map_rel_path("projects/", Direction::kToContainer) == "projects/");
}

TEST_CASE("the folder mapper learns from .claude.json keys and session-log cwd values") {
  ProjectDirMapper d(default_map());
  d.learn_from_content(".claude.json", R"J({"projects":{"/home/al/proj-x":{"cwd":"/home/al/q.r"}}})J");
  d.learn_from_content("projects/p/s.jsonl",
                       "{\"cwd\":\"\\/home\\/al\\/a.b\"}\n{\"x\":{\"cwd\":\"/home/al/nested\"}}\n"
                       "{\"cwd\":\"/home/al/torn");
  CHECK(d.map_dir_name("-home-al-proj-x", Direction::kToContainer) == "-root-proj-x");
  CHECK(d.map_dir_name("-home-al-a-b", Direction::kToContainer) == "-root-a-b");
  // Only keys and top-level cwd values teach: a nested cwd or a torn line does not, so
  // these fall back to prefix swapping, which agrees here.
  CHECK(d.map_dir_name("-home-al-q-r", Direction::kToContainer) == "-root-q-r");
}

// ---- Property tests: generated trees round-trip byte for byte ------------------------

namespace {

// Builds random documents in host form together with the values every string must have
// in container form, so the test can check both the bytes and the meaning.
class TreeGenerator {
 public:
  TreeGenerator(std::uint32_t seed, const PathMap& map, bool free_text)
      : rng_(seed), map_(map), free_text_(free_text) {}

  struct Doc {
    std::string text;              // host form
    nlohmann::json host;           // what it parses to
    nlohmann::json container;      // what container form must parse to
  };

  Doc claude_json() {
    Doc d;
    Object top(*this, d);
    top.field("numStartups", number());
    {
      std::string raw = "{";
      nlohmann::json h = nlohmann::json::object(), c = nlohmann::json::object();
      std::size_t n = pick(0, 3);
      std::set<std::string> used;
      for (std::size_t i = 0; i < n; ++i) {
        auto [kraw, kdec] = path_string(false);
        if (!used.insert(kdec).second) continue;
        if (!h.empty()) raw += "," + ws();
        Doc p = project();
        raw += ws() + "\"" + kraw + "\"" + ws() + ":" + ws() + p.text;
        h[kdec] = p.host;
        c[map_.map_path(kdec, Direction::kToContainer).value_or(kdec)] = p.container;
      }
      raw += ws() + "}";
      top.raw_field("projects", raw, h, c);
    }
    top.field("mcpServers", servers());
    {
      Doc arr = array_of([&] { return path_value(); });
      std::string raw = "{" + ws() + "\"o/r\":" + ws() + arr.text + "}";
      top.raw_field("githubRepoPaths", raw, {{"o/r", arr.host}}, {{"o/r", arr.container}});
    }
    top.field("oauthAccount", other_object(2));
    top.field("tipsHistory", other_object(2));
    return top.finish();
  }

  Doc settings_json() {
    Doc d;
    Object top(*this, d);
    {
      Doc command = text_value();
      Doc other = other_text();
      std::string raw = "{\"PreToolUse\":[{\"matcher\":" + other.text + ",\"hooks\":[{\"type\":\"command\"," +
                        ws() + "\"command\":" + command.text + "}]}]}";
      top.raw_field("hooks", raw,
                    {{"PreToolUse", {{{"matcher", other.host}, {"hooks", {{{"type", "command"}, {"command", command.host}}}}}}}},
                    {{"PreToolUse", {{{"matcher", other.container}, {"hooks", {{{"type", "command"}, {"command", command.container}}}}}}}});
    }
    {
      Doc allow = array_of([&] { return text_value(); });
      Doc dirs = array_of([&] { return path_value(); });
      Doc mode = other_text();
      std::string raw = "{" + ws() + "\"allow\":" + allow.text + "," + ws() +
                        "\"additionalDirectories\":" + dirs.text + ",\"defaultMode\":" + mode.text + "}";
      top.raw_field("permissions", raw,
                    {{"allow", allow.host}, {"additionalDirectories", dirs.host}, {"defaultMode", mode.host}},
                    {{"allow", allow.container}, {"additionalDirectories", dirs.container}, {"defaultMode", mode.container}});
    }
    top.field("apiKeyHelper", text_value());
    top.field("model", other_text());
    top.field("extra", other_object(3));
    return top.finish();
  }

  // One session-log line (without its '\n').
  Doc session_record(bool history) {
    single_line_ = true;
    Doc d;
    Object top(*this, d);
    top.field("cwd", path_value());
    top.field("type", other_text());
    if (history) top.field("project", path_value());
    {
      Doc input_path = path_value();
      Doc command = other_text();
      std::string raw = "{\"content\":[{\"type\":\"tool_use\",\"input\":{\"file_path\":" + input_path.text +
                        "," + ws() + "\"command\":" + command.text + "}}]}";
      top.raw_field("message", raw,
                    {{"content", {{{"type", "tool_use"}, {"input", {{"file_path", input_path.host}, {"command", command.host}}}}}}},
                    {{"content", {{{"type", "tool_use"}, {"input", {{"file_path", input_path.container}, {"command", command.container}}}}}}});
    }
    {
      Doc fp = path_value();
      Doc out = other_text();
      std::string raw = "{\"filePath\":" + fp.text + ",\"stdout\":" + out.text + "}";
      top.raw_field("toolUseResult", raw, {{"filePath", fp.host}, {"stdout", out.host}},
                    {{"filePath", fp.container}, {"stdout", out.container}});
    }
    top.field("originalCwd", path_value());
    top.field("more", other_object(3));
    Doc line = top.finish();
    single_line_ = false;
    return line;
  }

 private:
  friend class Object;

  // Emits the fields of an object in random order with random whitespace.
  class Object {
   public:
    Object(TreeGenerator& g, Doc& d) : g_(g), d_(d) {
      d_.host = nlohmann::json::object();
      d_.container = nlohmann::json::object();
    }
    void field(const std::string& key, Doc value) {
      raw_field(key, value.text, std::move(value.host), std::move(value.container));
    }
    void raw_field(const std::string& key, const std::string& raw, nlohmann::json h,
                   nlohmann::json c) {
      if (g_.pick(0, 4) == 0) return;  // fields are optional
      parts_.push_back("\"" + g_.encode(key, Style::kRandom) + "\"" + g_.ws() + ":" + g_.ws() + raw);
      d_.host[key] = std::move(h);
      d_.container[key] = std::move(c);
    }
    Doc finish() {
      std::shuffle(parts_.begin(), parts_.end(), g_.rng_);
      std::string text = "{" + g_.ws();
      for (std::size_t i = 0; i < parts_.size(); ++i) {
        if (i > 0) text += g_.ws() + "," + g_.ws();
        text += parts_[i];
      }
      text += g_.ws() + "}";
      d_.text = std::move(text);
      return std::move(d_);
    }

   private:
    TreeGenerator& g_;
    Doc& d_;
    std::vector<std::string> parts_;
  };

  enum class Style { kPlain, kSlashes, kRandom };

  std::size_t pick(std::size_t lo, std::size_t hi) {
    return std::uniform_int_distribution<std::size_t>(lo, hi)(rng_);
  }
  template <class T, std::size_t N>
  const T& one_of(const T (&items)[N]) {
    return items[pick(0, N - 1)];
  }

  // Whitespace between tokens; never a line break inside a session-log record.
  std::string ws() {
    static const char* const kWs[] = {"", "", "", " ", "\t", "  ", "\n  ", "\r\n"};
    return kWs[pick(0, single_line_ ? 5 : 7)];
  }

  // s as the inside of a JSON string. kPlain escapes only what must be; kSlashes also
  // writes every '/' as "\/"; kRandom escapes at random ('/', letters as \u00XX, BMP
  // characters as \uXXXX, others as surrogate pairs).
  std::string encode(std::string_view s, Style style) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
      char ch = s[i];
      auto u = static_cast<unsigned char>(ch);
      if (ch == '"' || ch == '\\') {
        out += '\\';
        out += ch;
      } else if (u < 0x20) {
        out += ch == '\n' ? "\\n" : ch == '\t' ? "\\t" : std::string("\\u00") + kHex[u >> 4] + kHex[u & 15];
      } else if (ch == '/' && (style == Style::kSlashes || (style == Style::kRandom && pick(0, 2) == 0))) {
        out += "\\/";
      } else if (style == Style::kRandom && u < 0x80 && std::isalpha(u) && pick(0, 6) == 0) {
        out += pick(0, 1) ? "\\u00" : "\\u00";
        out += kHex[u >> 4];
        out += pick(0, 1) ? kHex[u & 15] : static_cast<char>(std::toupper(kHex[u & 15]));
      } else if (style == Style::kRandom && u >= 0xc0 && pick(0, 2) == 0) {
        // Decode one UTF-8 character and write it as \u escapes.
        std::size_t len = u >= 0xf0 ? 4 : u >= 0xe0 ? 3 : 2;
        std::uint32_t cp = u & (len == 2 ? 0x1f : len == 3 ? 0x0f : 0x07);
        for (std::size_t k = 1; k < len; ++k) cp = (cp << 6) | (s[i + k] & 0x3f);
        auto hex4 = [&](std::uint32_t v) {
          std::string h = "\\u";
          for (int sh = 12; sh >= 0; sh -= 4) h += kHex[(v >> sh) & 15];
          return h;
        };
        if (cp >= 0x10000) {
          out += hex4(0xd800 + ((cp - 0x10000) >> 10)) + hex4(0xdc00 + ((cp - 0x10000) & 0x3ff));
        } else {
          out += hex4(cp);
        }
        i += len - 1;
      } else {
        out += ch;
      }
    }
    return out;
  }

  // A path-like value: a head from a list that includes boundary traps, then tails that
  // can never extend the head into a mapped prefix. Returns (raw inside, decoded). The
  // head is written plainly or with every '/' escaped (the styles that round-trip); the
  // tail is escaped at random.
  std::pair<std::string, std::string> path_string(bool allow_relative) {
    static const char* const kHeads[] = {
        "/home/al/proj", "/home/al", "/home/alice", "/home/al.bak", "/home/al/proj2",
        "/home/al/proj-x", "/opt/tool", "/home", "/", "/home/al/proj/", "relative/home/al"};
    static const char* const kTails[] = {"/src", "/a b", "/x.js", "/\xc3\xbcn\xc3\xaf", "/q\"u\\o",
                                         "/\xf0\x9f\x98\x80", "/.claude", "/n\nl", "/_", ""};
    std::string head = one_of(kHeads);
    if (!allow_relative && head[0] != '/') head = "/home/al";
    std::string raw = encode(head, pick(0, 1) ? Style::kPlain : Style::kSlashes);
    std::string dec = head;
    for (std::size_t n = pick(0, 3); n > 0; --n) {
      std::string tail = one_of(kTails);
      raw += encode(tail, Style::kRandom);
      dec += tail;
    }
    return {raw, dec};
  }

  // Text with paths in it, the way commands and rules hold them.
  std::pair<std::string, std::string> text_string() {
    static const char* const kWords[] = {"Bash", "node", "run", "x", "--flag", "caf\xc3\xa9", "42"};
    static const char* const kSeps[] = {" ", "(", ")", ":", "=", ",", "'", "\"", " && ", ":*)"};
    std::string raw, dec;
    for (std::size_t n = pick(1, 5); n > 0; --n) {
      if (pick(0, 1)) {
        std::string w = one_of(kWords);
        raw += encode(w, Style::kRandom);
        dec += w;
      } else {
        auto [r, d] = path_string(true);
        raw += r;
        dec += d;
      }
      std::string sep = one_of(kSeps);
      raw += encode(sep, Style::kRandom);
      dec += sep;
    }
    return {raw, dec};
  }

  Doc string_doc(const std::string& raw, const std::string& dec, const std::string& mapped) {
    return Doc{"\"" + raw + "\"", dec, mapped};
  }
  Doc path_value() {
    auto [raw, dec] = path_string(true);
    return string_doc(raw, dec, map_.map_path(dec, Direction::kToContainer).value_or(dec));
  }
  Doc text_value() {
    auto [raw, dec] = text_string();
    return string_doc(raw, dec, map_.map_in_text(dec, Direction::kToContainer));
  }
  // A string that is not a path field: unchanged unless free text is rewritten.
  Doc other_text() {
    auto [raw, dec] = text_string();
    return string_doc(raw, dec, free_text_ ? map_.map_in_text(dec, Direction::kToContainer) : dec);
  }
  Doc number() {
    static const char* const kNums[] = {"0", "-1", "2.5e3", "12345678901234567890", "1E-2"};
    std::string n = one_of(kNums);
    return Doc{n, nlohmann::json::parse(n), nlohmann::json::parse(n)};
  }

  template <class F>
  Doc array_of(F&& element) {
    Doc d{"[" + ws(), nlohmann::json::array(), nlohmann::json::array()};
    for (std::size_t n = pick(0, 3), i = 0; i < n; ++i) {
      if (i > 0) d.text += ws() + "," + ws();
      Doc e = element();
      d.text += e.text;
      d.host.push_back(e.host);
      d.container.push_back(e.container);
    }
    d.text += ws() + "]";
    return d;
  }

  // Fields that must never change (unless free text): keys and values that merely look
  // like path fields at places where they are not.
  Doc other_object(int depth) {
    Doc d;
    Object o(*this, d);
    o.field("note", other_text());
    o.field("n", number());
    o.field("flag", Doc{"true", true, true});
    o.field("nothing", Doc{"null", nullptr, nullptr});
    if (depth > 0) {
      o.field("nested", other_object(depth - 1));
      o.field("list", array_of([&] { return other_text(); }));
    }
    return o.finish();
  }

  Doc servers() {
    Doc d;
    Object o(*this, d);
    for (const char* name : {"a", "b"}) {
      Doc s;
      Object server(*this, s);
      server.field("type", Doc{"\"stdio\"", "stdio", "stdio"});
      server.field("command", text_value());
      server.field("args", array_of([&] { return text_value(); }));
      server.field("cwd", path_value());
      {
        Doc v = text_value();
        server.raw_field("env", "{\"K\":" + ws() + v.text + "}", {{"K", v.host}}, {{"K", v.container}});
      }
      server.field("url", other_text());
      o.field(name, server.finish());
    }
    return o.finish();
  }

  Doc project() {
    Doc d;
    Object o(*this, d);
    o.field("allowedTools", array_of([&] { return other_text(); }));
    o.field("mcpServers", servers());
    o.field("cwd", other_text());  // not a path field in .claude.json
    o.field("history", array_of([&] { return other_object(1); }));
    return o.finish();
  }

  std::mt19937 rng_;
  const PathMap& map_;
  bool free_text_;
  bool single_line_ = false;
};

// The raw insides of the string tokens of a JSON text, and the text with them emptied.
std::pair<std::vector<std::string>, std::string> split_strings(std::string_view text) {
  std::vector<std::string> strings;
  std::string skeleton;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] != '"') {
      skeleton += text[i++];
      continue;
    }
    std::size_t j = i + 1;
    while (j < text.size() && text[j] != '"') j += text[j] == '\\' ? 2 : 1;
    strings.emplace_back(text.substr(i + 1, j - i - 1));
    skeleton += "\"\"";
    i = j + 1;
  }
  return {strings, skeleton};
}

// Checks one document: container form means what the generator expects, differs from
// the input only inside strings whose value changed, and maps back to the same bytes.
void check_document(std::string_view rel, TreeGenerator::Doc doc, const PathMap& m,
                    RewriteOptions o) {
  // A session-log record is one complete line.
  if (rel.size() > 6 && rel.substr(rel.size() - 6) == ".jsonl") doc.text += "\n";
  INFO(rel << ": " << doc.text);
  auto c = rewrite_content(rel, doc.text, m, Direction::kToContainer, o);
  REQUIRE(c.ok());
  INFO("diff: " << nlohmann::json::diff(nlohmann::json::parse(*c), doc.container).dump());
  REQUIRE(nlohmann::json::parse(*c) == doc.container);
  auto [before, skeleton_before] = split_strings(doc.text);
  auto [after, skeleton_after] = split_strings(*c);
  REQUIRE(skeleton_before == skeleton_after);
  REQUIRE(before.size() == after.size());
  for (std::size_t k = 0; k < before.size(); ++k) {
    auto decode = [](const std::string& raw) { return nlohmann::json::parse("\"" + raw + "\"").get<std::string>(); };
    if (decode(before[k]) == decode(after[k])) REQUIRE(before[k] == after[k]);
  }
  auto h = rewrite_content(rel, *c, m, Direction::kToHost, o);
  REQUIRE(h.ok());
  REQUIRE(*h == doc.text);
}

}  // namespace

TEST_CASE("property: generated config trees round-trip byte for byte and change only path fields") {
  PathMap m = default_map();
  PathMap rooted = *PathMap::create({{"/", "/host"}, {"/home/al/proj", "/workspace/proj"}});
  for (bool free_text : {false, true}) {
    for (const PathMap* map : {&m, &rooted}) {
      for (std::uint32_t seed = 1; seed <= 150; ++seed) {
        TreeGenerator g(seed * 7919 + (free_text ? 1 : 0), *map, free_text);
        RewriteOptions o;
        o.free_text = free_text;
        o.spellings = std::make_shared<claude::SpellingMemo>();
        check_document(".claude.json", g.claude_json(), *map, o);
        check_document("settings.json", g.settings_json(), *map, o);
        check_document("projects/-home-al-proj/s.jsonl", g.session_record(false), *map, o);
        check_document("history.jsonl", g.session_record(true), *map, o);
      }
    }
  }
}

TEST_CASE("property: generated session logs round-trip line by line, appended in any chunks") {
  PathMap m = default_map();
  for (std::uint32_t seed = 1; seed <= 60; ++seed) {
    TreeGenerator g(seed, m, false);
    std::string host, container_expected_lines;
    std::vector<nlohmann::json> expected;
    for (int i = 0; i < 8; ++i) {
      auto rec = g.session_record(false);
      host += rec.text + "\n";
      expected.push_back(rec.container);
      if (i == 3) host += "garbage /home/al/proj {\n";
    }
    std::string torn = "{\"cwd\":\"/home/al/pr";
    auto whole = rewrite_content("projects/p/s.jsonl", host + torn, m, Direction::kToContainer);
    REQUIRE(whole.ok());
    REQUIRE(whole->substr(whole->size() - torn.size()) == torn);
    // Appending in chunks of whole lines gives the same bytes as rewriting the file.
    std::string chunked;
    std::size_t start = 0;
    while (start < host.size()) {
      std::size_t end = host.find('\n', start + (seed % 200));
      end = end == std::string::npos ? host.size() : end + 1;
      chunked += rewrite_jsonl_lines(std::string_view(host).substr(start, end - start), m,
                                     Direction::kToContainer);
      start = end;
    }
    REQUIRE(chunked + torn == *whole);
    REQUIRE(rewrite_content("projects/p/s.jsonl", *whole, m, Direction::kToHost).value() == host + torn);
    std::size_t line = 0, pos = 0;
    while (line < expected.size()) {
      std::size_t nl = whole->find('\n', pos);
      std::string_view l = std::string_view(*whole).substr(pos, nl - pos);
      pos = nl + 1;
      if (l.substr(0, 7) == "garbage") {
        REQUIRE(l == "garbage /home/al/proj {");
        continue;
      }
      REQUIRE(nlohmann::json::parse(l) == expected[line++]);
    }
  }
}
