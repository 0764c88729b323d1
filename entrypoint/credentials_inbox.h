// The host -> container inbox (--inbox, default /run/claude/inbox, mounted read-only): a
// .credentials.json the host puts there (as <name>.tmp.<hex>, then renamed) is installed
// into the live dir when it is a newer login than the live copy (core/credential_freshness.h),
// under Claude Code's own write lock (entrypoint/cli_write_lock.h), by temp + fsync +
// rename, mode 0600, owned by the session user. Watched with its own inotify instance
// (close-after-write and rename-into only; every other name is ignored), and looked at
// again after the seed and after each write of the live copy. Never blocks the loop: a
// lock held by a writing CLI is tried again every 50 ms. What it logs and reports names the
// file and a fingerprint, never a token.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/formats.h"
#include "core/init_options.h"
#include "core/result.h"
#include "entrypoint/metrics_registry.h"

namespace claude {

// The largest inbox file read (its one file is kCredentialsFileName, core/formats.h).
inline constexpr std::size_t kInboxMaxBytes = 64 * 1024;

class CredentialsInbox {
 public:
  struct Hooks {
    // Just before the installed file is renamed into the live dir: the sha256 (hex) of its
    // bytes, so that the sync engine does not publish them back as a container change.
    std::function<void(const std::string& sha256)> installing;
    // An event for reports/events.jsonl (inbox_install, inbox_refused).
    std::function<void(std::string_view name, nlohmann::json fields)> event;
  };

  // nullptr (with one info line) when options.inbox_dir is not a folder: the channel is off.
  static std::unique_ptr<CredentialsInbox> open(uv_loop_t* loop, const InitOptions& options,
                                                MetricsRegistry& metrics, Hooks hooks);
  ~CredentialsInbox();
  CredentialsInbox(const CredentialsInbox&) = delete;
  CredentialsInbox& operator=(const CredentialsInbox&) = delete;

  // Looks at the inbox now and installs its credentials when they are newer (synchronous
  // but for a busy lock, which is retried from the loop).
  void check();
  // Starts watching the inbox folder; a failure turns the channel off (logged).
  Status start();
  // Whether the live copy's bytes are exactly the inbox's (a restart finds its own install).
  bool live_matches_inbox(std::string* sha256) const;

  std::uint64_t installs() const { return installs_.value(); }

 private:
  CredentialsInbox(uv_loop_t* loop, const InitOptions& options, MetricsRegistry& metrics, Hooks hooks);
  static void on_poll(uv_poll_t* handle, int status, int events);
  static void on_retry(uv_timer_t* timer);
  // One look; false when the lock was busy (the caller retries).
  bool attempt();
  void refuse(const std::string& fingerprint, const std::string& why);

  uv_loop_t* loop_;
  std::string inbox_dir_, live_dir_;
  bool has_user_ = false;
  std::uint32_t uid_ = 0, gid_ = 0;
  Hooks hooks_;
  Counter& installs_;
  int fd_ = -1;
  int inbox_wd_ = -1;
  uv_poll_t* poll_ = nullptr;
  uv_timer_t* retry_ = nullptr;
  std::string last_refused_;  // fingerprint + reason of the last refusal: reported once
};

}  // namespace claude
