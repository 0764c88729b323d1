#include "entrypoint/terminal_session.h"

#include <unistd.h>

namespace claude {

TerminalSession::TerminalSession() {
  if (!isatty(STDIN_FILENO)) return;
  if (tcgetpgrp(STDIN_FILENO) != getpgrp()) return;  // started in the background
  if (tcgetattr(STDIN_FILENO, &saved_) != 0) return;
  interactive_ = true;
}

void TerminalSession::restore() {
  if (!interactive_ || restored_) return;
  restored_ = true;
  // SIGTTOU is blocked in the init, so taking the foreground back from the (now gone)
  // child's group is allowed.
  tcsetpgrp(STDIN_FILENO, getpgrp());
  tcsetattr(STDIN_FILENO, TCSADRAIN, &saved_);
}

}  // namespace claude
