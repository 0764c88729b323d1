#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "hostside/alerter.h"
#include "hostside/commands.h"
#include "hostside/host_logs.h"
#include "hostside/readback.h"
#include "hostside/run_state.h"
#include "hostside/subcommand.h"

namespace claude::host {

namespace {

const char* const kHelp =
    "usage: claude-host readback [--run ID] [--accept-deletes] [--json] [--lock-timeout S]\n"
    "                            [--keychain|--no-keychain]\n"
    "\n"
    "Merges what a container did (its outbox, ~/.claude-docker/runs/<ID>/outbox) into your home.\n"
    "The outbox is treated as hostile: it is opened without following any link, every size is\n"
    "bounded, and a file is merged only when its bytes are the ones its journal records (whole\n"
    "session-log lines written past the journal by a killed container count too). Then:\n"
    "  - a backup snapshot is taken first (claude-host backup list);\n"
    "  - .claude.json: three-way JSON merge (base = the staged copy, ours = the host's now,\n"
    "    theirs = the container's), written under Claude Code's own .claude.json.lock; keys\n"
    "    changed on one side take that side; objects merge key by key; arrays both sides only\n"
    "    appended to are joined; anything else changed on both sides is a conflict: the\n"
    "    container's value is kept and both values are listed;\n"
    "  - session logs (*.jsonl): exactly the bytes the container appended after the staged\n"
    "    copy are appended to yours (lines you appended meanwhile stay first); a log the\n"
    "    container rotated or truncated is kept beside yours as NAME.container-<run>;\n"
    "  - other files: the newer wins, the other is kept beside it as NAME.conflict-<run>;\n"
    "  - deletions: when the container deleted a session log or more than 10 files, nothing is\n"
    "    deleted until you run it again with --accept-deletes;\n"
    "  - nothing is written outside ~/.claude (or $CLAUDE_CONFIG_DIR) and ~/.claude.json, never\n"
    "    through a link that leads out of it, and no link is made that would;\n"
    "  - credentials go back where they came from (the file, or the Keychain on macOS);\n"
    "  - the run's events and metrics (the first 4 MiB of each) are appended to\n"
    "    ~/.claude-docker-events.jsonl and ~/.claude-docker-metrics.jsonl; errors go to\n"
    "    ~/.claude-docker-errors.log.\n"
    "A run whose outbox does not verify is QUARANTINED: what verified is merged, the rest is\n"
    "named and stays in the outbox, and `claude-host stage` no longer reads the run back by\n"
    "itself. Reading any run back again changes nothing. Without --run: the newest run neither\n"
    "read back nor quarantined. A run whose container is still running (its claude-init holds\n"
    "the outbox) is refused: stop it first.\n"
    "\n"
    "exit status: 0 merged; 1 something not verified or refused (the run is quarantined), the\n"
    "             outbox could not be read, or its container still runs; 3 conflicts, held\n"
    "             deletions or container logs kept beside, to review; 2 bad arguments\n";

}  // namespace

int readback_command(HostContext& ctx, std::vector<std::string> argv) {
  Subcommand cmd("readback", std::move(argv));
  if (cmd.help(kHelp)) return 0;
  bool json = cmd.json_flag();
  bool accept_deletes = cmd.args().flag("--accept-deletes");
  auto run = cmd.value("--run");
  auto timeout = cmd.value("--lock-timeout");
  if (auto stop = cmd.finish()) return *stop;
  std::string run_id;
  if (run) {
    run_id = *run;
  } else {
    auto runs = list_runs(ctx.layout);
    for (auto it = runs.rbegin(); it != runs.rend() && run_id.empty(); ++it) {
      auto st = load_run_state(ctx.layout, *it);
      if (st.ok() && st->state != "read-back" && st->state != "quarantined") run_id = *it;
    }
    if (run_id.empty())
      return report_error("readback", Error{"find a run to read back", ctx.layout.runs_dir(), 0,
                                            "every run has been read back", "pass --run ID to read one back again"},
                          json, 0);
  }
  // A container still syncing into the outbox (its claude-init holds it: started from
  // compose.env, or a `claude-host run` still waiting on it) has not finished: read half-way,
  // the run would count as read back and its last changes would wait for a --run by hand.
  if (outbox_locked(ctx.layout, run_id, flock_write_holders_now()))
    return report_error("readback",
                        Error{"read back", ctx.layout.outbox_dir(run_id), 0,
                              "run " + run_id + "'s container is still running (its claude-init holds the outbox)",
                              "stop it first (`docker compose down`, or let `claude-host run` end), then read back"},
                        json, 1);
  int timeout_ms = ctx.config.lock_timeout_s * 1000;
  if (timeout) timeout_ms = static_cast<int>(std::atof(timeout->c_str()) * 1000);
  auto credentials = make_credential_store(ctx.layout, ctx.runner, ctx.keychain);
  Alerter alerter(ctx.layout, ctx.config, ctx.http, ctx.runner, ctx.clock);
  Readback readback(ctx.layout, ctx.config, *credentials, alerter, ctx.clock);
  auto report = readback.run({run_id, timeout_ms, false, accept_deletes});
  if (!report.ok()) return report_error("readback", report.error(), json);
  if (json) {
    nlohmann::json j = report->to_json();
    nlohmann::json alerts = nlohmann::json::array();
    for (const auto& o : alerter.outcomes())
      alerts.push_back({{"key", o.key}, {"decision", o.decision}, {"channels", o.channels}, {"errors", o.errors}});
    j["alerts"] = alerts;
    std::cout << dump_json(j, 2) << std::endl;
  } else {
    std::printf("%s", report->human().c_str());
    for (const auto& o : alerter.outcomes()) std::printf("  alert %s: %s\n", o.key.c_str(), o.decision.c_str());
  }
  return report->exit_status();
}

}  // namespace claude::host
