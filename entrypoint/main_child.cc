#include "entrypoint/main_child.h"

namespace claude {

void MainChild::start() {
  // After the seed (a syncing init starts the child once the live dir is filled).
  if (user_) hand_over_problems_ = hand_over_to_session_user(*user_, live_dir_, home_);
  terminal_.emplace();
  SpawnSpec spec;
  spec.argv = command_;
  spec.signals = &signals_;
  spec.user = user();
  spec.take_terminal = terminal_->interactive();
  spawned_ = spawn_process(spec);
  started_at_ = std::chrono::steady_clock::now();
}

void MainChild::restore_terminal() {
  if (terminal_) terminal_->restore();
}

}  // namespace claude
