#include "hostside/alerter.h"

#include <chrono>
#include <cstdio>
#include <thread>

#include "core/alert_throttle.h"
#include "hostside/file_tree.h"
#include "hostside/host_lock.h"
#include "hostside/host_logs.h"
#include "platform/atomic_file.h"

namespace claude::host {

AlertOutcome Alerter::send(const Alert& alert) {
  AlertOutcome out{alert.key, "", {}, {}};
  (void)make_dirs(layout_.state_dir, 0700);
  {
    // The throttle's state is read, updated and written under its own lock, so that two
    // claude-host processes raising the same alert send it once.
    auto lock = HostLock::acquire(layout_.throttle_path() + ".lock", "claude-host alert", 5000);
    AlertThrottle throttle;
    auto text = read_file(layout_.throttle_path());
    if (text.ok()) {
      auto j = nlohmann::json::parse(*text, nullptr, false);
      auto restored = AlertThrottle::from_json(j);
      if (restored.ok()) throttle = std::move(*restored);
      else std::fprintf(stderr, "claude-host: %s; starting the alert throttle afresh\n", restored.error().message().c_str());
    }
    ThrottleDecision d = throttle.admit(alert.key, clock_.now_s());
    out.decision = d == ThrottleDecision::kSend ? "sent" : to_string(d);
    if (d != ThrottleDecision::kSend) {
      (void)log_event(layout_, "alert_suppressed", alert.trace_id, alert.run_id,
                      {{"alert", alert.key}, {"reason", out.decision}});
      return out;
    }
    Status saved = write_file_atomically(layout_.throttle_path(), throttle.to_json().dump() + "\n", 0600);
    if (!saved.ok()) out.errors.push_back("throttle state: " + saved.error().message());
  }
  if (!config_.webhook_url.empty()) {
    std::string body = webhook_body(alert);
    std::string last_error;
    bool delivered = false;
    for (int attempt = 1; attempt <= webhook_attempts && !delivered; ++attempt) {
      auto status = http_.post_json(config_.webhook_url, body, webhook_timeout_ms);
      if (status.ok() && *status >= 200 && *status < 300) {
        delivered = true;
      } else {
        last_error = status.ok() ? "HTTP " + std::to_string(*status) : status.error().message();
        // 4xx other than 429 will not get better by retrying.
        if (status.ok() && *status >= 400 && *status < 500 && *status != 429) break;
        if (attempt < webhook_attempts)
          std::this_thread::sleep_for(std::chrono::milliseconds(retry_backoff_ms * attempt));
      }
    }
    if (delivered) out.channels.push_back("webhook");
    else out.errors.push_back("webhook: " + last_error);
  }
  if (config_.desktop_notifications) {
    if (runner_.available("notify-send")) {
      auto r = runner_.capture({"notify-send", "--app-name=claude-host",
                                std::string("--urgency=") + (alert.severity == "critical" ? "critical" : "normal"),
                                alert.title, alert.text});
      if (r.ok() && r->exit_code == 0) out.channels.push_back("notify-send");
      else out.errors.push_back("notify-send failed");
    } else if (runner_.available("osascript")) {
      auto escape = [](const std::string& s) {
        std::string o;
        for (char c : s) {
          if (c == '"' || c == '\\') o += '\\';
          o += c == '\n' ? ' ' : c;
        }
        return o;
      };
      auto r = runner_.capture({"osascript", "-e",
                                "display notification \"" + escape(alert.text) + "\" with title \"" +
                                    escape(alert.title) + "\""});
      if (r.ok() && r->exit_code == 0) out.channels.push_back("osascript");
      else out.errors.push_back("osascript failed");
    }
  }
  (void)log_event(layout_, "alert_sent", alert.trace_id, alert.run_id,
                  {{"alert", alert.key}, {"channels", out.channels}, {"errors", out.errors}});
  return out;
}

}  // namespace claude::host
