#include <cstdio>
#include <iostream>

#include "core/bounded_json.h"
#include "core/formats.h"
#include "hostside/backup_store.h"
#include "hostside/commands.h"
#include "hostside/credential_broker.h"
#include "hostside/host_logs.h"
#include "hostside/outbox_reader.h"
#include "hostside/run_state.h"
#include "hostside/subcommand.h"
#include "platform/atomic_file.h"

namespace claude::host {

namespace {

const char* const kHelp =
    "usage: claude-host status [--json]\n"
    "\n"
    "What is staged, running and waiting to be read back, the last read-back, the age of the\n"
    "newest backup, the health of recent runs and which `claude-host run` is the credential\n"
    "broker (keeping the newest login in the host store and every running container).\n";

}  // namespace

int status_command(HostContext& ctx, std::vector<std::string> argv) {
  Subcommand cmd("status", std::move(argv));
  if (cmd.help(kHelp)) return 0;
  bool json = cmd.json_flag();
  if (auto stop = cmd.finish()) return *stop;
  nlohmann::json runs = nlohmann::json::array();
  nlohmann::json last_readback;
  const std::vector<LockedFile> held = flock_write_holders_now();
  for (const auto& id : list_runs(ctx.layout)) {
    auto st = load_run_state(ctx.layout, id);
    if (!st.ok()) {
      runs.push_back({{"run_id", id}, {"state", "unreadable"}, {"error", st.error().message()}});
      continue;
    }
    nlohmann::json r = {{"run_id", id},
                        {"state", st->state},
                        {"project", st->project},
                        {"updated_at", st->updated_at},
                        {"attached", run_is_attached(*st)},
                        // A claude-init holds its outbox: its container runs, whoever started it.
                        {"container_running", outbox_locked(ctx.layout, id, held)}};
    if (st->exit_code) r["exit_code"] = *st->exit_code;
    if (!st->quarantine_reason.empty()) r["quarantine_reason"] = st->quarantine_reason;
    // The outbox is the container's: read beneath it, no link followed, bounded.
    auto outbox = OutboxReader::open(ctx.layout.run_dir(id));
    auto report = outbox.ok() ? outbox->read_report(kRunReportName, 0, 1 << 20)
                              : Result<OutboxReader::Chunk>(outbox.error());
    if (report.ok() && !report->bytes.empty()) {
      auto parsed = parse_bounded_json(report->bytes, kRunReportName, 1 << 20);
      nlohmann::json j = parsed.ok() ? std::move(*parsed) : nlohmann::json();
      if (j.is_object())
        r["health"] = {
            {"clean_stop", j.value("clean_stop", nlohmann::json())},
            {"flush_complete", j.value("flush_complete", nlohmann::json())},
            {"errors", j.contains("errors") && j["errors"].is_array() ? j["errors"].size() : 0}};
    }
    if (!st->last_readback.is_null())
      last_readback = st->last_readback, last_readback["run_id"] = id;
    runs.push_back(r);
  }
  BackupStore store(ctx.layout, ctx.config.backup_mirror, ctx.clock);
  auto age = newest_backup_age_s(store, ctx.clock);
  nlohmann::json j = {{"runs", runs},
                      {"last_readback", last_readback},
                      {"backup_age_s", age ? nlohmann::json(*age) : nlohmann::json(nullptr)},
                      {"state_dir", ctx.layout.state_dir}};
  std::string broker = credential_broker_holder(ctx.layout);
  j["credential_broker"] = broker.empty() ? nlohmann::json(nullptr) : nlohmann::json(broker);
  if (json) {
    std::cout << dump_json(j, 2) << std::endl;
    return 0;
  }
  std::printf("runs (%zu):\n", runs.size());
  for (const auto& r : runs) {
    std::printf("  %s  %-15s %s%s\n", r["run_id"].get<std::string>().c_str(),
                r["state"].get<std::string>().c_str(), r.value("project", "").c_str(),
                r.value("attached", false) || r.value("container_running", false) ? "  (container running)" : "");
    if (r.contains("quarantine_reason"))
      std::printf("      quarantined: %s\n      look at it, then: claude-host readback --run %s\n",
                  r["quarantine_reason"].get<std::string>().c_str(),
                  r["run_id"].get<std::string>().c_str());
    if (r.contains("health"))
      std::printf("      health: clean stop %s, flush complete %s, %s sync error(s)\n",
                  r["health"]["clean_stop"].dump().c_str(),
                  r["health"]["flush_complete"].dump().c_str(),
                  r["health"]["errors"].dump().c_str());
  }
  if (!broker.empty()) std::printf("credential broker: %s\n", broker.c_str());
  if (!last_readback.is_null())
    std::printf("last read-back: run %s at %s, exit status %s\n",
                last_readback["run_id"].get<std::string>().c_str(),
                last_readback.value("time", "").c_str(),
                last_readback["exit_status"].dump().c_str());
  if (age)
    std::printf("newest backup: %lld h %lld min old%s\n", static_cast<long long>(*age / 3600),
                static_cast<long long>(*age % 3600 / 60),
                *age > 86400 ? " (older than 24 h: run `claude-host backup create`)" : "");
  else
    std::printf("no backup yet: run `claude-host backup create`\n");
  return 0;
}

}  // namespace claude::host
