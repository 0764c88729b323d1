#include "hostside/credential_watcher.h"

#include <sys/stat.h>

#include <cstdio>

namespace claude::host {

CredentialWatcher::CredentialWatcher(std::string watched, std::function<Result<bool>()> sync, int interval_ms)
    : watched_(std::move(watched)), sync_(std::move(sync)), interval_ms_(interval_ms), thread_([this] { loop(); }) {}

CredentialWatcher::~CredentialWatcher() { stop(); }

void CredentialWatcher::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void CredentialWatcher::loop() {
  // The file is published by rename, so a new inode or mtime means a new version.
  struct Seen {
    ino_t ino = 0;
    std::int64_t mtime_ns = -1;
    off_t size = -1;
    bool operator==(const Seen&) const = default;
  } last;
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    struct stat st{};
    if (::stat(watched_.c_str(), &st) == 0) {
      Seen now{st.st_ino, static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec, st.st_size};
      if (!(now == last)) {
        lock.unlock();
        auto r = sync_();
        lock.lock();
        if (r.ok()) {
          last = now;
          if (*r) ++writes_;
        } else {
          // Retried on the next tick; said once per version so the terminal is not flooded.
          std::fprintf(stderr, "claude-host: could not write refreshed credentials back yet: %s\n",
                       r.error().message().c_str());
          last = now;
        }
      }
    }
    cv_.wait_for(lock, std::chrono::milliseconds(interval_ms_), [this] { return stopping_; });
  }
}

}  // namespace claude::host
