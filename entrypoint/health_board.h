// The init's health, shared between threads: the loop thread sets component states,
// the HTTP thread reads a copy. A mutex, no waiting: both sides hold it for a copy only.
#pragma once

#include <mutex>
#include <string>

#include "core/health_state.h"

namespace claude {

class HealthBoard {
 public:
  // Sets a component's level and reason (any thread).
  void set(const std::string& component, HealthLevel level, std::string reason = {});
  // Sets readiness (any thread).
  void set_ready(bool ready, std::string reason = {});
  // A consistent copy of the whole state (any thread).
  HealthState snapshot() const;

 private:
  mutable std::mutex mu_;
  HealthState state_;
};

}  // namespace claude
