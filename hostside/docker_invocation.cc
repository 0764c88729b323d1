#include "hostside/docker_invocation.h"

#include <algorithm>

namespace claude::host {

std::vector<std::string> docker_run_args(const DockerInvocation& inv) {
  std::vector<std::string> a = {"docker", "run", "--rm", inv.tty ? "-it" : "-i", "--name", "claude-" + inv.run_id,
                                "--memory", "2g", "--memory-swap", "2g", "--cpus", "2", "--pids-limit", "100",
                                "--stop-timeout", "20"};
  a.push_back("--mount");
  a.push_back("type=bind,source=" + inv.stage_dir + ",target=/run/claude/stage,readonly");
  a.push_back("--mount");
  a.push_back("type=bind,source=" + inv.outbox_dir + ",target=/run/claude/outbox");
  if (!inv.inbox_dir.empty()) {
    a.push_back("--mount");
    a.push_back("type=bind,source=" + inv.inbox_dir + ",target=/run/claude/inbox,readonly");
  }
  if (inv.project_dir) {
    a.push_back("--mount");
    a.push_back("type=bind,source=" + *inv.project_dir + ",target=" +
                (inv.project_mount.empty() ? inv.workdir : inv.project_mount));
  }
  a.push_back("-w");
  a.push_back(inv.workdir);
  a.push_back("-e");
  a.push_back("CLAUDE_INIT_RUN_ID=" + inv.run_id);
  a.push_back("-e");
  a.push_back("CLAUDE_INIT_TRACE_ID=" + inv.trace_id);
  // The CLI refuses --dangerously-skip-permissions as root outside a sandbox; the
  // container is that sandbox.
  a.push_back("-e");
  a.push_back("IS_SANDBOX=1");
  if (!inv.user.empty()) {
    a.push_back("-e");
    a.push_back("CLAUDE_INIT_USER=" + inv.user);
  }
  for (const auto& name : inv.env_names) {
    a.push_back("-e");
    a.push_back(name);  // by name: docker copies the value from its own environment
  }
  a.insert(a.end(), inv.extra_args.begin(), inv.extra_args.end());
  a.push_back(inv.image);
  a.insert(a.end(), inv.command.begin(), inv.command.end());
  return a;
}

std::string compose_env_text(const DockerInvocation& inv) {
  std::string out = "# Written by claude-host stage for run " + inv.run_id + "; use with\n" +
                    "# docker compose --env-file <this file> -f compose/docker-compose.yml up\n";
  auto line = [&](const std::string& k, const std::string& v) { out += k + "=" + v + "\n"; };
  line("CLAUDE_STAGE_DIR", inv.stage_dir);
  line("CLAUDE_OUTBOX_DIR", inv.outbox_dir);
  line("CLAUDE_INBOX_DIR", inv.inbox_dir);
  line("CLAUDE_PROJECT_DIR", inv.project_dir.value_or(inv.outbox_dir + "/../empty-project"));
  line("CLAUDE_PROJECT_MOUNT", inv.project_mount.empty() ? inv.workdir : inv.project_mount);
  line("CLAUDE_WORKDIR", inv.workdir);
  line("CLAUDE_IMAGE", inv.image);
  line("CLAUDE_INIT_RUN_ID", inv.run_id);
  line("CLAUDE_INIT_TRACE_ID", inv.trace_id);
  line("CLAUDE_INIT_USER", inv.user);
  if (!inv.command.empty()) {
    std::string cmd;
    for (const auto& c : inv.command) {
      if (!cmd.empty()) cmd += ' ';
      cmd += shell_quote(c);
    }
    line("CLAUDE_COMMAND", cmd);
  }
  return out;
}

std::vector<std::string> passthrough_env_names(const std::vector<std::string>& environment) {
  std::vector<std::string> names;
  for (const auto& kv : environment) {
    auto eq = kv.find('=');
    if (eq == std::string::npos) continue;
    std::string name = kv.substr(0, eq);
    if (name.starts_with("ANTHROPIC_") || name.starts_with("CLAUDE_CODE_")) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

std::string shell_quote(const std::string& arg) {
  bool plain = !arg.empty() && std::all_of(arg.begin(), arg.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("-_./=:,@+%").find(c) != std::string_view::npos;
  });
  if (plain) return arg;
  std::string out = "'";
  for (char c : arg) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

}  // namespace claude::host
