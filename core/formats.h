// The on-disk contract between the two binaries: every folder and file name of a run's
// stage, outbox and credentials inbox, and the version string of every format claude-host
// and claude-init hand each other. Both sides spell these names only through this header,
// so that a change of layout is one change here (and one in ARCHITECTURE.md, "Stage",
// "Outbox" and "Credentials", which describe what each holds).
#pragma once

#include <string>
#include <string_view>

namespace claude {

// ---- Format versions: "<name>/<major>"; a reader takes any minor of its major
// (reads_format in core/manifest.h). ----

// <stage>/manifest.json.
inline constexpr std::string_view kStageFormat = "claude-stage/1";
// The begin records of <outbox>/journal.jsonl.
inline constexpr std::string_view kOutboxFormat = "claude-outbox/1";
// Each line of <outbox>/reports/events.jsonl and metrics.jsonl, and reports/run.json.
inline constexpr std::string_view kEventsFormat = "claude-events/1";
inline constexpr std::string_view kMetricsFormat = "claude-metrics/1";
inline constexpr std::string_view kReportFormat = "claude-report/1";

// claude-host's own files under ~/.claude-docker (never read by the container; here so that
// every format version is in one list): backups/snapshots/<id>.json (version 1, without the
// folder's own entry and the mtimes, is still read), hash-cache.json, alert-throttle.json
// and runs/<id>/state.json.
inline constexpr std::string_view kBackupFormat = "claude-backup/2";
inline constexpr std::string_view kBackupFormatV1 = "claude-backup/1";
inline constexpr std::string_view kHashCacheFormat = "claude-hash-cache/1";
inline constexpr std::string_view kAlertThrottleFormat = "claude-alert-throttle/1";
inline constexpr std::string_view kRunStateFormat = "claude-host-run/1";

// ---- A run's folder on the host (~/.claude-docker/runs/<id>/): the three folders
// claude-host mounts into the container (at claude-init's --stage, --outbox, --inbox). ----

// Host -> container, read-only.
inline constexpr std::string_view kStageDirName = "stage";
// Container -> host.
inline constexpr std::string_view kOutboxDirName = "outbox";
// Host -> container credentials, read-only.
inline constexpr std::string_view kInboxDirName = "inbox";

// ---- Inside a stage and an outbox. ----

// The config tree in host form, in both the stage and the outbox.
inline constexpr std::string_view kTreeDirName = "tree";
// <stage>/manifest.json (kStageFormat): the staged files, links and path mapping.
inline constexpr std::string_view kManifestFileName = "manifest.json";
// <stage>/tree.new: the next tree, built beside `tree` and renamed over it.
inline constexpr std::string_view kNextTreeDirName = "tree.new";
// <outbox>/journal.jsonl (kOutboxFormat): one line per completed operation on the tree.
inline constexpr std::string_view kJournalFileName = "journal.jsonl";
// <outbox>/reports/ and the three reports in it.
inline constexpr std::string_view kReportsDirName = "reports";
inline constexpr std::string_view kRunReportName = "run.json";           // kReportFormat
inline constexpr std::string_view kEventsReportName = "events.jsonl";    // kEventsFormat
inline constexpr std::string_view kMetricsReportName = "metrics.jsonl";  // kMetricsFormat

// ---- Files inside a tree and the inbox that both sides treat apart. ----

// The OAuth credentials: in a tree, and the only file of the inbox.
inline constexpr std::string_view kCredentialsFileName = ".credentials.json";
// Claude Code's state file, merged three-way at read-back.
inline constexpr std::string_view kClaudeJsonName = ".claude.json";

// ---- Temp names: readers ignore them. ----

// In a tree and the user's config folder: ".<name>.claude-init-tmp.<hex>" (temp_name in
// core/journal.h for names near NAME_MAX).
inline constexpr std::string_view kTempMarker = ".claude-init-tmp.";
// In the inbox: "<name>.tmp.<16 hex>", renamed over <name> once written and synced.
inline constexpr std::string_view kInboxTempMarker = ".tmp.";

// "<dir>/<name>": a name of this header put under a folder (or a relative path under one
// of its folders, as join_path(kTreeDirName, rel)).
inline std::string join_path(std::string_view dir, std::string_view name) {
  std::string out;
  out.reserve(dir.size() + 1 + name.size());
  out.append(dir).append(1, '/').append(name);
  return out;
}

}  // namespace claude
