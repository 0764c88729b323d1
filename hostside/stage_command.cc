#include <cstdio>
#include <iostream>

#include "hostside/alerter.h"
#include "hostside/commands.h"
#include "hostside/readback.h"
#include "hostside/stage_options.h"
#include "hostside/subcommand.h"
#include "platform/atomic_file.h"

namespace claude::host {

namespace {

const char* const kHelp =
    "usage: claude-host stage [options]\n"
    "\n"
    "Copies your Claude Code state (~/.claude.json, ~/.claude or $CLAUDE_CONFIG_DIR, and the\n"
    "credentials from the Keychain on macOS or .credentials.json on Linux) into a new stage\n"
    "under ~/.claude-docker/runs/<run-id>/, with a manifest (sizes, sha256, path mapping), ready\n"
    "to be mounted read-only into a claude-init container. Every JSON file must parse; FIFOs,\n"
    "devices and symlinks leading out of the folder stop the stage (nothing is written).\n"
    "Unchanged files are not copied again. Any earlier run's outbox that was never read back\n"
    "is read back first. Holds ~/.claude-docker/lock while it works.\n"
    "The credentials staged are the newest login among the host's and those of the running\n"
    "runs (their outbox and inbox copies): never older than what the credential broker holds.\n"
    "It says whether the access token expired (when), expires within the hour (in how long)\n"
    "or is valid until when, and whether a refresh token exists. Also makes the run's inbox\n"
    "(0700), mounted read-only at /run/claude/inbox.\n"
    "\n"
    "options:\n"
    "  --print-docker-args print the `docker run` command line for this stage on stdout\n";

}  // namespace

// Stages, writes compose.env; shared by `stage` and `run`.
Result<StageReport> stage_with_pending(HostContext& ctx, const StageCommandOptions& options, AlertSink& alerts,
                                       CredentialStore& credentials) {
  Readback readback(ctx.layout, ctx.config, credentials, alerts, ctx.clock);
  Stager stager(ctx.layout, ctx.config, credentials, ctx.clock);
  auto apply = [&](const std::string& run_id) -> Status {
    auto r = readback.run({run_id, 0, /*lock_held=*/true});
    if (!r.ok()) return r.error();
    std::fprintf(stderr, "%s", r->human().c_str());
    if (!r->quarantined.empty())
      return Error{"read back", ctx.layout.outbox_dir(run_id), 0, "quarantined: " + r->quarantined,
                   "look at it, then `claude-host readback --run " + run_id + "`; this stage goes on without it"};
    return Ok{};
  };
  auto report = stager.stage(options.stage, apply);
  if (report.ok()) report->warnings.insert(report->warnings.begin(), options.notes.begin(), options.notes.end());
  return report;
}

int stage_command(HostContext& ctx, std::vector<std::string> argv) {
  Subcommand cmd("stage", std::move(argv));
  if (cmd.help(kHelp, kStageOptionsHelp)) return 0;
  CliArgs& args = cmd.args();
  bool print_args = args.flag("--print-docker-args");
  auto options = read_stage_options(ctx, args);
  if (!options.ok()) return cmd.fail(options.error(), 2);
  cmd.set_json(options->json);
  bool json = options->json;
  if (auto stop = cmd.finish()) return *stop;

  auto credentials = make_credential_store(ctx.layout, ctx.runner, ctx.keychain);
  Alerter alerter(ctx.layout, ctx.config, ctx.http, ctx.runner, ctx.clock);
  auto report = stage_with_pending(ctx, *options, alerter, *credentials);
  if (!report.ok()) return report_error("stage", report.error(), json);

  DockerInvocation inv = invocation_for(ctx, *options, *report, args.rest());
  Status env = write_file_atomically(report->compose_env, compose_env_text(inv), 0600);
  if (!env.ok()) return report_error("stage", env.error(), json);
  auto docker = docker_run_args(inv);
  std::string line;
  for (const auto& a : docker) {
    if (!line.empty()) line += ' ';
    line += shell_quote(a);
  }

  if (json) {
    nlohmann::json j = report->to_json();
    j["docker_args"] = docker;
    j["docker_command"] = line;
    std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
    return 0;
  }
  FILE* human = print_args ? stderr : stdout;
  std::fprintf(human, "staged run %s (trace %s): %zu files, %.1f MiB; %zu copied, %zu unchanged; %.2f s\n",
               report->run_id.c_str(), report->trace_id.c_str(), report->files,
               static_cast<double>(report->bytes) / (1 << 20), report->copied, report->reused, report->seconds);
  for (const auto& [why, n] : report->skipped) std::fprintf(human, "  left out: %zu (%s)\n", n, why.c_str());
  for (const auto& id : report->applied_runs) std::fprintf(human, "  read back earlier run %s first\n", id.c_str());
  for (const auto& w : report->warnings) std::fprintf(human, "  warning: %s\n", w.c_str());
  if (!report->credentials.empty())
    std::fprintf(human, "  credentials: %s (from %s)\n", report->credentials.c_str(), report->credentials_source.c_str());
  std::fprintf(human, "  stage:   %s\n  outbox:  %s\n  compose: docker compose --env-file %s -f compose/docker-compose.yml up\n",
               report->stage_dir.c_str(), report->outbox_dir.c_str(), report->compose_env.c_str());
  std::fprintf(human, "  then:    claude-host readback --run %s\n", report->run_id.c_str());
  if (print_args) std::printf("%s\n", line.c_str());
  return 0;
}

}  // namespace claude::host
