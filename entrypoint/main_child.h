// The init's main child: the command it runs, started once, in the terminal's foreground
// when the init holds one. main starts a plain init's child before anything else is set
// up (logging, the loop, the health endpoint: the child needs none of them); a syncing
// init's loop starts it once the seed is done.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "entrypoint/process_control.h"
#include "entrypoint/signal_mask.h"
#include "entrypoint/terminal_session.h"

namespace claude {

class MainChild {
 public:
  // `signals` is what the init inherited: the child starts with that mask, and with the
  // dispositions the init has not changed.
  MainChild(const std::vector<std::string>& command, const InheritedSignals& signals)
      : command_(command), signals_(signals) {}

  // The child runs as `user`; before it starts, the live dir, the home and the terminal
  // are handed over to that user (see session_user.h). Called before start().
  void run_as(const SessionUser& user, std::string live_dir, std::string home) {
    user_ = user;
    live_dir_ = std::move(live_dir);
    home_ = std::move(home);
  }
  // What could not be handed over to the session's user (logged by the caller).
  const std::vector<std::string>& hand_over_problems() const { return hand_over_problems_; }
  const SessionUser* user() const { return user_ ? &*user_ : nullptr; }
  MainChild(const MainChild&) = delete;
  MainChild& operator=(const MainChild&) = delete;

  // Spawns the command; called once. Logs nothing: the caller reports spawned().
  void start();
  bool started() const { return started_at_.has_value(); }
  const std::string& name() const { return command_.front(); }
  const Spawned& spawned() const { return spawned_; }
  bool in_foreground() const { return terminal_ && terminal_->interactive(); }
  std::chrono::steady_clock::time_point started_at() const { return *started_at_; }
  // Gives the terminal back to the init's group with its saved attributes; idempotent,
  // and nothing when the child never took it.
  void restore_terminal();
  // Job control under a shell (see TerminalSession): the child has stopped, and the init
  // resumed (after its own stop or not). Nothing when stdin is no terminal.
  void take_back_terminal();
  bool give_terminal(bool after_own_stop);

 private:
  const std::vector<std::string>& command_;
  const InheritedSignals& signals_;
  std::optional<TerminalSession> terminal_;
  Spawned spawned_;
  std::optional<std::chrono::steady_clock::time_point> started_at_;
  std::optional<SessionUser> user_;
  std::string live_dir_, home_;
  std::vector<std::string> hand_over_problems_;
};

}  // namespace claude
