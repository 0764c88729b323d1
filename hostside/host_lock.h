// The exclusive lock that serializes `stage` and `readback` across every claude-host on
// the machine: flock(2) on ~/.claude-docker/lock, waited for with a timeout. The holder
// writes its pid and command into the file so that a waiter that gives up can name it.
#pragma once

#include <string>

#include "core/result.h"

namespace claude::host {

class HostLock {
 public:
  // Waits up to timeout_ms for the lock at `path` (created 0600 if missing, parents
  // made). On timeout the Error names the lock file, the holder's pid and command, and
  // the fix. `command` is what this process records as holder ("claude-host stage").
  static Result<HostLock> acquire(const std::string& path, const std::string& command, int timeout_ms);

  HostLock(HostLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  HostLock& operator=(HostLock&&) = delete;
  HostLock(const HostLock&) = delete;
  ~HostLock();  // releases (closing the fd drops the flock)

 private:
  explicit HostLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

// "pid 123 (claude-host readback) since 2026-11-22T01:02:03Z" as written by the holder;
// empty when the file cannot be read.
std::string read_lock_holder(const std::string& path);

}  // namespace claude::host
