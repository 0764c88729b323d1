// The init's one event loop: it seeds through the sync engine, spawns the child (unless
// main already did, for a plain init), reads
// signals from a signalfd, reaps every zombie, drives the shutdown state machine, runs
// the optional child probe and serves POST /sync barriers — all on the main thread.
// The health server's thread only reads what this publishes.
#pragma once

#include <uv.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/exit_status.h"
#include "core/health_state.h"
#include "core/init_options.h"
#include "core/shutdown_machine.h"
#include "entrypoint/health_board.h"
#include "entrypoint/health_server.h"
#include "entrypoint/main_child.h"
#include "entrypoint/metrics_registry.h"
#include "entrypoint/run_outcome.h"
#include "entrypoint/signal_mask.h"
#include "entrypoint/sync_hooks.h"

namespace claude {

class InitLoop {
 public:
  // Registers the init's metrics in `metrics`; nothing runs until run().
  // `signals` is what the init inherited; the ignored set is added for the probe.
  InitLoop(uv_loop_t* loop, const InitOptions& options, InheritedSignals& signals, MainChild& child,
           SignalFd& signal_fd, HealthBoard& board, MetricsRegistry& metrics);
  InitLoop(const InitLoop&) = delete;
  InitLoop& operator=(const InitLoop&) = delete;
  ~InitLoop();

  // The whole run: seed and spawn (when the child has not started yet), serve, stop.
  // Returns the init's exit code.
  int run(SyncHooks& hooks);

 private:
  using Clock = std::chrono::steady_clock;

  // How long after the child's start a plain init's health endpoint comes up.
  static constexpr std::chrono::milliseconds kHealthStartDelay{50};

  int refuse_to_start(SyncHooks& hooks, const std::string& why);
  // The child's start as the loop sees it: pid, metrics and health, or the run's end
  // when its command never ran.
  void adopt_child();
  void start_health_server();
  void on_signals();
  void reap();
  // Job control under a shell: whether the init stops when its child does (neither PID 1
  // nor a session leader: a shell started it as a job); read once, when first needed.
  bool follows_stops();
  // The child stopped with `signal`: the init gives the terminal back to its own group,
  // stops with the same signal, and once resumed (`fg`, `bg`) hands the terminal back to
  // the child's group if it holds it and resumes that group. A child stopped by
  // SIGTTIN/SIGTTOU while the init's group holds the terminal gets it and runs on.
  void follow_stop(int signal);
  // The child has ended (child_end_ is set) or never started: exit code, readiness, and
  // the shutdown machine's next steps.
  void on_child_ended(bool group_empty);
  void apply(const ShutdownMachine::Actions& actions);
  void rearm_shutdown_timer();
  void start_probe();
  // One probe run's outcome (a probe that could not be started is a failed run): metrics,
  // the failure streak, the health board, and a log line when the level changes.
  void record_probe(bool ok, const std::string& reason);
  void finish_probe(int status);
  void serve_sync_requests();
  bool request_sync(std::chrono::milliseconds timeout);  // HTTP thread
  nlohmann::json status_json() const;                      // HTTP thread
  RunOutcome outcome() const;

  uv_loop_t* loop_;
  const InitOptions& options_;
  InheritedSignals& signals_;
  MainChild& child_;
  SignalFd& signal_fd_;
  HealthBoard& board_;
  MetricsRegistry& metrics_;
  SyncHooks* hooks_ = nullptr;
  ShutdownMachine machine_;
  std::unique_ptr<HealthServer> server_;

  uv_poll_t signal_poll_{};
  uv_timer_t shutdown_timer_{};
  uv_timer_t probe_timer_{};
  uv_timer_t probe_timeout_timer_{};
  uv_timer_t health_start_timer_{};
  uv_async_t sync_async_{};
  bool handles_open_ = false;

  // The child.
  pid_t child_pid_ = -1;
  std::optional<bool> follows_stops_;
  std::optional<ChildEnd> child_end_;
  std::string exec_error_;
  int exit_code_ = 0;
  Clock::time_point started_;
  std::chrono::system_clock::time_point started_wall_;
  Clock::time_point child_ended_{};
  Clock::time_point flush_started_{};
  Clock::time_point flush_ended_{};

  // The probe.
  pid_t probe_pid_ = -1;
  Clock::time_point probe_started_{};
  bool probe_timed_out_ = false;
  ProbeStreak probe_streak_;

  // POST /sync requests, handed from the HTTP thread to the loop.
  std::mutex sync_mu_;
  bool sync_accepting_ = true;
  std::vector<std::shared_ptr<std::promise<bool>>> sync_pending_;

  // Published for the HTTP thread.
  std::atomic<int> phase_{0};

  // Metrics (registered in the constructor).
  Gauge& m_child_pid_;
  Counter& m_child_restarts_;
  Counter& m_reaped_;
  Counter& m_forwarded_;
  Counter& m_probe_runs_;
  Counter& m_probe_failures_;
  Histogram& m_probe_seconds_;
  Counter& m_sync_barriers_;
};

}  // namespace claude
