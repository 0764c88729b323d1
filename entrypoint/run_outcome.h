// How a run of the child ended, as the init hands it to the final report.
#pragma once

#include <chrono>
#include <string>

namespace claude {

struct RunOutcome {
  // The init's own exit code (after -e remapping), what `docker wait` shows.
  int exit_code = 0;
  // The child's raw ending: exited with `child_exit_code`, or killed by `child_signal`
  // (0 when it exited). Both 0 and `child_started` false when it never ran.
  bool child_started = false;
  int child_exit_code = 0;
  int child_signal = 0;
  // Set when the child could not be executed (126/127); says why.
  std::string exec_error;
  // Set when the init refused to start (exit 1: seed failed, fork failed); says why.
  std::string start_error;
  // The first stop signal received (SIGTERM/SIGINT/SIGHUP), 0 when the child ended by itself.
  int stop_signal = 0;
  // The child had to be SIGKILLed after the grace period.
  bool killed_after_grace = false;
  // The final flush reported everything published before its deadline.
  bool flush_complete = false;
  // Clean stop: the child ended without SIGKILL and the flush was complete.
  bool clean_stop = false;
  // Timings. Wall-clock start for the report; durations measured on the steady clock.
  std::chrono::system_clock::time_point started_at{};
  std::chrono::milliseconds child_runtime{0};    // spawn → reaped
  std::chrono::milliseconds stop_duration{0};    // first stop signal → flush done (0 without one)
  std::chrono::milliseconds flush_duration{0};   // flush start → done
  std::chrono::milliseconds total_runtime{0};    // init start → report
};

}  // namespace claude
