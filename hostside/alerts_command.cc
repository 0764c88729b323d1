#include <cstdio>
#include <iostream>

#include "hostside/alerter.h"
#include "hostside/backup_store.h"
#include "hostside/commands.h"
#include "hostside/run_state.h"
#include "hostside/subcommand.h"

namespace claude::host {

namespace {

const char* const kHelp =
    "usage: claude-host alerts check|test [--json]\n"
    "\n"
    "  check  evaluate the standing rules now: the newest backup older than 24 h, the last\n"
    "         read-back failed; raise what applies (read-backs raise their own alerts)\n"
    "  test   send a test alert through every configured channel\n"
    "\n"
    "Channels: \"webhook_url\" in ~/.claude-docker/config.json (Slack-style JSON POST, 5 s\n"
    "timeout, 3 tries) and a desktop notification (notify-send or osascript, when installed;\n"
    "\"desktop_notifications\": false turns it off). The same alert goes out at most once per\n"
    "15 minutes and at most 10 alerts per hour; the rest are logged as suppressed in\n"
    "~/.claude-docker-events.jsonl.\n";

}  // namespace

int alerts_command(HostContext& ctx, std::vector<std::string> argv) {
  Subcommand cmd("alerts", std::move(argv));
  if (cmd.help(kHelp)) return 0;
  bool json = cmd.json_flag();
  auto action = cmd.args().positional();
  if (auto stop = cmd.finish()) return *stop;
  if (!action || (*action != "check" && *action != "test"))
    return cmd.fail(Error{"read the command line of", "alerts", 0, "say what to do", "check or test; see --help"}, 2);
  Alerter alerter(ctx.layout, ctx.config, ctx.http, ctx.runner, ctx.clock);
  if (*action == "test") {
    alerter.raise(Alert{"test", "warning", "claude-host: test alert", "If you can read this, alerts reach you.", "", ""});
  } else {
    BackupStore store(ctx.layout, ctx.config.backup_mirror, ctx.clock);
    if (auto a = stale_backup_alert(newest_backup_age_s(store, ctx.clock))) alerter.raise(*a);
    auto runs = list_runs(ctx.layout);
    if (!runs.empty()) {
      auto st = load_run_state(ctx.layout, runs.back());
      if (st.ok() && st->state == "readback-failed")
        if (auto a = readback_alert(st->run_id, st->trace_id, "the last read-back of run " + st->run_id + " failed", {}))
          alerter.raise(*a);
    }
  }
  bool failed = false;
  nlohmann::json out = nlohmann::json::array();
  for (const auto& o : alerter.outcomes()) {
    failed = failed || (!o.errors.empty() && o.channels.empty());
    out.push_back({{"key", o.key}, {"decision", o.decision}, {"channels", o.channels}, {"errors", o.errors}});
    if (!json) {
      std::printf("alert %s: %s", o.key.c_str(), o.decision.c_str());
      for (const auto& c : o.channels) std::printf(" [%s]", c.c_str());
      std::printf("\n");
      for (const auto& e : o.errors) std::printf("  failed: %s\n", e.c_str());
    }
  }
  if (json) std::cout << nlohmann::json{{"alerts", out}}.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
  else if (out.empty()) std::printf("no alert: all rules pass\n");
  return failed ? 1 : 0;
}

}  // namespace claude::host
