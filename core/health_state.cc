#include "core/health_state.h"

namespace claude {

std::string_view health_level_name(HealthLevel level) {
  switch (level) {
    case HealthLevel::kOk: return "ok";
    case HealthLevel::kDegraded: return "degraded";
    case HealthLevel::kUnhealthy: return "unhealthy";
  }
  return "unknown";
}

void HealthState::set(const std::string& component, HealthLevel level, std::string reason) {
  if (level == HealthLevel::kOk) reason.clear();
  components_[component] = ComponentHealth{level, std::move(reason)};
}

void HealthState::set_ready(bool ready, std::string reason) {
  ready_ = ready;
  not_ready_reason_ = ready ? std::string() : std::move(reason);
}

HealthVerdict HealthState::overall() const {
  HealthVerdict v;
  const std::string* worst_name = nullptr;
  const ComponentHealth* worst = nullptr;
  // std::map iterates by name, and only a strictly worse level replaces the pick, so
  // ties go to the first name: the verdict is stable from one call to the next.
  for (const auto& [name, c] : components_) {
    if (c.level == HealthLevel::kOk) continue;
    if (!worst || c.level > worst->level) {
      worst = &c;
      worst_name = &name;
    }
  }
  if (!worst) {
    v.reason = "ok";
    return v;
  }
  v.level = worst->level;
  v.reason = *worst_name + ": " + (worst->reason.empty() ? std::string(health_level_name(worst->level)) : worst->reason);
  return v;
}

nlohmann::json HealthState::to_json() const {
  HealthVerdict v = overall();
  nlohmann::json components = nlohmann::json::object();
  for (const auto& [name, c] : components_) {
    components[name] = {{"status", health_level_name(c.level)}, {"reason", c.reason}};
  }
  return {{"status", health_level_name(v.level)},
          {"reason", v.reason},
          {"ready", ready_},
          {"ready_reason", ready_ ? std::string("ready") : not_ready_reason_},
          {"components", std::move(components)}};
}

ComponentHealth ProbeStreak::record(bool success, std::string_view failure_reason) {
  if (success) {
    failures_ = 0;
    return ComponentHealth{};
  }
  ++failures_;
  std::string reason = std::string(failure_reason) + " (" + std::to_string(failures_) + " consecutive failure" +
                       (failures_ == 1 ? "" : "s") + ", unhealthy at " + std::to_string(threshold_) + ")";
  return ComponentHealth{failures_ >= threshold_ ? HealthLevel::kUnhealthy : HealthLevel::kDegraded, std::move(reason)};
}

}  // namespace claude
