// The Claude Code CLI's own lock on a config file: a folder "<file>.lock" made with
// mkdir (proper-lockfile). A writer of the host's ~/.claude.json takes it, re-reads the
// file, merges and renames under it, so that a `claude` running on the host loses nothing.
#pragma once

#include <string>

#include "core/result.h"

namespace claude::host {

class ClaudeJsonLock {
 public:
  // Makes "<file>.lock", waiting up to timeout_ms while someone else holds it. A lock
  // folder not touched for stale_ms is left over from a killed writer and is taken over
  // (the CLI refreshes its lock's mtime while it holds it, and treats 10 s as stale).
  static Result<ClaudeJsonLock> acquire(const std::string& file, int timeout_ms = 10000,
                                        int stale_ms = 10000);

  // Removes "<file>.lock" when a claude-host that was killed while holding it left it
  // (its owner file names a process that is gone); a CLI's lock is never touched.
  static void clear_abandoned(const std::string& file);

  ClaudeJsonLock(ClaudeJsonLock&& other) noexcept : dir_(std::move(other.dir_)) {
    other.dir_.clear();
  }
  ClaudeJsonLock& operator=(ClaudeJsonLock&&) = delete;
  ClaudeJsonLock(const ClaudeJsonLock&) = delete;
  ~ClaudeJsonLock();  // renames the lock folder away, then removes it

 private:
  explicit ClaudeJsonLock(std::string dir) : dir_(std::move(dir)) {}
  std::string dir_;
};

}  // namespace claude::host
