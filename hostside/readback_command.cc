#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "hostside/alerter.h"
#include "hostside/cli_args.h"
#include "hostside/commands.h"
#include "hostside/readback.h"
#include "hostside/run_state.h"

namespace claude::host {

namespace {

const char* const kHelp =
    "usage: claude-host readback [--run ID] [--json] [--lock-timeout S] [--keychain|--no-keychain]\n"
    "\n"
    "Merges what a container did (its outbox, ~/.claude-docker/runs/<ID>/outbox) into your home:\n"
    "  - verifies every outbox file against the journal (sha256, size; temp files ignored);\n"
    "    what does not verify is not merged and is reported;\n"
    "  - takes a backup snapshot first (claude-host backup list);\n"
    "  - .claude.json: three-way JSON merge (base = the staged copy, ours = the host's now,\n"
    "    theirs = the container's), written under Claude Code's own .claude.json.lock; keys\n"
    "    changed on one side take that side; objects merge key by key; arrays both sides only\n"
    "    appended to are joined; anything else changed on both sides is a conflict: the\n"
    "    container's value is kept and both values are listed;\n"
    "  - session logs (*.jsonl): the container's new lines are appended, never twice;\n"
    "  - other files: the newer wins, the other is kept beside it as NAME.conflict-<run>;\n"
    "  - credentials go back where they came from (the file, or the Keychain on macOS);\n"
    "  - the run's events and metrics are appended to ~/.claude-docker-events.jsonl and\n"
    "    ~/.claude-docker-metrics.jsonl; errors go to ~/.claude-docker-errors.log.\n"
    "Running it twice changes nothing. Without --run: the newest run not read back yet.\n"
    "\n"
    "exit status: 0 merged; 1 something could not be verified or merged; 3 conflicts to review;\n"
    "             2 bad arguments\n";

}  // namespace

int readback_command(HostContext& ctx, std::vector<std::string> argv) {
  CliArgs args(std::move(argv));
  if (args.flag("--help", "-h")) {
    std::printf("%s", kHelp);
    return 0;
  }
  bool json = args.flag("--json");
  auto run = args.value("--run");
  auto timeout = args.value("--lock-timeout");
  if (!run.ok()) return report_error("readback", run.error(), json, 2);
  if (!timeout.ok()) return report_error("readback", timeout.error(), json, 2);
  if (Status s = args.finish("readback"); !s.ok()) return report_error("readback", s.error(), json, 2);
  std::string run_id;
  if (*run) {
    run_id = **run;
  } else {
    auto runs = list_runs(ctx.layout);
    for (auto it = runs.rbegin(); it != runs.rend() && run_id.empty(); ++it) {
      auto st = load_run_state(ctx.layout, *it);
      if (st.ok() && st->state != "read-back") run_id = *it;
    }
    if (run_id.empty())
      return report_error("readback", Error{"find a run to read back", ctx.layout.runs_dir(), 0,
                                            "every run has been read back", "pass --run ID to read one back again"},
                          json, 0);
  }
  int timeout_ms = ctx.config.lock_timeout_s * 1000;
  if (*timeout) timeout_ms = static_cast<int>(std::atof((*timeout)->c_str()) * 1000);
  auto credentials = make_credential_store(ctx.layout, ctx.runner, ctx.keychain);
  Alerter alerter(ctx.layout, ctx.config, ctx.http, ctx.runner, ctx.clock);
  Readback readback(ctx.layout, ctx.config, *credentials, alerter, ctx.clock);
  auto report = readback.run({run_id, timeout_ms, false});
  if (!report.ok()) return report_error("readback", report.error(), json);
  if (json) {
    nlohmann::json j = report->to_json();
    nlohmann::json alerts = nlohmann::json::array();
    for (const auto& o : alerter.outcomes())
      alerts.push_back({{"key", o.key}, {"decision", o.decision}, {"channels", o.channels}, {"errors", o.errors}});
    j["alerts"] = alerts;
    std::cout << j.dump(2) << std::endl;
  } else {
    std::printf("%s", report->human().c_str());
    for (const auto& o : alerter.outcomes()) std::printf("  alert %s: %s\n", o.key.c_str(), o.decision.c_str());
  }
  return report->exit_status();
}

}  // namespace claude::host
