#include "hostside/docker_invocation.h"

#include <algorithm>
#include <catch2/catch.hpp>

using namespace claude::host;

namespace {
DockerInvocation sample() {
  DockerInvocation inv;
  inv.stage_dir = "/h/.claude-docker/runs/r1/stage";
  inv.outbox_dir = "/h/.claude-docker/runs/r1/outbox";
  inv.inbox_dir = "/h/.claude-docker/runs/r1/inbox";
  inv.project_dir = "/h/src/app";
  inv.workdir = "/workspace/app";
  inv.run_id = "r1";
  inv.trace_id = "t1";
  inv.env_names = {"ANTHROPIC_API_KEY"};
  inv.command = {"claude", "-p", "it's"};
  return inv;
}
bool has_pair(const std::vector<std::string>& a, const std::string& k, const std::string& v) {
  for (size_t i = 0; i + 1 < a.size(); ++i)
    if (a[i] == k && a[i + 1] == v) return true;
  return false;
}
}  // namespace

TEST_CASE("docker run gets the limits, the mounts and no --init", "[docker_invocation]") {
  auto a = docker_run_args(sample());
  CHECK(std::find(a.begin(), a.end(), "--init") == a.end());
  CHECK(has_pair(a, "--memory", "2g"));
  CHECK(has_pair(a, "--cpus", "2"));
  CHECK(has_pair(a, "--pids-limit", "100"));
  CHECK(has_pair(a, "--mount", "type=bind,source=/h/.claude-docker/runs/r1/stage,target=/run/claude/stage,readonly"));
  CHECK(has_pair(a, "--mount", "type=bind,source=/h/src/app,target=/workspace/app"));
  CHECK(has_pair(a, "-e", "ANTHROPIC_API_KEY"));
  CHECK(has_pair(a, "-e", "CLAUDE_INIT_TRACE_ID=t1"));
  CHECK(std::find(a.begin(), a.end(), "-i") != a.end());
  auto tty = sample();
  tty.tty = true;
  auto b = docker_run_args(tty);
  CHECK(std::find(b.begin(), b.end(), "-it") != b.end());
  CHECK(std::vector<std::string>(a.end() - 4, a.end()) == std::vector<std::string>{"claude-init:latest", "claude", "-p", "it's"});
}

TEST_CASE("only ANTHROPIC_* and CLAUDE_CODE_* names pass through, never values", "[docker_invocation]") {
  auto names = passthrough_env_names({"ANTHROPIC_API_KEY=secret", "PATH=/bin", "CLAUDE_CODE_USE_BEDROCK=1",
                                      "ANTHROPIC_BASE_URL=http://x", "CLAUDE_CONFIG_DIR=/c"});
  CHECK(names == std::vector<std::string>{"ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "CLAUDE_CODE_USE_BEDROCK"});
}

TEST_CASE("the compose env file names every folder and the ids, quoting the command", "[docker_invocation]") {
  std::string env = compose_env_text(sample());
  CHECK(env.find("CLAUDE_STAGE_DIR=/h/.claude-docker/runs/r1/stage\n") != std::string::npos);
  CHECK(env.find("CLAUDE_WORKDIR=/workspace/app\n") != std::string::npos);
  CHECK(env.find("CLAUDE_INIT_TRACE_ID=t1\n") != std::string::npos);
  CHECK(env.find("CLAUDE_COMMAND=claude -p 'it'\\''s'\n") != std::string::npos);
  CHECK(env.find("secret") == std::string::npos);
}

TEST_CASE("a git subfolder's run mounts the root, starts in the subfolder and names the session's user",
          "[docker_invocation]") {
  auto inv = sample();
  inv.project_dir = "/h/work/infra";
  inv.project_mount = "/workspace/infra";
  inv.workdir = "/workspace/infra/modules/net";
  inv.user = "1000:1001";
  auto a = docker_run_args(inv);
  CHECK(has_pair(a, "--mount", "type=bind,source=/h/work/infra,target=/workspace/infra"));
  CHECK(has_pair(a, "-w", "/workspace/infra/modules/net"));
  CHECK(has_pair(a, "-e", "CLAUDE_INIT_USER=1000:1001"));
  std::string env = compose_env_text(inv);
  CHECK(env.find("CLAUDE_PROJECT_DIR=/h/work/infra\n") != std::string::npos);
  CHECK(env.find("CLAUDE_PROJECT_MOUNT=/workspace/infra\n") != std::string::npos);
  CHECK(env.find("CLAUDE_WORKDIR=/workspace/infra/modules/net\n") != std::string::npos);
  CHECK(env.find("CLAUDE_INIT_USER=1000:1001\n") != std::string::npos);
  // As root: no user, nothing changes.
  auto root = docker_run_args(sample());
  CHECK(std::none_of(root.begin(), root.end(), [](const std::string& s) { return s.rfind("CLAUDE_INIT_USER", 0) == 0; }));
}

TEST_CASE("the inbox is mounted read-only and named in the compose env", "[docker_invocation]") {
  auto a = docker_run_args(sample());
  CHECK(has_pair(a, "--mount", "type=bind,source=/h/.claude-docker/runs/r1/inbox,target=/run/claude/inbox,readonly"));
  std::string env = compose_env_text(sample());
  CHECK(env.find("CLAUDE_INBOX_DIR=/h/.claude-docker/runs/r1/inbox\n") != std::string::npos);
}

TEST_CASE("CLAUDE_CODE_OAUTH_TOKEN passes by name only, its value nowhere", "[docker_invocation]") {
  auto names = passthrough_env_names({"CLAUDE_CODE_OAUTH_TOKEN=sk-ant-oat01-CANARY", "HOME=/h"});
  REQUIRE(names == std::vector<std::string>{"CLAUDE_CODE_OAUTH_TOKEN"});
  auto inv = sample();
  inv.env_names = names;
  auto a = docker_run_args(inv);
  CHECK(has_pair(a, "-e", "CLAUDE_CODE_OAUTH_TOKEN"));
  for (const auto& arg : a) CHECK(arg.find("CANARY") == std::string::npos);
  CHECK(compose_env_text(inv).find("CANARY") == std::string::npos);
}
