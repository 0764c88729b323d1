// Decides whether an alert may be sent now: the same alert at most once per 15 minutes,
// at most 10 alerts of any kind per hour. Pure: the caller passes the time (its clock) and
// persists the state (to_json/from_json) between runs of claude-host.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "core/result.h"

namespace claude {

struct ThrottleLimits {
  std::int64_t same_alert_interval_s = 15 * 60;
  std::int64_t window_s = 60 * 60;
  std::size_t max_per_window = 10;
};

enum class ThrottleDecision {
  kSend,            // send it, and the send has been recorded
  kSuppressedSame,  // the same alert went out less than same_alert_interval_s ago
  kSuppressedRate,  // max_per_window alerts already went out in the last window_s
};

const char* to_string(ThrottleDecision d);

class AlertThrottle {
 public:
  explicit AlertThrottle(ThrottleLimits limits = {}) : limits_(limits) {}

  // Whether the alert identified by `key` (e.g. "readback-failed") may go out at
  // `now_s` (seconds since the epoch). kSend records the send; suppressions record nothing.
  ThrottleDecision admit(const std::string& key, std::int64_t now_s);

  // {"format":"claude-alert-throttle/1","last_sent":{key:t},"sent":[t,...]}.
  nlohmann::json to_json() const;
  // Reads to_json's output; an unknown format or a wrong shape is an Error (the caller
  // then starts from an empty state and says so).
  static Result<AlertThrottle> from_json(const nlohmann::json& j, ThrottleLimits limits = {});

 private:
  void forget_before(std::int64_t now_s);
  ThrottleLimits limits_;
  std::map<std::string, std::int64_t> last_sent_;
  std::deque<std::int64_t> sent_;  // send times inside the window, oldest first
};

}  // namespace claude
