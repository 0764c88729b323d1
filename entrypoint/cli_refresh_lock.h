// The lock Claude Code takes around a write of its .credentials.json (an OAuth refresh):
// proper-lockfile folders made with mkdir, "<config dir>/.oauth_refresh.lock" and the
// older "<realpath of the config dir>.lock" beside it, taken in that order. A CLI holding
// one refreshes its mtime every 5 s and treats a folder untouched for 10 s as left over by
// a killed writer. claude-init takes both before it installs credentials from the inbox,
// so that a refresh never interleaves with an install: under the lock the CLI re-reads the
// credentials and finds the installed ones.
#pragma once

#include <optional>
#include <string>

#include "core/result.h"

namespace claude {

class CliRefreshLock {
 public:
  // Takes both lock folders without waiting. nullopt while a CLI holds either (a fresh
  // folder); a folder untouched for stale_ms is removed and taken over, as the CLI does.
  // An error when the config dir's lock folder cannot be made; the older lock beside the
  // config dir is skipped when its folder is not writable (the CLI skips it too).
  static Result<std::optional<CliRefreshLock>> try_acquire(const std::string& config_dir, int stale_ms = 10000);

  CliRefreshLock(CliRefreshLock&& other) noexcept;
  CliRefreshLock& operator=(CliRefreshLock&&) = delete;
  CliRefreshLock(const CliRefreshLock&) = delete;
  ~CliRefreshLock();  // removes the folders it made

  // The lock folders for a config dir, in the order they are taken.
  static std::string refresh_lock_path(const std::string& config_dir);
  static std::string legacy_lock_path(const std::string& config_dir);

 private:
  CliRefreshLock(std::string primary, std::string legacy) : primary_(std::move(primary)), legacy_(std::move(legacy)) {}
  std::string primary_, legacy_;  // empty: not held
};

}  // namespace claude
