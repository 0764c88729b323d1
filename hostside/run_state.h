// The life of one run on the host, in ~/.claude-docker/runs/<id>/state.json:
// staged -> running -> exited -> read-back (or readback-failed). `stage` uses it to find
// outboxes that were never read back; `status` to show what is pending.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/readback_plan.h"
#include "core/result.h"
#include "hostside/host_layout.h"

namespace claude::host {

struct RunState {
  std::string run_id;
  std::string trace_id;
  // staged | running | exited | read-back | readback-failed (retried by the next stage) |
  // quarantined (the outbox did not verify: skipped by stage, see quarantine_reason)
  std::string state = "staged";
  std::string project;           // host project folder ("" when none)
  std::string created_at;
  std::string updated_at;
  int host_pid = 0;              // the `claude-host run` waiting on the container, while running
  std::optional<int> exit_code;  // the container's, once known
  std::uint64_t events_applied = 0;   // bytes of reports/events.jsonl already copied to the host log
  std::uint64_t metrics_applied = 0;  // same for metrics.jsonl
  std::uint64_t events_bytes_copied = 0, metrics_bytes_copied = 0;  // bytes they added to the host logs
  nlohmann::json last_readback;       // the last read-back's summary (JSON), or null
  std::string quarantine_reason;      // why the run is quarantined ("" when it is not)
  // What read-backs of this run applied, by path (host form, relative to the config dir):
  // the ledger that makes a second read-back change nothing.
  std::map<std::string, AppliedEntry> applied;
  // A write read-back is about to commit: the sha256 the host file has once it is done
  // ("" for a deletion) and what is then applied. Saved before the commit, so that a
  // read-back killed between the commit and the ledger's update knows, the next time,
  // that the write was made.
  struct Intent {
    std::string after_sha256;  // a replacement: the file's sha256 once done ("" = removed)
    // An append: the file was size_before bytes with sha256 sha_before, and is size_after
    // bytes once done, beginning with those bytes (size_after 0: not an append).
    std::uint64_t size_before = 0, size_after = 0;
    std::string sha_before;
    AppliedEntry applied;
  };
  std::map<std::string, Intent> intents;

  nlohmann::json to_json() const;
  static Result<RunState> from_json(const nlohmann::json& j, const std::string& file);
};

// Reads runs/<id>/state.json; an Error names the file (ENOENT when absent).
Result<RunState> load_run_state(const HostLayout& layout, const std::string& run_id);
// Writes it atomically (0600).
Status save_run_state(const HostLayout& layout, const RunState& state);

// A lock /proc/locks lists: the file's device (major, minor) and inode.
struct LockedFile {
  unsigned major = 0, minor = 0;
  std::uint64_t inode = 0;
  bool operator==(const LockedFile&) const = default;
};
// The files held by a FLOCK WRITE lock in `proc_locks` (the text of /proc/locks: lines such
// as "3: FLOCK  ADVISORY  WRITE 4711 00:2f:1234 0 EOF"; waiters, "3: -> FLOCK ...", are not
// holders). Pure.
std::vector<LockedFile> flock_write_holders(std::string_view proc_locks);
// flock_write_holders of this machine's /proc/locks now (empty when it cannot be read).
std::vector<LockedFile> flock_write_holders_now();
// Whether a claude-init holds runs/<id>/outbox (one of `held`): it takes an exclusive flock
// on the folder for as long as it syncs into it, so the run's container is running,
// whoever started it (`claude-host run`, or compose from the run's compose.env). Looked
// up, never by taking the lock: a lock taken to look would make a claude-init that starts
// at that moment refuse its outbox.
bool outbox_locked(const HostLayout& layout, const std::string& run_id, const std::vector<LockedFile>& held);
// Every run id under runs/, oldest first (ids sort by time).
std::vector<std::string> list_runs(const HostLayout& layout);

// True when a run still has a live `claude-host run` attached (its pid exists and is a
// claude-host); such a run's outbox is still being written.
bool run_is_attached(const RunState& state);

// A new run id: "20261122-010203-<6 hex>" (sorts by time).
std::string new_run_id(std::int64_t now_ms);
// A new trace id: 32 hex digits.
std::string new_trace_id();

}  // namespace claude::host
