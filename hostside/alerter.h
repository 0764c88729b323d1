// Sends alerts through the configured channels, throttled (core/alert_throttle.h: the same
// alert at most once per 15 minutes, at most 10 per hour; the state lives in
// ~/.claude-docker/alert-throttle.json so that it holds across claude-host processes).
// Channels: a Slack-style webhook (POST with a timeout, retried) and a desktop
// notification (notify-send on Linux, osascript on macOS) when one is available.
#pragma once

#include <string>
#include <vector>

#include "hostside/alert_rules.h"
#include "hostside/clock.h"
#include "hostside/host_config.h"
#include "hostside/host_layout.h"
#include "hostside/http_client.h"
#include "hostside/process_runner.h"

namespace claude::host {

class AlertSink {
 public:
  virtual ~AlertSink() = default;
  virtual void raise(const Alert& alert) = 0;
};

struct AlertOutcome {
  std::string key;
  std::string decision;            // "sent" or why it was suppressed
  std::vector<std::string> channels;  // channels that delivered it
  std::vector<std::string> errors;    // channels that failed, with why
};

class Alerter final : public AlertSink {
 public:
  Alerter(HostLayout layout, HostConfig config, HttpClient& http, ProcessRunner& runner, const Clock& clock)
      : layout_(std::move(layout)), config_(std::move(config)), http_(http), runner_(runner), clock_(clock) {}

  void raise(const Alert& alert) override { outcomes_.push_back(send(alert)); }
  // Throttles, then delivers on every channel; the outcome says what happened.
  AlertOutcome send(const Alert& alert);
  const std::vector<AlertOutcome>& outcomes() const { return outcomes_; }

  // Webhook tries: attempts and the timeout of each.
  int webhook_attempts = 3;
  int webhook_timeout_ms = 5000;
  int retry_backoff_ms = 500;

 private:
  HostLayout layout_;
  HostConfig config_;
  HttpClient& http_;
  ProcessRunner& runner_;
  const Clock& clock_;
  std::vector<AlertOutcome> outcomes_;
};

}  // namespace claude::host
