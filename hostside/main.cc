// claude-host: the host half of claude-init. Dispatches to one subcommand; every error
// below this point travels as a claude::Result and is printed by the subcommand.
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <exception>
#include <optional>
#include <string>
#include <vector>

#include "hostside/commands.h"

namespace {

const char* const kUsage =
    "usage: claude-host [--keychain|--no-keychain] <command> [options]\n"
    "\n"
    "Runs Claude Code in a throw-away Docker container with your Claude state, and brings\n"
    "everything the container changed back into your home, merged and backed up.\n"
    "\n"
    "commands:\n"
    "  run        stage, docker run, read back: the one command most people use\n"
    "  stage      copy your Claude state into a stage for `docker run` / compose\n"
    "  readback   merge a finished run's outbox into your home\n"
    "  backup     create | list | verify | prune snapshots of ~/.claude and ~/.claude.json\n"
    "  restore    restore the newest good snapshot (or --at TIME, or an id)\n"
    "  alerts     check | test the alert rules and channels\n"
    "  status     runs staged, running and pending; last read-back; backup age\n"
    "  doctor     what on this machine would break a run, with fixes\n"
    "  broker     one login everywhere for compose containers (foreground)\n"
    "\n"
    "`claude-host <command> --help` says more. Settings: ~/.claude-docker/config.json.\n";

}  // namespace

int main(int argc, char** argv) {
  using namespace claude::host;
  std::vector<std::string> args(argv + 1, argv + argc);
  std::optional<bool> keychain;
  while (!args.empty() && (args.front() == "--keychain" || args.front() == "--no-keychain")) {
    keychain = args.front() == "--keychain";
    args.erase(args.begin());
  }
  if (args.empty() || args.front() == "--help" || args.front() == "-h" || args.front() == "help") {
    std::printf("%s", kUsage);
    return args.empty() ? 2 : 0;
  }
  if (args.front() == "--version") {
    std::printf("claude-host %s\n", CLAUDE_INIT_VERSION);
    return 0;
  }
  std::string command = args.front();
  args.erase(args.begin());
  // --keychain may also follow the subcommand.
  for (auto it = args.begin(); it != args.end() && *it != "--";) {
    if (*it == "--keychain" || *it == "--no-keychain") {
      keychain = *it == "--keychain";
      it = args.erase(it);
    } else {
      ++it;
    }
  }
  try {
    SystemProcessRunner runner;
    SystemClock clock;
    CurlHttpClient http;
    HostLayout layout = layout_from_env();
    if (layout.home.empty()) {
      std::fprintf(stderr, "claude-host: HOME is not set — set HOME to your home folder\n");
      return 2;
    }
    auto config = load_host_config(layout.config_path());
    if (!config.ok()) {
      std::fprintf(stderr, "claude-host: %s\n", config.error().message().c_str());
      return 2;
    }
    HostContext ctx{layout, *config, runner, clock, http, keychain, ::isatty(2) == 1, ::isatty(0) == 1};
    if (command == "stage") return stage_command(ctx, args);
    if (command == "run") return run_command(ctx, args);
    if (command == "readback") return readback_command(ctx, args);
    if (command == "backup") return backup_command(ctx, args);
    if (command == "restore") return restore_command(ctx, args);
    if (command == "alerts") return alerts_command(ctx, args);
    if (command == "status") return status_command(ctx, args);
    if (command == "doctor") return doctor_command(ctx, args);
    if (command == "broker") return broker_command(ctx, args);
    std::fprintf(stderr, "claude-host: unknown command '%s' — run `claude-host --help`\n", command.c_str());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "claude-host %s: unexpected error: %s — please report it with the command you ran\n",
                 command.c_str(), e.what());
    return 1;
  }
}
