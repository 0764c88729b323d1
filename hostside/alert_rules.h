// When claude-host raises an alert, as pure functions of what it observed: a failed or
// unverifiable read-back, corruption, an unhealthy run, repeated sync failures, a stale
// backup. Sending (throttled) is alerter.h's job.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace claude::host {

struct Alert {
  std::string key;       // what the throttle counts as "the same alert"
  std::string severity;  // "critical" | "warning"
  std::string title;     // one line
  std::string text;      // a few lines: what happened, where, what to do
  std::string run_id, trace_id;
  nlohmann::json to_json() const;
};

// A read-back that failed (an Error) or found outbox files it could not verify.
std::optional<Alert> readback_alert(const std::string& run_id, const std::string& trace_id,
                                    const std::optional<std::string>& failure,
                                    const std::vector<std::string>& unverifiable);

// The run's report (reports/run.json, may be null) and events say it went badly: not a
// clean stop, an incomplete flush, errors; a sync error repeated `repeat_threshold` times
// or more is its own alert.
std::vector<Alert> run_health_alerts(const std::string& run_id, const std::string& trace_id,
                                     const nlohmann::json& run_report, const std::vector<nlohmann::json>& events,
                                     int repeat_threshold = 3);

// The newest backup is older than max_age_s (or there is none: age nullopt).
std::optional<Alert> stale_backup_alert(std::optional<std::int64_t> newest_age_s, std::int64_t max_age_s = 24 * 3600);

// Slack-style webhook body: {"text": "...", "attachments":[...]} with the alert's fields.
std::string webhook_body(const Alert& alert);

}  // namespace claude::host
