// The init's health as named components, each ok / degraded / unhealthy with a reason.
// Overall health is the worst component; readiness is tracked apart (a run can be alive
// but not ready yet, e.g. while seeding). Pure: the caller supplies the clock.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace claude {

enum class HealthLevel { kOk = 0, kDegraded = 1, kUnhealthy = 2 };

// "ok", "degraded", "unhealthy".
std::string_view health_level_name(HealthLevel level);

struct ComponentHealth {
  HealthLevel level = HealthLevel::kOk;
  std::string reason;  // empty when ok
};

struct HealthVerdict {
  HealthLevel level = HealthLevel::kOk;
  // "ok", or "<component>: <reason>" of the worst component (the first by name on ties).
  std::string reason;
};

class HealthState {
 public:
  // Sets (or adds) a component.
  void set(const std::string& component, HealthLevel level, std::string reason = {});
  // Readiness: false with a reason until the init says it is ready.
  void set_ready(bool ready, std::string reason = {});

  HealthVerdict overall() const;
  bool ready() const { return ready_; }
  const std::string& not_ready_reason() const { return not_ready_reason_; }
  const std::map<std::string, ComponentHealth>& components() const { return components_; }

  // {"status":"ok","reason":"ok","ready":true,"components":{"child":{"status":"ok","reason":""}}}
  nlohmann::json to_json() const;

 private:
  std::map<std::string, ComponentHealth> components_;
  bool ready_ = false;
  std::string not_ready_reason_ = "starting";
};

// Consecutive probe results → a component level: ok until `threshold` failures in a row,
// then unhealthy; one success resets it.
class ProbeStreak {
 public:
  explicit ProbeStreak(int threshold) : threshold_(threshold < 1 ? 1 : threshold) {}
  // Records one probe result; returns the component health it implies.
  ComponentHealth record(bool success, std::string_view failure_reason);
  int consecutive_failures() const { return failures_; }

 private:
  int threshold_;
  int failures_ = 0;
};

}  // namespace claude
