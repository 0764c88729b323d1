#include "entrypoint/terminal_session.h"

#include <unistd.h>

namespace claude {

TerminalSession::TerminalSession() {
  if (!isatty(STDIN_FILENO)) return;
  terminal_ = true;
  if (tcgetpgrp(STDIN_FILENO) != getpgrp()) return;  // started in the background
  if (tcgetattr(STDIN_FILENO, &saved_) != 0) return;
  interactive_ = true;
}

// SIGTTOU is blocked in the init, so these tcsetpgrp calls are allowed from a background
// group; hence the checks of who holds the foreground first.

void TerminalSession::take_back_from_child() {
  if (terminal_ && child_pgid_ > 0 && tcgetpgrp(STDIN_FILENO) == child_pgid_) tcsetpgrp(STDIN_FILENO, getpgrp());
}

bool TerminalSession::hand_to_child_if_foreground(bool after_own_stop) {
  if (!terminal_ || child_pgid_ <= 0) return false;
  if (tcgetpgrp(STDIN_FILENO) == getpgrp()) {
    background_ = false;
    return tcsetpgrp(STDIN_FILENO, child_pgid_) == 0;
  }
  // Resumed from its own stop without the foreground: the shell kept it (`bg`).
  if (after_own_stop) background_ = true;
  return false;
}

void TerminalSession::restore() {
  if (!interactive_ || restored_) return;
  restored_ = true;
  if (background_) return;  // the shell holds the terminal and its attributes: not ours
  // The (now gone) child's group gives the foreground back.
  tcsetpgrp(STDIN_FILENO, getpgrp());
  tcsetattr(STDIN_FILENO, TCSADRAIN, &saved_);
}

}  // namespace claude
