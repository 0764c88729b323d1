// The `docker run` command line and the compose env file for one staged run. Pure: the
// caller supplies the folders, the ids and which ANTHROPIC_* variables are set.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace claude::host {

struct DockerInvocation {
  std::string stage_dir;                   // mounted read-only at /run/claude/stage
  std::string outbox_dir;                  // mounted read-write at /run/claude/outbox
  std::string inbox_dir;                   // mounted read-only at /run/claude/inbox ("": none)
  std::optional<std::string> project_dir;  // mounted at project_mount (a folder, never a file)
  std::string project_mount;               // "" : workdir
  std::string workdir;                     // the container's working directory
  std::string run_id;
  std::string trace_id;
  std::string image = "claude-init:latest";
  std::vector<std::string> env_names;   // passed by name (-e NAME), so values never reach argv
  std::vector<std::string> extra_args;  // the user's extra docker arguments, before the image
  std::vector<std::string> command;     // the container command; empty: the image's default
  bool tty = false;                     // -it when on a terminal, else -i
  std::string user;                     // "uid:gid" the session runs as (CLAUDE_INIT_USER); "": root
};

// docker run --rm -i[t] --name claude-<run> --memory 2g --cpus 2 --pids-limit 100 (never
// --init: the image's claude-init is PID 1) --mount … -w … -e … <extra> <image> <command>.
std::vector<std::string> docker_run_args(const DockerInvocation& inv);

// KEY=VALUE lines for compose/docker-compose.yml (CLAUDE_STAGE_DIR, CLAUDE_OUTBOX_DIR, CLAUDE_INBOX_DIR,
// CLAUDE_PROJECT_DIR, CLAUDE_PROJECT_MOUNT, CLAUDE_WORKDIR, CLAUDE_IMAGE, CLAUDE_INIT_RUN_ID, CLAUDE_INIT_TRACE_ID,
// CLAUDE_COMMAND when a command is given). No secrets: ANTHROPIC_* and CLAUDE_CODE_*
// (CLAUDE_CODE_OAUTH_TOKEN among them) stay in the environment, passed by name.
std::string compose_env_text(const DockerInvocation& inv);

// The names of the ANTHROPIC_* and CLAUDE_CODE_* variables set in `environ`-style
// entries ("NAME=value"), sorted.
std::vector<std::string> passthrough_env_names(const std::vector<std::string>& environment);

// One argument quoted for a POSIX shell when it needs it (for --print-docker-args).
std::string shell_quote(const std::string& arg);

}  // namespace claude::host
