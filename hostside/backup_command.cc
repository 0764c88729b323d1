#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "hostside/backup_store.h"
#include "hostside/commands.h"
#include "hostside/host_lock.h"
#include "hostside/host_logs.h"
#include "hostside/subcommand.h"

namespace claude::host {

namespace {

const char* const kBackupHelp =
    "usage: claude-host backup create|list|verify|prune [--keep-days N] [--mirror DIR] [--json]\n"
    "\n"
    "Snapshots of ~/.claude (or $CLAUDE_CONFIG_DIR) and ~/.claude.json in\n"
    "~/.claude-docker/backups/: every distinct file content is stored once (by sha256) and\n"
    "shared by all snapshots, so a snapshot of an unchanged home costs almost nothing.\n"
    "  create   take a snapshot now (also copied to the mirror folder when set)\n"
    "  list     the snapshots, newest first\n"
    "  verify   re-hash every stored file of every snapshot; exit 1 if any is missing or corrupt\n"
    "  prune    remove snapshots older than --keep-days (default 30, \"backup_keep_days\" in\n"
    "           ~/.claude-docker/config.json), always keeping the newest, and unused contents\n"
    "options:\n"
    "  --mirror DIR   a second copy of every snapshot (default \"backup_mirror\" in config.json)\n"
    "  --keep-days N  retention for prune\n"
    "  --json         machine-readable output\n";

const char* const kRestoreHelp =
    "usage: claude-host restore [--at TIME | ID] [--mirror DIR] [--json]\n"
    "\n"
    "Restores the newest snapshot whose files all verify (or the newest at or before TIME,\n"
    "e.g. 2026-11-21T18:00:00Z or \"2026-11-21 18:00\" in UTC, or exactly snapshot ID). What is\n"
    "there now is snapshotted first; the restored folder is built beside ~/.claude and swapped\n"
    "in with one atomic rename; ~/.claude.json is replaced atomically under Claude Code's lock;\n"
    "everything is verified by checksum afterwards. Quit `claude` on the host first.\n";

nlohmann::json snapshot_summary(const Snapshot& s) {
  return {{"id", s.id}, {"created_ms", s.created_ms}, {"reason", s.reason}, {"files", s.file_count()}, {"bytes", s.total_bytes()}};
}

}  // namespace

int backup_command(HostContext& ctx, std::vector<std::string> argv) {
  Subcommand cmd("backup", std::move(argv));
  if (cmd.help(kBackupHelp)) return 0;
  bool json = cmd.json_flag();
  auto mirror = cmd.value("--mirror");
  auto keep = cmd.value("--keep-days");
  auto action = cmd.args().positional();
  if (auto stop = cmd.finish()) return *stop;
  if (!action || (*action != "create" && *action != "list" && *action != "verify" && *action != "prune"))
    return cmd.fail(Error{"read the command line of", "backup", 0, "say what to do", "create, list, verify or prune; see --help"}, 2);
  BackupStore store(ctx.layout, mirror.value_or(ctx.config.backup_mirror), ctx.clock);

  if (*action == "list") {
    std::vector<std::string> broken;
    auto snaps = store.list(&broken);
    if (json) {
      nlohmann::json j = {{"snapshots", nlohmann::json::array()}, {"broken", broken}};
      for (const auto& s : snaps) j["snapshots"].push_back(snapshot_summary(s));
      std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
    } else {
      for (const auto& s : snaps)
        std::printf("%s  %s  %5zu files  %8.1f MiB  %s\n", s.id.c_str(), rfc3339_utc(s.created_ms).c_str(), s.file_count(),
                    static_cast<double>(s.total_bytes()) / (1 << 20), s.reason.c_str());
      for (const auto& b : broken) std::printf("BROKEN: %s\n", b.c_str());
      if (snaps.empty()) std::printf("no snapshots yet: run `claude-host backup create`\n");
    }
    return broken.empty() ? 0 : 1;
  }
  if (*action == "verify") {
    std::vector<std::string> broken;
    auto snaps = store.list(&broken);
    bool all_ok = broken.empty();
    nlohmann::json j = {{"snapshots", nlohmann::json::array()}, {"broken", broken}};
    for (const auto& s : snaps) {
      auto check = store.verify(s);
      all_ok = all_ok && check.ok;
      j["snapshots"].push_back({{"id", s.id}, {"ok", check.ok}, {"problems", check.problems}});
      if (!json) {
        std::printf("%s  %s\n", s.id.c_str(), check.ok ? "ok" : "CORRUPT");
        for (const auto& p : check.problems) std::printf("    %s\n", p.c_str());
      }
    }
    if (json) std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
    if (!all_ok && !json) std::printf("some snapshots do not verify; `claude-host restore` skips them\n");
    return all_ok ? 0 : 1;
  }

  auto lock = HostLock::acquire(ctx.layout.lock_path(), "claude-host backup " + *action, ctx.config.lock_timeout_s * 1000);
  if (!lock.ok()) return report_error("backup", lock.error(), json);
  if (*action == "create") {
    auto snap = store.create("manual");
    if (!snap.ok()) return report_error("backup", snap.error(), json);
    (void)log_event(ctx.layout, "backup_created", "", "", snapshot_summary(*snap));
    if (json) std::cout << snapshot_summary(*snap).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
    else std::printf("snapshot %s: %zu files, %.1f MiB\n", snap->id.c_str(), snap->file_count(),
                     static_cast<double>(snap->total_bytes()) / (1 << 20));
    return 0;
  }
  int keep_days = ctx.config.backup_keep_days;
  if (keep) keep_days = std::atoi(keep->c_str());
  if (keep_days < 1) return report_error("backup", Error{"read --keep-days", "", 0, "must be at least 1", ""}, json, 2);
  auto pruned = store.prune(keep_days);
  if (!pruned.ok()) return report_error("backup", pruned.error(), json);
  if (json) {
    std::cout << nlohmann::json{{"removed", pruned->removed}, {"objects_removed", pruned->objects_removed},
                                {"bytes_freed", pruned->bytes_freed}}.dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
              << std::endl;
  } else {
    std::printf("removed %zu snapshot(s) older than %d days and %zu unused file(s), %.1f MiB freed\n",
                pruned->removed.size(), keep_days, pruned->objects_removed,
                static_cast<double>(pruned->bytes_freed) / (1 << 20));
  }
  return 0;
}

int restore_command(HostContext& ctx, std::vector<std::string> argv) {
  Subcommand cmd("restore", std::move(argv));
  if (cmd.help(kRestoreHelp)) return 0;
  bool json = cmd.json_flag();
  auto at = cmd.value("--at");
  auto mirror = cmd.value("--mirror");
  auto id = cmd.args().positional();
  if (auto stop = cmd.finish()) return *stop;
  std::optional<std::int64_t> at_s;
  if (at) {
    std::int64_t t = parse_time_utc(*at);
    if (t < 0)
      return cmd.fail(Error{"read --at", "", 0, "'" + *at + "' is not a time", "e.g. --at 2026-11-21T18:00:00Z"}, 2);
    at_s = t;
  }
  auto lock = HostLock::acquire(ctx.layout.lock_path(), "claude-host restore", ctx.config.lock_timeout_s * 1000);
  if (!lock.ok()) return report_error("restore", lock.error(), json);
  BackupStore store(ctx.layout, mirror.value_or(ctx.config.backup_mirror), ctx.clock);
  auto report = store.restore(at_s, id);
  if (!report.ok()) return report_error("restore", report.error(), json);
  nlohmann::json rejected = nlohmann::json::array();
  for (const auto& r : report->rejected) rejected.push_back({{"id", r.id}, {"problems", r.problems}});
  (void)log_event(ctx.layout, "restored", "", "", {{"snapshot", report->snapshot_id}, {"rejected", rejected}});
  if (json) {
    std::cout << nlohmann::json{{"snapshot_id", report->snapshot_id}, {"safety_snapshot_id", report->safety_snapshot_id},
                                {"rejected", rejected}, {"files", report->files}, {"bytes", report->bytes},
                                {"seconds", report->seconds}}.dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
              << std::endl;
  } else {
    for (const auto& r : report->rejected)
      std::printf("skipped snapshot %s: does not verify (%s)\n", r.id.c_str(), r.problems.empty() ? "" : r.problems[0].c_str());
    std::printf("restored snapshot %s: %zu files, %.1f MiB in %.1f s, verified\n", report->snapshot_id.c_str(),
                report->files, static_cast<double>(report->bytes) / (1 << 20), report->seconds);
    std::printf("what was there before is snapshot %s (claude-host restore %s to go back)\n",
                report->safety_snapshot_id.c_str(), report->safety_snapshot_id.c_str());
  }
  return 0;
}

}  // namespace claude::host
