// `claude-host readback`: merges what a container did into the home, in three steps:
//   plan   — the outbox is read as hostile input (hostside/outbox_reader.h: beneath its
//            folder, no link followed, bounded, every byte checked against the journal),
//            the host's side is looked at beneath the config folder (hostside/home_tree.h),
//            and core/readback_plan.h decides every step;
//   backup — a snapshot of the home, when some step writes;
//   apply  — each step written atomically beneath the config folder, recorded in the run's
//            ledger (state.json), so that a second read-back of any run changes nothing.
// A run whose outbox does not verify is quarantined: what verified is merged, the rest is
// named and stays in the outbox, and `stage` no longer reads it back by itself.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "hostside/alerter.h"
#include "hostside/clock.h"
#include "hostside/credential_store.h"
#include "hostside/host_config.h"
#include "hostside/host_layout.h"

namespace claude::host {

struct ReadbackOptions {
  std::string run_id;
  int lock_timeout_ms = 30000;
  bool lock_held = false;  // the caller (stage) holds the host lock already
  bool accept_deletes = false;  // apply deletions that are held for confirmation
};

struct ReadbackReport {
  std::string run_id, trace_id;
  bool nothing_to_read = false;            // the container never wrote a journal
  std::string quarantined;                 // why the run is quarantined ("" when it is not)
  std::vector<std::string> unverifiable;   // "path: why" — outbox entries not merged
  std::vector<std::string> refused;        // "path: why" — not written, for the home's safety
  std::vector<std::string> unjournaled;    // not merged: published after the last record, then killed
  std::vector<std::string> held_deletes;   // deletions waiting for --accept-deletes
  std::vector<nlohmann::json> kept_beside; // {"path","kept_as","why"}: container logs not merged
  std::vector<std::string> reports_capped; // "events.jsonl: N bytes not copied (cap)"
  std::vector<std::string> files_added, files_changed, files_deleted;
  std::vector<std::string> sessions_added;
  std::vector<std::pair<std::string, std::size_t>> sessions_appended;  // path, lines appended
  bool claude_json_changed = false;
  std::vector<nlohmann::json> json_conflicts;  // .claude.json keys both sides changed
  std::vector<nlohmann::json> file_conflicts;  // {"path","kept","other_kept_as"}
  std::vector<std::string> skipped;            // "path: why"
  std::string credentials;                     // what happened to them ("" = nothing)
  std::string backup_id;                       // the snapshot taken first ("" = nothing to touch)
  nlohmann::json run_report;                   // the init's reports/run.json (null if none)
  std::vector<nlohmann::json> health_events;   // notable events of the run
  std::optional<int> container_exit;
  std::size_t events_copied = 0, metrics_copied = 0;
  double seconds = 0;

  bool changed() const;
  // 0: merged cleanly; 1: something not verified, refused, or the run quarantined;
  // 3: conflicts, held deletions or container logs kept beside, to look at.
  int exit_status() const;
  nlohmann::json to_json() const;
  std::string human() const;
};

class Readback {
 public:
  Readback(HostLayout layout, HostConfig config, CredentialStore& credentials, AlertSink& alerts, const Clock& clock)
      : layout_(std::move(layout)), config_(std::move(config)), credentials_(credentials), alerts_(alerts), clock_(clock) {}

  // An Error (raised as an alert and logged) when nothing could be merged: no such run,
  // a lock timeout, a journal that cannot be read, an unwritable home.
  Result<ReadbackReport> run(const ReadbackOptions& options);


 private:
  class Run;  // one read-back: plan -> backup -> apply (readback.cc)
  Result<ReadbackReport> run_locked(const ReadbackOptions& options);
  HostLayout layout_;
  HostConfig config_;
  CredentialStore& credentials_;
  AlertSink& alerts_;
  const Clock& clock_;
};

}  // namespace claude::host
