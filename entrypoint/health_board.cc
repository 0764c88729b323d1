#include "entrypoint/health_board.h"

namespace claude {

void HealthBoard::set(const std::string& component, HealthLevel level, std::string reason) {
  std::lock_guard<std::mutex> lock(mu_);
  state_.set(component, level, std::move(reason));
}

void HealthBoard::set_ready(bool ready, std::string reason) {
  std::lock_guard<std::mutex> lock(mu_);
  state_.set_ready(ready, std::move(reason));
}

HealthState HealthBoard::snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return state_;
}

}  // namespace claude
