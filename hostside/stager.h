// `claude-host stage`: under the host lock, validates the user's Claude state and copies
// what the run needs into ~/.claude-docker/runs/<id>/stage (claude-stage/1: tree/ in host
// form plus manifest.json), reusing unchanged files from a content-addressed store.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/path_map.h"
#include "core/result.h"
#include "core/stage_plan.h"
#include "hostside/clock.h"
#include "hostside/credential_store.h"
#include "hostside/file_tree.h"
#include "hostside/host_config.h"
#include "hostside/host_layout.h"

namespace claude::host {

struct StageOptions {
  std::optional<std::string> project;  // absolute host folder to mount (the git root); nullopt: none
  std::optional<std::string> workdir;  // the working directory, project or a folder in it
                                       // (nullopt: project itself)
  HistoryMode history = HistoryMode::kProject;
  std::vector<PathMapping> maps;       // --map pairs
  std::optional<std::string> run_id;   // re-stage this run instead of making a new one
  int lock_timeout_ms = 30000;
  bool progress = false;               // draw a progress bar (stderr is a terminal)
};

struct StageReport {
  std::string run_id, trace_id;
  std::string stage_dir, outbox_dir, compose_env;
  std::optional<std::string> project;  // the host folder mounted
  std::string project_mount;           // where it is mounted in the container
  std::string workdir;                 // the container's working directory (in project_mount)
  PathMap mapping;
  std::size_t files = 0, symlinks = 0;
  std::uint64_t bytes = 0;
  std::size_t copied = 0, reused = 0;  // files whose content was copied / already stored
  std::uint64_t bytes_copied = 0;
  std::map<std::string, std::size_t> skipped;  // reason -> entries left out
  std::vector<std::string> warnings;
  std::string credentials;         // their freshness (credentials_freshness), "" when none staged
  std::string credentials_source;  // where the staged copy came from: the newest of the host
                                   // store and the running runs' outboxes and inboxes
  std::vector<std::string> applied_runs;       // earlier outboxes read back first
  double seconds = 0;
  nlohmann::json to_json() const;
};

// What a stage will hold, decided before anything is written (Stager::plan).
struct StagePlan {
  struct Source {
    std::string abs;  // where it comes from
    TreeEntry entry;  // entry.rel: the path in tree/
  };
  std::vector<Source> sources;                     // files
  std::vector<TreeEntry> folders, links;
  std::map<std::string, std::string> json_content;  // rel -> the exact bytes validated (and staged)
  std::optional<std::string> credentials;           // the credentials JSON text to stage
  std::string credentials_source;                   // where they came from (the newest copy)
  std::string credentials_freshness;                // "expires in 23 min; refresh token present"
  PathMap mapping;
  std::optional<std::string> host_workdir;          // the working directory on the host
  std::string project_mount, workdir;               // in the container
  std::map<std::string, std::size_t> skipped;       // reason -> entries left out
  std::vector<std::string> warnings;
};

// Reads back one earlier run whose outbox was never read back; called with the host
// lock held. An Error is reported as a warning and does not stop the stage.
using PendingApplier = std::function<Status(const std::string& run_id)>;

class Stager {
 public:
  Stager(HostLayout layout, HostConfig config, CredentialStore& credentials, const Clock& clock)
      : layout_(std::move(layout)), config_(std::move(config)), credentials_(credentials), clock_(clock) {}

  // Takes the host lock, applies pending outboxes, stages. Corrupt input (a JSON file
  // that does not parse, a FIFO, a symlink leading out) stops it before anything is
  // written, with the file and the fix named.
  Result<StageReport> stage(const StageOptions& options, const PendingApplier& apply_pending);

 private:
  // plan -> apply, under the host lock.
  Result<StageReport> stage_locked(const StageOptions& options);
  Result<StagePlan> plan(const StageOptions& options) const;
  Result<StageReport> apply(const StageOptions& options, const StagePlan& plan);
  HostLayout layout_;
  HostConfig config_;
  CredentialStore& credentials_;
  const Clock& clock_;
};

// Runs whose outbox holds a journal but which were never read back, have no live
// `claude-host run` attached and no running container (a claude-init holding the outbox,
// outbox_locked), oldest first. Those skipped only for a running container go to
// `still_running` when given.
std::vector<std::string> pending_runs(const HostLayout& layout, std::vector<std::string>* still_running = nullptr);

}  // namespace claude::host
