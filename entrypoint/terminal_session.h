// Interactive use (`docker run -it`): when stdin is a terminal and the init holds its
// foreground, the child's process group gets the foreground (see spawn_process) and, at
// exit, the terminal gets its attributes and foreground group back. Under a shell's job
// control (the init neither PID 1 nor a session leader), the foreground moves with the
// stops and resumptions of the child (see InitLoop::follow_stop).
#pragma once

#include <sys/types.h>
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
  // The child's process group (its pid), once it runs.
  void set_child_group(pid_t pgid) { child_pgid_ = pgid; }
  // The child has stopped: the foreground goes back to the init's group when the child's
  // group holds it, so that the shell that started the init finds it there.
  void take_back_from_child();
  // The init has been resumed: when its group holds the foreground (`fg`), the child's
  // group gets it. Resumed from its own stop in the background (`bg`), it leaves the
  // terminal alone, at exit too (until a later `fg`). Returns whether it handed it over.
  bool hand_to_child_if_foreground(bool after_own_stop);
  // Puts back the attributes saved at start and makes the init's group the foreground
  // again, so a shell around it finds the terminal as it left it. Idempotent.
  void restore();

 private:
  bool terminal_ = false;     // stdin is a terminal
  bool interactive_ = false;  // ... whose foreground was the init's group at start
  bool background_ = false;   // resumed in the background: the shell has the terminal
  bool restored_ = false;
  pid_t child_pgid_ = 0;
  termios saved_{};
};

}  // namespace claude
