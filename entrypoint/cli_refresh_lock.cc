#include "entrypoint/cli_refresh_lock.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdlib>

namespace claude {
namespace {

enum class Take { kTaken, kBusy, kFailed };

// mkdir as proper-lockfile does; a folder older than stale_ms is removed and made again
// once (a writer that made it meanwhile keeps it: rmdir of its folder then fails).
Take take(const std::string& dir, int stale_ms, int* err) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (::mkdir(dir.c_str(), 0700) == 0) return Take::kTaken;
    if (errno != EEXIST) {
      *err = errno;
      return Take::kFailed;
    }
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0) continue;  // released meanwhile: try again
    auto mtime = std::chrono::system_clock::time_point(std::chrono::seconds(st.st_mtim.tv_sec)) +
                 std::chrono::nanoseconds(st.st_mtim.tv_nsec);
    if (std::chrono::system_clock::now() - mtime <= std::chrono::milliseconds(stale_ms)) return Take::kBusy;
    if (::rmdir(dir.c_str()) != 0 && errno != ENOENT) return Take::kBusy;
  }
  return Take::kBusy;
}

}  // namespace

std::string CliRefreshLock::refresh_lock_path(const std::string& config_dir) {
  return config_dir + "/.oauth_refresh.lock";
}

std::string CliRefreshLock::legacy_lock_path(const std::string& config_dir) {
  char resolved[PATH_MAX];
  std::string dir = ::realpath(config_dir.c_str(), resolved) ? std::string(resolved) : config_dir;
  return dir + ".lock";
}

Result<std::optional<CliRefreshLock>> CliRefreshLock::try_acquire(const std::string& config_dir, int stale_ms) {
  const std::string primary = refresh_lock_path(config_dir);
  int err = 0;
  switch (take(primary, stale_ms, &err)) {
    case Take::kBusy: return std::optional<CliRefreshLock>();
    case Take::kFailed:
      return Error{"take Claude Code's credentials lock", primary, err, "",
                   "check that the live dir is writable by claude-init"};
    case Take::kTaken: break;
  }
  const std::string legacy = legacy_lock_path(config_dir);
  switch (take(legacy, stale_ms, &err)) {
    case Take::kBusy:
      ::rmdir(primary.c_str());
      return std::optional<CliRefreshLock>();
    case Take::kFailed: return std::optional<CliRefreshLock>(CliRefreshLock(primary, ""));
    case Take::kTaken: break;
  }
  return std::optional<CliRefreshLock>(CliRefreshLock(primary, legacy));
}

CliRefreshLock::CliRefreshLock(CliRefreshLock&& other) noexcept
    : primary_(std::move(other.primary_)), legacy_(std::move(other.legacy_)) {
  other.primary_.clear();
  other.legacy_.clear();
}

CliRefreshLock::~CliRefreshLock() {
  // The older one first: the reverse of the order they were taken.
  if (!legacy_.empty()) ::rmdir(legacy_.c_str());
  if (!primary_.empty()) ::rmdir(primary_.c_str());
}

}  // namespace claude
