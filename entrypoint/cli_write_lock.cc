#include "entrypoint/cli_write_lock.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

namespace claude {

std::string CliWriteLock::path(const std::string& config_dir) { return config_dir + "/.storage-write.lock"; }

Result<std::optional<CliWriteLock>> CliWriteLock::try_acquire(const std::string& config_dir, int stale_ms) {
  const std::string dir = path(config_dir);
  // mkdir as proper-lockfile does; a folder older than stale_ms is removed and made again
  // once (a writer that made it meanwhile keeps it: rmdir of its folder then fails).
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (::mkdir(dir.c_str(), 0700) == 0) return std::optional<CliWriteLock>(CliWriteLock(dir));
    if (errno != EEXIST) {
      return Error{"take Claude Code's credentials write lock", dir, errno, "",
                   "check that the live dir is writable by claude-init"};
    }
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0) continue;  // released meanwhile: try again
    auto mtime = std::chrono::system_clock::time_point(std::chrono::seconds(st.st_mtim.tv_sec)) +
                 std::chrono::nanoseconds(st.st_mtim.tv_nsec);
    if (std::chrono::system_clock::now() - mtime <= std::chrono::milliseconds(stale_ms)) break;
    if (::rmdir(dir.c_str()) != 0 && errno != ENOENT) break;
  }
  return std::optional<CliWriteLock>();
}

CliWriteLock::CliWriteLock(CliWriteLock&& other) noexcept : dir_(std::move(other.dir_)) { other.dir_.clear(); }

CliWriteLock::~CliWriteLock() {
  if (!dir_.empty()) ::rmdir(dir_.c_str());
}

}  // namespace claude
