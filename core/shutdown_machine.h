// The init's lifecycle as a pure state machine, driven by signals, the child's exit and
// a timer, with the time passed in by the caller (tests inject it; the loop uses
// steady_clock):
//
//   running ──stop signal──▶ forwarding ──grace over──▶ killing (SIGKILL the group)
//      │                         │                          │
//      └──────child exits────────┴──▶ killing (leftovers in the group: TERM, then KILL)
//                                           │ child reaped and group empty
//                                           ▼
//                                      flushing (sync engine, bounded by a deadline)
//                                           ▼
//                                      reporting ──▶ done (exit)
//
// A stop signal is SIGTERM, SIGINT or SIGHUP as received (before -r rewriting). The
// whole stop — grace, kill, flush — ends by stop time + grace + flush_timeout, 9.5 s by
// default, inside Docker's 10 s stop timeout.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <vector>

namespace claude {

enum class ShutdownPhase { kRunning, kForwarding, kKilling, kFlushing, kReporting, kDone };

// "running", "forwarding", ...
const char* shutdown_phase_name(ShutdownPhase phase);

struct ShutdownConfig {
  std::chrono::milliseconds grace{8000};           // stop signal → SIGKILL
  std::chrono::milliseconds leftover_grace{2000};  // child gone, group left: TERM → KILL
  std::chrono::milliseconds kill_wait{500};        // SIGKILL → move on even if not reaped
  std::chrono::milliseconds flush_timeout{1500};   // flush budget (see the header comment)
  std::chrono::milliseconds min_flush{100};        // a flush always gets at least this
  std::map<int, int> rewrites;                     // -r: FROM → TO (0 drops)
  bool signal_group = false;                       // -g: forward to the group
};

struct ShutdownAction {
  enum class Kind {
    kSignalChild,  // kill(child, signal)
    kSignalGroup,  // kill(-pgid, signal)
    kStartFlush,   // hooks.flush(deadline, ...) then on_flush_done()
    kWriteReport,  // hooks.write_final_report(...) then on_report_written()
    kExit,         // exit(exit_code)
  };
  Kind kind;
  int signal = 0;
  std::chrono::steady_clock::time_point deadline{};
  int exit_code = 0;
  bool operator==(const ShutdownAction&) const = default;
};

class ShutdownMachine {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  using Actions = std::vector<ShutdownAction>;

  explicit ShutdownMachine(ShutdownConfig config) : config_(std::move(config)) {}

  // A signal read from the signalfd (never SIGCHLD; the reaper handles that).
  Actions on_signal(int signal, TimePoint now);
  // The main child was reaped; `exit_code` is the init's code for it (after -e);
  // `group_empty` tells whether anything is left in its process group.
  Actions on_child_exit(int exit_code, bool group_empty, TimePoint now);
  // After a reap, the child's process group was found empty.
  Actions on_group_empty(TimePoint now);
  // The timer armed for next_deadline() fired (early or late calls are harmless).
  Actions on_timer(TimePoint now);
  // The sync engine's final flush finished (ignored unless flushing).
  Actions on_flush_done(bool complete, TimePoint now);
  // The final report is written.
  Actions on_report_written(TimePoint now);

  // When on_timer() must be called next; nullopt when nothing is timed.
  std::optional<TimePoint> next_deadline() const;

  ShutdownPhase phase() const { return phase_; }
  int stop_signal() const { return stop_signal_; }
  std::optional<TimePoint> stop_started() const { return stop_at_; }
  bool killed_after_grace() const { return killed_after_grace_; }
  bool child_exited() const { return child_exited_; }
  // The code the exit action will carry, once child_exited(): the child's (after -e), or
  // 137 for a child still there kill_wait after SIGKILL.
  int exit_code() const { return exit_code_; }
  bool flush_complete() const { return flush_complete_; }
  std::optional<TimePoint> flush_started() const { return flush_at_; }

 private:
  Actions enter_flushing(TimePoint now);
  ShutdownAction kill_action(int signal) const;

  ShutdownConfig config_;
  ShutdownPhase phase_ = ShutdownPhase::kRunning;
  int stop_signal_ = 0;
  std::optional<TimePoint> stop_at_;
  bool child_exited_ = false;
  bool group_empty_ = false;
  int exit_code_ = 0;
  bool kill_sent_ = false;
  bool killed_after_grace_ = false;
  TimePoint timer_at_{};          // grace end, leftover kill or kill-wait end
  std::optional<TimePoint> flush_at_;
  TimePoint flush_deadline_{};
  bool flush_complete_ = false;
};

}  // namespace claude
