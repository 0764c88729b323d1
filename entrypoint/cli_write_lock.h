// The lock Claude Code takes around every write of its .credentials.json: a
// proper-lockfile folder made with mkdir, "<config dir>/.storage-write.lock", held for
// the read-modify-write of the file and treated as left over by a killed writer when
// untouched for 15 s (ARCHITECTURE.md, "What the CLI does with .credentials.json").
// claude-init holds it while it installs credentials from the inbox, so that an install
// and a CLI's write never interleave: the CLI re-reads the file under the same lock. It
// does not take the CLI's refresh lock (.oauth_refresh.lock): a CLI that finds that one
// held waits out its refresh and can fail the user's turn ("Not logged in").
#pragma once

#include <optional>
#include <string>

#include "core/result.h"

namespace claude {

class CliWriteLock {
 public:
  // Takes the lock folder without waiting. nullopt while a CLI holds it (a fresh folder);
  // a folder untouched for stale_ms is removed and taken over, as the CLI does. An error
  // when the lock folder cannot be made.
  static Result<std::optional<CliWriteLock>> try_acquire(const std::string& config_dir, int stale_ms = 15000);

  CliWriteLock(CliWriteLock&& other) noexcept;
  CliWriteLock& operator=(CliWriteLock&&) = delete;
  CliWriteLock(const CliWriteLock&) = delete;
  ~CliWriteLock();  // removes the folder

  // "<config dir>/.storage-write.lock".
  static std::string path(const std::string& config_dir);

 private:
  explicit CliWriteLock(std::string dir) : dir_(std::move(dir)) {}
  std::string dir_;  // empty: not held
};

}  // namespace claude
