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
  if (spawned_.ok()) terminal_->set_child_group(spawned_.pid);  // it leads its own group
  started_at_ = std::chrono::steady_clock::now();
}

void MainChild::restore_terminal() {
  if (terminal_) terminal_->restore();
}

void MainChild::take_back_terminal() {
  if (terminal_) terminal_->take_back_from_child();
}

bool MainChild::give_terminal(bool after_own_stop) {
  return terminal_ && terminal_->hand_to_child_if_foreground(after_own_stop);
}

}  // namespace claude
