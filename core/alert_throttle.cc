#include "core/alert_throttle.h"

#include <algorithm>

#include "core/formats.h"

namespace claude {

const char* to_string(ThrottleDecision d) {
  switch (d) {
    case ThrottleDecision::kSend: return "send";
    case ThrottleDecision::kSuppressedSame: return "suppressed: the same alert was sent less than 15 minutes ago";
    case ThrottleDecision::kSuppressedRate: return "suppressed: 10 alerts were sent in the last hour";
  }
  return "unknown";
}

void AlertThrottle::forget_before(std::int64_t now_s) {
  while (!sent_.empty() && sent_.front() <= now_s - limits_.window_s) sent_.pop_front();
  for (auto it = last_sent_.begin(); it != last_sent_.end();) {
    if (it->second <= now_s - limits_.same_alert_interval_s && it->second <= now_s - limits_.window_s)
      it = last_sent_.erase(it);
    else
      ++it;
  }
}

ThrottleDecision AlertThrottle::admit(const std::string& key, std::int64_t now_s) {
  forget_before(now_s);
  auto it = last_sent_.find(key);
  // A clock that went backwards (last > now) counts as "just sent": better one alert
  // late than a burst.
  if (it != last_sent_.end() && now_s - it->second < limits_.same_alert_interval_s)
    return ThrottleDecision::kSuppressedSame;
  if (sent_.size() >= limits_.max_per_window) return ThrottleDecision::kSuppressedRate;
  last_sent_[key] = now_s;
  sent_.push_back(now_s);
  return ThrottleDecision::kSend;
}

nlohmann::json AlertThrottle::to_json() const {
  nlohmann::json j = {{"format", kAlertThrottleFormat},
                      {"last_sent", nlohmann::json::object()},
                      {"sent", nlohmann::json::array()}};
  for (const auto& [key, t] : last_sent_) j["last_sent"][key] = t;
  for (std::int64_t t : sent_) j["sent"].push_back(t);
  return j;
}

Result<AlertThrottle> AlertThrottle::from_json(const nlohmann::json& j, ThrottleLimits limits) {
  auto bad = [](const std::string& what) {
    return Error{"read alert throttle state", "", 0, what, "delete the file; the throttle starts afresh"};
  };
  if (!j.is_object() || j.value("format", "") != kAlertThrottleFormat)
    return bad("format is not " + std::string(kAlertThrottleFormat));
  AlertThrottle t(limits);
  auto last = j.find("last_sent");
  auto sent = j.find("sent");
  if (last == j.end() || !last->is_object() || sent == j.end() || !sent->is_array())
    return bad("last_sent must be an object and sent an array");
  for (const auto& item : last->items()) {
    if (!item.value().is_number_integer()) return bad("last_sent." + item.key() + " is not an integer");
    t.last_sent_[item.key()] = item.value().get<std::int64_t>();
  }
  for (const auto& v : *sent) {
    if (!v.is_number_integer()) return bad("sent holds a non-integer");
    t.sent_.push_back(v.get<std::int64_t>());
  }
  std::sort(t.sent_.begin(), t.sent_.end());
  return t;
}

}  // namespace claude
