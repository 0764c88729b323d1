// Where claude-host finds the user's Claude state and keeps its own (ARCHITECTURE.md
// "Host state"). Resolved once from HOME and CLAUDE_CONFIG_DIR, then passed around, so
// that tests point everything at a temporary home.
#pragma once

#include <map>
#include <string>

#include "core/formats.h"

namespace claude::host {

struct HostLayout {
  std::string home;            // $HOME
  std::string config_dir;      // $CLAUDE_CONFIG_DIR, else ~/.claude
  std::string claude_json;     // <config_dir>/.claude.json with CLAUDE_CONFIG_DIR, else ~/.claude.json
  bool custom_config_dir = false;  // CLAUDE_CONFIG_DIR was set
  std::string state_dir;       // ~/.claude-docker
  std::string user;            // $USER (the Keychain account)

  std::string lock_path() const { return state_dir + "/lock"; }
  std::string runs_dir() const { return state_dir + "/runs"; }
  std::string run_dir(const std::string& run_id) const { return runs_dir() + "/" + run_id; }
  std::string stage_dir(const std::string& run_id) const { return join_path(run_dir(run_id), kStageDirName); }
  std::string outbox_dir(const std::string& run_id) const { return join_path(run_dir(run_id), kOutboxDirName); }
  // The host -> container channel: the broker writes the newest credentials here and the
  // container sees it read-only at /run/claude/inbox.
  std::string inbox_dir(const std::string& run_id) const { return join_path(run_dir(run_id), kInboxDirName); }
  std::string broker_lock_path() const { return state_dir + "/credential-broker.lock"; }
  std::string compose_env(const std::string& run_id) const { return run_dir(run_id) + "/compose.env"; }
  std::string run_state(const std::string& run_id) const { return run_dir(run_id) + "/state.json"; }
  std::string backups_dir() const { return state_dir + "/backups"; }
  std::string stage_objects_dir() const { return state_dir + "/stage-objects"; }
  std::string hash_cache_path() const { return state_dir + "/hash-cache.json"; }
  std::string throttle_path() const { return state_dir + "/alert-throttle.json"; }
  std::string config_path() const { return state_dir + "/config.json"; }
  std::string events_log() const { return home + "/.claude-docker-events.jsonl"; }
  std::string metrics_log() const { return home + "/.claude-docker-metrics.jsonl"; }
  std::string errors_log() const { return home + "/.claude-docker-errors.log"; }
  // The credentials file on Linux.
  std::string credentials_file() const { return join_path(config_dir, kCredentialsFileName); }
};

// From the environment: HOME (required), CLAUDE_CONFIG_DIR, USER. `env` lets tests
// supply their own; nullptr means the process environment.
HostLayout layout_from_env(const std::map<std::string, std::string>* env = nullptr);

}  // namespace claude::host
