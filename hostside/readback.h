// `claude-host readback`: verifies a run's outbox against its journal, backs up what it
// will touch, merges the container's changes into the host (.claude.json by a three-way
// JSON merge, session logs by appending new lines, other files newer-wins with the other
// kept beside it, credentials back to where they came from), copies the run's events and
// metrics to the host logs, raises alerts and reports. Idempotent: a second read-back of
// the same outbox changes nothing.
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
};

struct ReadbackReport {
  std::string run_id, trace_id;
  bool nothing_to_read = false;            // the container never wrote a journal
  std::vector<std::string> unverifiable;   // "path: why" — outbox entries not merged
  std::vector<std::string> files_added, files_changed, files_deleted;
  std::vector<std::string> sessions_added;
  std::vector<std::pair<std::string, std::size_t>> sessions_appended;  // path, lines
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
  // 0: merged cleanly; 1: something could not be verified; 3: conflicts to look at.
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

  // Writes refreshed credentials from the run's outbox back to the credential store when
  // the container changed them (used while the container runs). Returns true when written.
  Result<bool> sync_credentials(const std::string& run_id);

 private:
  Result<ReadbackReport> run_locked(const std::string& run_id);
  HostLayout layout_;
  HostConfig config_;
  CredentialStore& credentials_;
  AlertSink& alerts_;
  const Clock& clock_;
};

}  // namespace claude::host
