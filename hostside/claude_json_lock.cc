#include "hostside/claude_json_lock.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace claude::host {

namespace {

// Our lock folder holds this file naming the claude-host that made it, so that a lock left
// by a claude-host killed while holding it is known as such (the CLI's own hold nothing).
constexpr const char* kOwnerFile = "/claude-host-owner";

// Removes the lock folder when a claude-host that is gone made it; true when it did.
bool remove_if_abandoned(const std::string& dir) {
  std::ifstream owner(dir + kOwnerFile);
  long pid = 0;
  if (!(owner >> pid) || pid <= 0) return false;
  if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) return false;
  ::unlink((dir + kOwnerFile).c_str());
  return ::rmdir(dir.c_str()) == 0;
}

}  // namespace

ClaudeJsonLock::~ClaudeJsonLock() {
  if (dir_.empty()) return;
  // Out of the lock's name first, in one step: emptied in place, a kill between the
  // unlink and the rmdir would leave an empty "<file>.lock", which nobody can tell from a
  // CLI's own lock. Renamed away, a kill at any moment leaves no lock, only a folder with
  // clear_abandoned's prefix.
  const std::string gone = dir_ + ".claude-host-" + std::to_string(::getpid()) + "-released";
  ::unlink((gone + kOwnerFile).c_str());
  ::rmdir(gone.c_str());
  const std::string& rest = ::rename(dir_.c_str(), gone.c_str()) == 0 ? gone : dir_;
  ::unlink((rest + kOwnerFile).c_str());
  ::rmdir(rest.c_str());
}

void ClaudeJsonLock::clear_abandoned(const std::string& file) {
  (void)remove_if_abandoned(file + ".lock");
  // And a lock folder a kill caught before it was renamed into place.
  const std::size_t slash = file.rfind('/');
  const std::string folder = slash == std::string::npos ? "." : file.substr(0, slash);
  const std::string prefix =
      file.substr(slash == std::string::npos ? 0 : slash + 1) + ".lock.claude-host-";
  DIR* d = ::opendir(folder.c_str());
  if (!d) return;
  std::vector<std::string> temps;
  while (dirent* e = ::readdir(d))
    if (std::string name = e->d_name; name.compare(0, prefix.size(), prefix) == 0)
      temps.push_back(folder + "/" + name);
  ::closedir(d);
  for (const auto& t : temps) {
    if (!remove_if_abandoned(t)) {
      ::rmdir(t.c_str());  // empty: killed before its owner file was written
    }
  }
}

Result<ClaudeJsonLock> ClaudeJsonLock::acquire(const std::string& file, int timeout_ms,
                                               int stale_ms) {
  const std::string dir = file + ".lock";
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    // Made whole beside it (with the owner file), then renamed into place only if there is
    // no lock: a kill at any moment leaves either no lock or one that names its owner.
    const std::string temp = dir + ".claude-host-" + std::to_string(::getpid());
    ::unlink((temp + kOwnerFile).c_str());
    ::rmdir(temp.c_str());
    if (::mkdir(temp.c_str(), 0700) != 0)
      return Error{"make the lock folder", temp, errno, "",
                   "check that the folder of " + file + " is writable"};
    std::ofstream(temp + kOwnerFile) << ::getpid() << "\n";
    if (::renameat2(AT_FDCWD, temp.c_str(), AT_FDCWD, dir.c_str(), RENAME_NOREPLACE) == 0)
      return ClaudeJsonLock(dir);
    int err = errno;
    ::unlink((temp + kOwnerFile).c_str());
    ::rmdir(temp.c_str());
    if (err != EEXIST)
      return Error{"make the lock folder", dir, err, "",
                   "check that the folder of " + file + " is writable"};
    if (remove_if_abandoned(dir)) continue;
    struct stat st {};
    if (::stat(dir.c_str(), &st) == 0) {
      auto mtime = std::chrono::system_clock::time_point(std::chrono::seconds(st.st_mtim.tv_sec)) +
                   std::chrono::nanoseconds(st.st_mtim.tv_nsec);
      if (std::chrono::system_clock::now() - mtime > std::chrono::milliseconds(stale_ms)) {
        // Stale: its writer died. rmdir fails harmlessly if a live writer re-made it.
        ::unlink((dir + kOwnerFile).c_str());
        ::rmdir(dir.c_str());
        continue;
      }
    }
    if (std::chrono::steady_clock::now() >= deadline)
      return Error{
          "take the Claude Code lock", dir, 0,
          "held by another writer for " + std::to_string(timeout_ms / 1000) + " s",
          "a `claude` on this machine is writing its config; retry when it is idle, or remove " +
              dir + " if no claude is running"};
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace claude::host
