// One credential broker per home (ARCHITECTURE.md "Credential broker"). Claude Code's
// refresh tokens are single-use and rotate, so every place that holds a login (the host
// store and each running container) must hold the newest one, or the next refresh in a
// stale place logs everybody out.
//
// Every `claude-host run`, and `claude-host broker` (for containers compose started), starts
// a CredentialBroker: a participant thread that waits for
// flock(LOCK_EX) on <state dir>/credential-broker.lock. The holder is the broker for the
// home; when its process exits or is killed the kernel drops the lock and a waiting
// participant takes over (it retries every 50 ms) with a full rescan. The broker watches
// the host store (inotify on the config dir for the file; a 1 s poll of the Keychain item)
// and, for every running run (running_runs: its `claude-host run` alive, or a claude-init
// holding its outbox), outbox/tree/.credentials.json and inbox/.credentials.json
// (a stat per 100 ms tick, the list of running runs refreshed every second). The newest
// copy (core/credential_freshness.h is_newer) is written to the host store when the host's
// is older, and into the inbox of every running run whose copies are older. A stale copy
// never overwrites a newer one. Tokens never reach a log: events carry fingerprints.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/credential_freshness.h"
#include "core/result.h"
#include "hostside/credential_store.h"
#include "hostside/host_layout.h"

namespace claude::host {

// One copy of the credentials and where it is.
struct CredentialCopy {
  enum class Kind { kHost, kOutbox, kInbox, kStage };
  Kind kind = Kind::kHost;
  std::string run_id;           // "" for the host store
  std::string text;             // the file's bytes
  std::int64_t written_ns = 0;  // its mtime (the Keychain: when it was first seen)
  CredentialInfo info;
  // A container's copy that cannot take part in "newest wins", and why
  // (core/credential_freshness.h, implausible_container_login); "" when it can.
  std::string refused;
  std::string where() const;    // "the host store", "run X's outbox", ... (no token)
};

// Reads <base>/<components...> with no link followed at any component, as a regular file
// of at most 1 MiB; std::nullopt when it is missing, a link, too large or unreadable.
std::optional<CredentialCopy> read_credential_copy(const std::string& base,
                                                   const std::vector<std::string_view>& components);

// The runs of this home with a live container: their `claude-host run` is alive (state
// running), or a claude-init holds the flock on their outbox, as it does for as long as it
// syncs into it (a container started from the run's compose.env, whatever its state says).
std::vector<std::string> running_runs(const HostLayout& layout);


// The copies in the running runs' outboxes and inboxes; an outbox copy that is not a
// plausible refresh has `refused` set.
std::vector<CredentialCopy> running_run_copies(const HostLayout& layout);
// The same for runs already listed by running_runs (each state.json is read once).
std::vector<CredentialCopy> running_run_copies(const HostLayout& layout, const std::vector<std::string>& runs);

// The newest of `copies` that holds an access token and is not refused, or nullptr.
const CredentialCopy* newest_copy(const std::vector<CredentialCopy>& copies);

// Writes <inbox>/.credentials.json as .credentials.json.tmp.<16 hex> + fsync + rename
// (0600), then fsyncs the folder.
Status write_inbox_credentials(const std::string& inbox_dir, const std::string& text);

// "pid 123 (claude-host run <id>)" when a broker holds this home's lock, else "".
std::string credential_broker_holder(const HostLayout& layout);

class CredentialBroker {
 public:
  // store: this home's credential store (used from the broker thread while it runs).
  // keychain: the store is the Keychain (polled) rather than the file (inotify).
  // self_run_id: the run of this process ("" for none), named in the lock file.
  CredentialBroker(HostLayout layout, CredentialStore& store, bool keychain, std::string self_run_id,
                   int tick_ms = 100);
  ~CredentialBroker();  // stops and joins
  CredentialBroker(const CredentialBroker&) = delete;
  CredentialBroker& operator=(const CredentialBroker&) = delete;

  void stop();
  bool is_broker() const { return holding_.load(); }
  int host_writes() const { return host_writes_.load(); }
  int inbox_writes() const { return inbox_writes_.load(); }

  // One full pass: read every source, write the newest where it is missing. Called by the
  // broker thread; public so that a foreground broker and tests can drive it.
  void rescan();

 private:
  void participate();
  void serve(int lock_fd);
  bool wait_stopping(int ms);

  HostLayout layout_;
  CredentialStore& store_;
  bool keychain_;
  std::string self_run_id_;
  int tick_ms_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  int wake_fd_ = -1;  // eventfd: wakes the broker's poll on stop
  std::atomic<bool> holding_{false};
  std::atomic<int> host_writes_{0}, inbox_writes_{0};
  std::optional<std::string> keychain_seen_;  // the last Keychain bytes, and when first seen
  std::int64_t keychain_seen_ns_ = 0;
  std::string last_error_;                    // said once per distinct error
  std::string last_refused_;                  // fingerprint of the last refused copy: said once
  std::thread thread_;
};

}  // namespace claude::host
