#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "hostside/alerter.h"
#include "hostside/commands.h"
#include "hostside/credential_broker.h"
#include "hostside/host_logs.h"
#include "hostside/readback.h"
#include "hostside/run_state.h"
#include "hostside/stage_options.h"
#include "hostside/subcommand.h"
#include "platform/atomic_file.h"

namespace claude::host {

namespace {

const char* const kHelp =
    "usage: claude-host run [options] [-- claude arguments]\n"
    "\n"
    "The one command: stage (see `claude-host stage --help`), then\n"
    "  docker run --rm -it --memory 2g --cpus 2 --pids-limit 100 (never --init: claude-init is PID 1)\n"
    "    with the stage mounted read-only, the outbox read-write and the project: the git root\n"
    "    of the current folder (or of --project) at /workspace/<root name>, the container\n"
    "    starting in the same subfolder (override with --mount-root DIR); ANTHROPIC_* and\n"
    "    CLAUDE_CODE_* variables passed by name only,\n"
    "then wait, read back (see `claude-host readback --help`) and exit with the container's\n"
    "status. Arguments after -- go to claude (`claude-host run -- -p \"hi\"`).\n"
    "\n"
    "One login everywhere: every `claude-host run` of a home joins one credential broker (a\n"
    "lock on ~/.claude-docker/credential-broker.lock; when its holder exits, another run takes\n"
    "over). It watches the host's credentials and each running container's, and within a\n"
    "second of a refresh anywhere writes the newest login (latest expiresAt) to the host and\n"
    "into every other running container (its inbox, mounted read-only at /run/claude/inbox);\n"
    "an older copy never overwrites a newer one. The stage gets the newest copy too.\n"
    "CLAUDE_CODE_OAUTH_TOKEN (a long-lived token from `claude setup-token`; for CI and long\n"
    "headless runs) passes to the container by name only and is never written to any file.\n"
    "Run as a user other than root, the session runs as that user (CLAUDE_INIT_USER=uid:gid),\n"
    "so what it writes in the project and in ~/.claude is yours; as root nothing changes.\n"
    "\n"
    "options:\n";

}  // namespace

int run_command(HostContext& ctx, std::vector<std::string> argv) {
  Subcommand cmd("run", std::move(argv));
  if (cmd.help(kHelp, kStageOptionsHelp)) return 0;
  CliArgs& args = cmd.args();
  auto options = read_stage_options(ctx, args);
  if (!options.ok()) return cmd.fail(options.error(), 2);
  cmd.set_json(options->json);
  bool json = options->json;
  if (auto stop = cmd.finish()) return *stop;

  auto credentials = make_credential_store(ctx.layout, ctx.runner, ctx.keychain);
  Alerter alerter(ctx.layout, ctx.config, ctx.http, ctx.runner, ctx.clock);
  auto staged = stage_with_pending(ctx, *options, alerter, *credentials);
  if (!staged.ok()) return report_error("run", staged.error(), json);
  for (const auto& w : staged->warnings) std::fprintf(stderr, "claude-host: warning: %s\n", w.c_str());

  std::vector<std::string> command;
  if (!args.rest().empty()) {
    command.push_back("claude");
    command.insert(command.end(), args.rest().begin(), args.rest().end());
  }
  DockerInvocation inv = invocation_for(ctx, *options, *staged, command);
  (void)write_file_atomically(staged->compose_env, compose_env_text(inv), 0600);

  auto state = load_run_state(ctx.layout, staged->run_id);
  if (!state.ok()) return report_error("run", state.error(), json);
  state->state = "running";
  state->host_pid = static_cast<int>(::getpid());
  state->updated_at = rfc3339_utc(ctx.clock.now_ms());
  if (Status s = save_run_state(ctx.layout, *state); !s.ok()) return report_error("run", s.error(), json);
  (void)log_event(ctx.layout, "container_start", staged->trace_id, staged->run_id, {{"image", inv.image}});

  Readback readback(ctx.layout, ctx.config, *credentials, alerter, ctx.clock);
  int exit_code = 0;
  {
    CredentialBroker broker(ctx.layout, *credentials, use_keychain(ctx.keychain), staged->run_id);
    auto status = ctx.runner.interactive(docker_run_args(inv));
    // Not running any more: the broker (this one or another) stops writing its inbox.
    state->state = status.ok() ? "exited" : "staged";
    state->host_pid = 0;
    (void)save_run_state(ctx.layout, *state);
    broker.stop();
    if (!status.ok()) {
      Error e = status.error();
      e.fix = "install Docker (docker.io) and make sure `docker info` works; the stage is kept for `claude-host run --run " + staged->run_id + "`";
      return report_error("run", e, json, 125);
    }
    exit_code = *status;
    if (broker.host_writes() + broker.inbox_writes() > 0)
      std::fprintf(stderr, "claude-host: as the credential broker, wrote the newest login to the host %d time(s) and to running containers %d time(s)\n",
                   broker.host_writes(), broker.inbox_writes());
  }
  state->state = "exited";
  state->exit_code = exit_code;
  state->host_pid = 0;
  state->updated_at = rfc3339_utc(ctx.clock.now_ms());
  (void)save_run_state(ctx.layout, *state);
  (void)log_event(ctx.layout, "container_exit", staged->trace_id, staged->run_id, {{"exit_code", exit_code}});

  auto report = readback.run({staged->run_id, options->stage.lock_timeout_ms, false});
  if (!report.ok()) {
    report_error("run", report.error(), json);
    return exit_code != 0 ? exit_code : 1;
  }
  if (json) {
    nlohmann::json j = {{"stage", staged->to_json()}, {"readback", report->to_json()}, {"exit_code", exit_code}};
    std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
  } else {
    std::fprintf(stderr, "%s", report->human().c_str());
  }
  return exit_code;
}

}  // namespace claude::host
