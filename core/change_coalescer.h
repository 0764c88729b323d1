// Per-path coalescing of change hints. Watch events are hints, not truth: many events for
// one path collapse into one pending entry, which becomes due either at once (the writer
// closed the file, renamed it into place, deleted it, or the file is an append-only log or
// the credentials) or after a short settle with a hard cap, so that a file written
// continuously is still published every `cap`. Pure: the caller passes the time in.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace claude {

using SyncClock = std::chrono::steady_clock;

// How soon a hint asks for its path to be looked at.
enum class Urgency {
  kSettle,  // still being written (IN_MODIFY of a whole file): wait for quiet, up to the cap
  kNow,     // finished or safe to take now (close-after-write, rename, delete, log append)
};

struct CoalescerConfig {
  // Quiet time after the last kSettle hint before the path is due (≤ 20 ms by contract).
  std::chrono::milliseconds settle{10};
  // A path is due no later than this after its first pending hint, however busy it is.
  std::chrono::milliseconds cap{100};
};

class ChangeCoalescer {
 public:
  explicit ChangeCoalescer(CoalescerConfig config = {}) : config_(config) {}

  // Records a hint for `path` at `now`. A path already pending keeps its first-seen time
  // (lag is measured from the first unpublished change) and its earliest due time.
  void note(const std::string& path, Urgency urgency, SyncClock::time_point now);

  // Makes `path` due at `at` (a retry after a failed publish); keeps an earlier due time
  // and the original first-seen time (`first_seen` is used when the path is not pending).
  void retry_at(const std::string& path, SyncClock::time_point at,
                SyncClock::time_point first_seen);

  // The earliest due time, nullopt when nothing is pending (the caller then arms no timer).
  std::optional<SyncClock::time_point> next_due() const;

  struct Taken {
    std::string path;
    SyncClock::time_point first_seen;
  };
  // Removes and returns the paths due at `now`, earliest due first, at most `limit`.
  std::vector<Taken> take_due(SyncClock::time_point now, std::size_t limit = SIZE_MAX);
  // Removes and returns everything pending (a flush barrier does not wait for settling).
  std::vector<Taken> take_all();

  std::size_t size() const { return pending_.size(); }
  bool empty() const { return pending_.empty(); }
  // First-seen time of the oldest pending path (the sync lag), nullopt when none.
  std::optional<SyncClock::time_point> oldest_first_seen() const;

 private:
  struct Pending {
    SyncClock::time_point first_seen;
    SyncClock::time_point due;
  };
  void set_due(const std::string& path, Pending& entry, SyncClock::time_point due);

  CoalescerConfig config_;
  std::map<std::string, Pending> pending_;
  // Due-time index so that next_due() and take_due() don't walk every pending path.
  std::multimap<SyncClock::time_point, std::string> by_due_;
};

}  // namespace claude
