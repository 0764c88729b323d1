#include "hostside/host_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <thread>

#include "hostside/clock.h"

namespace claude::host {

HostLock::~HostLock() {
  if (fd_ >= 0) ::close(fd_);
}

std::string read_lock_holder(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  char buf[512];
  ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n <= 0) return {};
  std::string s(buf, static_cast<size_t>(n));
  while (!s.empty() && (s.back() == '\n' || s.back() == '\0')) s.pop_back();
  return s;
}

Result<HostLock> HostLock::acquire(const std::string& path, const std::string& command, int timeout_ms) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  if (ec) return Error{"create the folder of", path, ec.value(), "", "check that your home folder is writable"};
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return Error{"open the lock file", path, errno, "", "check the permissions of ~/.claude-docker"};
  HostLock lock(fd);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK && errno != EINTR) return Error{"lock", path, errno, "", ""};
    if (std::chrono::steady_clock::now() >= deadline) {
      std::string holder = read_lock_holder(path);
      return Error{"lock", path, 0,
                   "still held after " + std::to_string(timeout_ms / 1000.0).substr(0, 4) + " s by " +
                       (holder.empty() ? std::string("an unknown process") : holder),
                   "wait for that command to finish, or stop it; use --lock-timeout SECONDS to wait longer"};
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  // We hold it: say who we are (the flock is the lock; this text only helps waiters).
  std::string who = "pid " + std::to_string(::getpid()) + " (" + command + ") since " +
                    rfc3339_utc(SystemClock().now_ms()) + "\n";
  if (::ftruncate(fd, 0) == 0) {
    ssize_t w = ::pwrite(fd, who.data(), who.size(), 0);
    (void)w;  // best effort: only a message depends on it
  }
  return lock;
}

}  // namespace claude::host
