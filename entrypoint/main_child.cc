#include "entrypoint/main_child.h"

namespace claude {

void MainChild::start() {
  terminal_.emplace();
  SpawnSpec spec;
  spec.argv = command_;
  spec.signals = &signals_;
  spec.take_terminal = terminal_->interactive();
  spawned_ = spawn_process(spec);
  started_at_ = std::chrono::steady_clock::now();
}

void MainChild::restore_terminal() {
  if (terminal_) terminal_->restore();
}

}  // namespace claude
