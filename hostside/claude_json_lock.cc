#include "hostside/claude_json_lock.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <thread>

namespace claude::host {

ClaudeJsonLock::~ClaudeJsonLock() {
  if (!dir_.empty()) ::rmdir(dir_.c_str());
}

Result<ClaudeJsonLock> ClaudeJsonLock::acquire(const std::string& file, int timeout_ms, int stale_ms) {
  const std::string dir = file + ".lock";
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    if (::mkdir(dir.c_str(), 0700) == 0) return ClaudeJsonLock(dir);
    if (errno != EEXIST) return Error{"make the lock folder", dir, errno, "", "check that the folder of " + file + " is writable"};
    struct stat st{};
    if (::stat(dir.c_str(), &st) == 0) {
      auto mtime = std::chrono::system_clock::time_point(std::chrono::seconds(st.st_mtim.tv_sec)) +
                   std::chrono::nanoseconds(st.st_mtim.tv_nsec);
      if (std::chrono::system_clock::now() - mtime > std::chrono::milliseconds(stale_ms)) {
        // Stale: its writer died. rmdir fails harmlessly if a live writer re-made it.
        ::rmdir(dir.c_str());
        continue;
      }
    }
    if (std::chrono::steady_clock::now() >= deadline)
      return Error{"take the Claude Code lock", dir, 0,
                   "held by another writer for " + std::to_string(timeout_ms / 1000) + " s",
                   "a `claude` on this machine is writing its config; retry when it is idle, or remove " + dir +
                       " if no claude is running"};
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace claude::host
