// Interactive use (`docker run -it`): when stdin is a terminal and the init holds its
// foreground, the child's process group gets the foreground (see spawn_process) and, at
// exit, the terminal gets its attributes and foreground group back.
#pragma once

#include <termios.h>

namespace claude {

class TerminalSession {
 public:
  // Looks at stdin: interactive when it is a terminal whose foreground group is ours.
  TerminalSession();
  TerminalSession(const TerminalSession&) = delete;
  TerminalSession& operator=(const TerminalSession&) = delete;
  ~TerminalSession() { restore(); }

  bool interactive() const { return interactive_; }
  // Puts back the attributes saved at start and makes the init's group the foreground
  // again, so a shell around it finds the terminal as it left it. Idempotent.
  void restore();

 private:
  bool interactive_ = false;
  bool restored_ = false;
  termios saved_{};
};

}  // namespace claude
