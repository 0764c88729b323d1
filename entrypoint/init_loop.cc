#include "entrypoint/init_loop.h"

#include <unistd.h>

#include <csignal>

#include <spdlog/spdlog.h>

#include "entrypoint/process_control.h"

namespace claude {
namespace {

ShutdownConfig shutdown_config(const InitOptions& o) {
  ShutdownConfig c;
  c.grace = o.grace;
  c.leftover_grace = std::min<std::chrono::milliseconds>(o.grace, std::chrono::seconds(2));
  c.flush_timeout = o.flush_timeout;
  c.rewrites = o.signal_rewrites;
  c.signal_group = o.signal_group;
  return c;
}

template <class T>
T* self_of(uv_handle_t* h) {
  return static_cast<T*>(h->data);
}

int64_t ms_between(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(b - a).count();
}

}  // namespace

InitLoop::InitLoop(uv_loop_t* loop, const InitOptions& options, InheritedSignals& signals, MainChild& child,
                   SignalFd& signal_fd, HealthBoard& board, MetricsRegistry& metrics)
    : loop_(loop),
      options_(options),
      signals_(signals),
      child_(child),
      signal_fd_(signal_fd),
      board_(board),
      metrics_(metrics),
      machine_(shutdown_config(options)),
      probe_streak_(options.probe_failures),
      m_child_pid_(metrics.gauge("claude_init_child_pid", "Pid of the main child; 0 once it has been reaped.")),
      m_child_restarts_(metrics.counter("claude_init_child_restarts_total",
                                        "Restarts of the main child (claude-init never restarts it; the run ends with it).")),
      m_reaped_(metrics.counter("claude_init_zombies_reaped_total", "Exited processes reaped, orphans included.")),
      m_forwarded_(metrics.counter("claude_init_signals_forwarded_total", "Signals sent to the child or its group.")),
      m_probe_runs_(metrics.counter("claude_init_probe_runs_total", "Child probe runs finished.")),
      m_probe_failures_(metrics.counter("claude_init_probe_failures_total", "Child probe runs that failed or timed out.")),
      m_probe_seconds_(metrics.histogram("claude_init_probe_duration_seconds", "Child probe run time.",
                                         {0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30})),
      m_sync_barriers_(metrics.counter("claude_init_sync_barriers_total", "POST /sync flush barriers served.")) {
  started_ = Clock::now();
  started_wall_ = std::chrono::system_clock::now();
  metrics.computed_gauge("claude_init_uptime_seconds", "Seconds since claude-init started.", [this] {
    return std::chrono::duration<double>(Clock::now() - started_).count();
  });
  metrics.computed_gauge("claude_init_health_status", "Overall health: 0 ok, 1 degraded, 2 unhealthy.",
                         [this] { return static_cast<double>(board_.snapshot().overall().level); });
  metrics.computed_gauge("claude_init_ready", "1 when ready, 0 otherwise.",
                         [this] { return board_.snapshot().ready() ? 1.0 : 0.0; });
  metrics.computed_gauge("claude_init_shutdown_phase",
                         "Lifecycle phase: 0 running, 1 forwarding, 2 killing, 3 flushing, 4 reporting, 5 done.",
                         [this] { return static_cast<double>(phase_.load()); });
}

InitLoop::~InitLoop() {
  // Closed here, not at the end of run(): an init that exits at once after run() skips
  // this with the rest of the teardown. The owner runs the loop once more afterwards.
  for (uv_handle_t* h : {reinterpret_cast<uv_handle_t*>(&signal_poll_), reinterpret_cast<uv_handle_t*>(&shutdown_timer_),
                         reinterpret_cast<uv_handle_t*>(&probe_timer_), reinterpret_cast<uv_handle_t*>(&probe_timeout_timer_),
                         reinterpret_cast<uv_handle_t*>(&health_start_timer_), reinterpret_cast<uv_handle_t*>(&sync_async_)}) {
    if (h->loop != nullptr && !uv_is_closing(h)) uv_close(h, nullptr);
  }
}

int InitLoop::refuse_to_start(SyncHooks& hooks, const std::string& why) {
  spdlog::error("{}", why);
  board_.set("start", HealthLevel::kUnhealthy, why);
  board_.set_ready(false, why);
  exit_code_ = 1;
  RunOutcome o = outcome();
  o.start_error = why;
  hooks.write_final_report(o);
  return 1;
}

int InitLoop::run(SyncHooks& hooks) {
  hooks_ = &hooks;
  if (!child_.started()) {
    board_.set_ready(false, "seeding the config");
    if (Status seeded = hooks.seed(); !seeded) {
      return refuse_to_start(hooks, "refusing to start: " + seeded.error().message());
    }
    child_.start();
  }
  adopt_child();
  // The probe starts with the ignored set the init was given: read now, while nothing has
  // changed a disposition (httplib's server ignores SIGPIPE; it starts later). The 64
  // reads only when there is a probe.
  if (!options_.probe_cmd.empty()) record_ignored(signals_);

  // Signals that arrived while the child was starting are still pending (blocked since
  // main's first line; a signalfd reads those that came before it was made too): the
  // first loop iteration forwards them.
  uv_poll_init(loop_, &signal_poll_, signal_fd_.fd());
  signal_poll_.data = this;
  uv_poll_start(&signal_poll_, UV_READABLE, [](uv_poll_t* h, int, int) { self_of<InitLoop>(reinterpret_cast<uv_handle_t*>(h))->on_signals(); });
  uv_timer_init(loop_, &shutdown_timer_);
  shutdown_timer_.data = this;
  uv_timer_init(loop_, &probe_timer_);
  probe_timer_.data = this;
  uv_timer_init(loop_, &probe_timeout_timer_);
  probe_timeout_timer_.data = this;
  uv_timer_init(loop_, &health_start_timer_);
  health_start_timer_.data = this;
  uv_async_init(loop_, &sync_async_, [](uv_async_t* h) { self_of<InitLoop>(reinterpret_cast<uv_handle_t*>(h))->serve_sync_requests(); });
  sync_async_.data = this;
  handles_open_ = true;

  if (Status st = hooks.start(); !st) {
    spdlog::error("sync did not start: {}", st.error().message());
    board_.set("sync", HealthLevel::kUnhealthy, st.error().message());
  }

  if (child_end_) {
    on_child_ended(/*group_empty=*/true);  // the command never started
  } else {
    // Everything the child does not need starts after it runs. A plain init (--no-sync,
    // or neither the stage nor the outbox there) brings the endpoint up a little later still: a command that is over within
    // kHealthStartDelay never pays for the server's threads. A syncing init is a
    // session whose readiness (seeded, in sync) is already true: it answers at once.
    if (options_.health_port != 0) {
      const auto delay = hooks.syncing() ? std::chrono::milliseconds(0) : kHealthStartDelay;
      uv_timer_start(&health_start_timer_, [](uv_timer_t* h) { self_of<InitLoop>(reinterpret_cast<uv_handle_t*>(h))->start_health_server(); },
                     static_cast<uint64_t>(delay.count()), 0);
    }
    if (!options_.probe_cmd.empty()) {
      auto interval = static_cast<uint64_t>(options_.probe_interval.count());
      uv_timer_start(&probe_timer_, [](uv_timer_t* h) { self_of<InitLoop>(reinterpret_cast<uv_handle_t*>(h))->start_probe(); },
                     interval, interval);
    }
    board_.set_ready(true);
  }

  uv_run(loop_, UV_RUN_DEFAULT);

  // Stopped by the machine's exit action. Fail any waiting POST /sync before stopping
  // the server, so that its thread is not left waiting on the loop.
  {
    std::lock_guard<std::mutex> lock(sync_mu_);
    sync_accepting_ = false;
    for (auto& p : sync_pending_) p->set_value(false);
    sync_pending_.clear();
  }
  if (server_) server_->stop();
  if (probe_pid_ > 0) send_signal(-probe_pid_, SIGKILL);
  child_.restore_terminal();
  // A sync engine that answers its flush late may still call back until the handles are
  // closed (~InitLoop); with this, such a call changes nothing and arms no timer.
  handles_open_ = false;
  return exit_code_;
}

void InitLoop::adopt_child() {
  for (const auto& p : child_.hand_over_problems()) spdlog::warn("session user: {}", p);
  if (const SessionUser* u = child_.user()) spdlog::debug("the child runs as {}:{}", u->uid, u->gid);
  const Spawned& spawned = child_.spawned();
  if (spawned.ok()) {
    child_pid_ = spawned.pid;
    m_child_pid_.set(child_pid_);
    spdlog::debug("started {} as pid {}{}", child_.name(), child_pid_,
                  child_.in_foreground() ? " in the terminal's foreground" : "");
    board_.set("child", HealthLevel::kOk);
  } else {
    // The command never ran. The run ends as if it had exited 126/127 (the exit code a
    // shell gives): the sync engine still flushes and reports, with the reason said once.
    exec_error_ = exec_failure_message(child_.name(), spawned.error);
    spdlog::error("{}", exec_error_);
    board_.set("child", HealthLevel::kUnhealthy, exec_error_);
    child_end_ = ChildEnd{true, exec_failure_exit_code(spawned.error), 0};
    child_ended_ = child_.started_at();
  }
}

void InitLoop::start_health_server() {
  if (machine_.phase() != ShutdownPhase::kRunning) return;  // stopping: no one will ask
  server_ = std::make_unique<HealthServer>(board_, metrics_, HealthServerHooks{
      [this] { return status_json(); },
      [this](std::chrono::milliseconds timeout) { return request_sync(timeout); }});
  if (Status st = server_->start(options_.health_addr, options_.health_port); !st) {
    spdlog::warn("health endpoint off: {}", st.error().message());
    server_.reset();
  }
}

void InitLoop::on_signals() {
  for (;;) {
    SignalFd::Received r = signal_fd_.read_one();
    if (r.signal == 0) break;
    if (r.signal == SIGCHLD) {
      reap();
      continue;
    }
    // Brought back to the foreground (`fg` after `bg` sends no SIGCONT to a running job):
    // the init's group holds the terminal, and passes it on to the child's at the first
    // signal. One typed at the terminal (Ctrl-C, Ctrl-\, Ctrl-Z: from the kernel, pid 0)
    // goes to the child's group, as it would have had that group held the terminal.
    if (child_pid_ > 0 && !child_end_ && follows_stops() && child_.give_terminal(/*after_own_stop=*/false) &&
        r.sender == 0 && (r.signal == SIGINT || r.signal == SIGQUIT || r.signal == SIGTSTP)) {
      if (send_signal(-child_pid_, r.signal)) m_forwarded_.inc();
      spdlog::debug("{} typed at the terminal: gave the terminal and the signal to process group {}",
                    signal_name(r.signal), child_pid_);
      continue;
    }
    // A SIGPIPE or SIGXFSZ the init caused itself (writing a log to a closed pipe) is
    // not meant for the child.
    if ((r.signal == SIGPIPE || r.signal == SIGXFSZ) && r.sender == getpid()) continue;
    spdlog::debug("received {} from pid {}", signal_name(r.signal), r.sender);
    apply(machine_.on_signal(r.signal, Clock::now()));
  }
}

void InitLoop::reap() {
  bool child_now = false;
  m_reaped_.inc(reap_exited([&](pid_t pid, int status) {
    if (pid == child_pid_) {
      child_end_ = decode_wait_status(status);
      child_ended_ = Clock::now();
      child_now = true;
    } else if (pid == probe_pid_) {
      finish_probe(status);
    }
  }));
  if (child_now) {
    on_child_ended(process_group_empty(child_pid_));
    return;
  }
  if (child_pid_ > 0 && !child_end_ && follows_stops()) {
    if (const int stop = take_stop(child_pid_); stop != 0) follow_stop(stop);
  }
  if (machine_.child_exited() && machine_.phase() == ShutdownPhase::kKilling && process_group_empty(child_pid_)) {
    apply(machine_.on_group_empty(Clock::now()));
  }
}

bool InitLoop::follows_stops() {
  if (!follows_stops_) follows_stops_ = getpid() != 1 && getsid(0) != getpid();
  return *follows_stops_;
}

void InitLoop::follow_stop(int signal) {
  // Stopping: the grace period's SIGKILL ends a stopped child; the init does not stop.
  if (machine_.phase() != ShutdownPhase::kRunning) return;
  // Stopped for reading or writing the terminal from the background while the init's
  // group has the foreground (a running job brought back by `fg`, which sends no
  // SIGCONT): the terminal goes on to the child, which goes on running.
  if ((signal == SIGTTIN || signal == SIGTTOU) && child_.give_terminal(/*after_own_stop=*/false)) {
    if (send_signal(-child_pid_, SIGCONT)) m_forwarded_.inc();
    spdlog::debug("child {} stopped by {}: gave it the terminal and resumed it", child_pid_, signal_name(signal));
    return;
  }
  spdlog::debug("child {} stopped by {}: stopping too", child_pid_, signal_name(signal));
  child_.take_back_terminal();
  stop_self(signal);
  const bool foreground = child_.give_terminal(/*after_own_stop=*/true);
  if (send_signal(-child_pid_, SIGCONT)) m_forwarded_.inc();
  spdlog::debug("resumed{}: sent SIGCONT to process group {}", foreground ? " with the terminal" : "", child_pid_);
}

void InitLoop::on_child_ended(bool group_empty) {
  exit_code_ = init_exit_code(*child_end_, options_.exit_zero_codes);
  m_child_pid_.set(0);
  spdlog::debug("child {} {} {}; its group is {}", child_pid_, child_end_->exited ? "exited with" : "was killed by",
                child_end_->exited ? std::to_string(child_end_->code) : signal_name(child_end_->signal),
                group_empty ? "empty" : "not empty");
  board_.set_ready(false, "the child has ended");
  apply(machine_.on_child_exit(exit_code_, group_empty, Clock::now()));
}

void InitLoop::apply(const ShutdownMachine::Actions& actions) {
  for (const ShutdownAction& a : actions) {
    switch (a.kind) {
      case ShutdownAction::Kind::kSignalChild:
      case ShutdownAction::Kind::kSignalGroup: {
        const bool group = a.kind == ShutdownAction::Kind::kSignalGroup;
        // No child when its command never started: nothing to signal (and -(-1) would
        // reach every process).
        if (child_pid_ > 0 && send_signal(group ? -child_pid_ : child_pid_, a.signal)) m_forwarded_.inc();
        spdlog::debug("sent {} to {} {}", signal_name(a.signal), group ? "process group" : "pid", child_pid_);
        break;
      }
      case ShutdownAction::Kind::kStartFlush:
        uv_timer_stop(&probe_timer_);
        uv_timer_stop(&health_start_timer_);
        flush_started_ = Clock::now();
        hooks_->flush(a.deadline, [this](bool complete) {
          flush_ended_ = Clock::now();
          apply(machine_.on_flush_done(complete, Clock::now()));
        });
        break;
      case ShutdownAction::Kind::kWriteReport:
        if (flush_ended_ < flush_started_) flush_ended_ = Clock::now();  // cut off by the deadline
        hooks_->write_final_report(outcome());
        apply(machine_.on_report_written(Clock::now()));
        break;
      case ShutdownAction::Kind::kExit:
        exit_code_ = a.exit_code;
        uv_stop(loop_);
        break;
    }
  }
  phase_.store(static_cast<int>(machine_.phase()));
  rearm_shutdown_timer();
}

void InitLoop::rearm_shutdown_timer() {
  if (!handles_open_) return;
  auto next = machine_.next_deadline();
  if (!next) {
    uv_timer_stop(&shutdown_timer_);
    return;
  }
  int64_t wait = ms_between(Clock::now(), *next);
  // +1: libuv's timer granularity is a millisecond; firing early would just re-arm.
  uv_timer_start(&shutdown_timer_, [](uv_timer_t* h) {
    auto* self = self_of<InitLoop>(reinterpret_cast<uv_handle_t*>(h));
    self->apply(self->machine_.on_timer(Clock::now()));
  }, static_cast<uint64_t>(wait < 0 ? 0 : wait + 1), 0);
}

void InitLoop::start_probe() {
  if (probe_pid_ > 0 || machine_.phase() != ShutdownPhase::kRunning) return;  // one at a time
  SpawnSpec spec;
  spec.argv = {"/bin/sh", "-c", options_.probe_cmd};
  spec.signals = &signals_;
  spec.quiet_stdio = true;
  spec.close_other_fds = true;
  spec.user = child_.user();  // the probe runs as the session does
  const Spawned spawned = spawn_process(spec);
  if (!spawned.ok()) {
    record_probe(false, "probe: " + exec_failure_message(spec.argv.front(), spawned.error));
    return;
  }
  probe_pid_ = spawned.pid;
  probe_started_ = Clock::now();
  probe_timed_out_ = false;
  uv_timer_start(&probe_timeout_timer_, [](uv_timer_t* h) {
    auto* self = self_of<InitLoop>(reinterpret_cast<uv_handle_t*>(h));
    if (self->probe_pid_ <= 0) return;
    self->probe_timed_out_ = true;
    send_signal(-self->probe_pid_, SIGKILL);  // the probe leads its own group: all of it goes
  }, static_cast<uint64_t>(options_.probe_timeout.count()), 0);
}

void InitLoop::finish_probe(int status) {
  uv_timer_stop(&probe_timeout_timer_);
  const double seconds = std::chrono::duration<double>(Clock::now() - probe_started_).count();
  ChildEnd end = decode_wait_status(status);
  // Whatever the probe left in its group goes with it.
  send_signal(-probe_pid_, SIGKILL);
  probe_pid_ = -1;
  const bool ok = !probe_timed_out_ && end.exited && end.code == 0;
  std::string reason;
  if (probe_timed_out_) {
    reason = "probe '" + options_.probe_cmd + "' timed out after " + std::to_string(options_.probe_timeout.count()) + "ms";
  } else if (!end.exited) {
    reason = "probe '" + options_.probe_cmd + "' was killed by " + signal_name(end.signal);
  } else {
    reason = "probe '" + options_.probe_cmd + "' exited with " + std::to_string(end.code);
  }
  m_probe_seconds_.observe(seconds);
  record_probe(ok, reason);
}

void InitLoop::record_probe(bool ok, const std::string& reason) {
  m_probe_runs_.inc();
  if (!ok) m_probe_failures_.inc();
  const HealthState snapshot = board_.snapshot();
  const auto previous = snapshot.components().find("probe");
  const HealthLevel before = previous == snapshot.components().end() ? HealthLevel::kOk : previous->second.level;
  ComponentHealth h = probe_streak_.record(ok, reason);
  // One line per change of level, not one per probe run: a failing probe every few
  // seconds would bury the container's log.
  if (h.level != before) {
    spdlog::log(h.level == HealthLevel::kOk ? spdlog::level::info : spdlog::level::warn, "probe {}: {}",
                health_level_name(h.level), ok ? "passed again" : h.reason);
  }
  board_.set("probe", h.level, h.reason);
}

bool InitLoop::request_sync(std::chrono::milliseconds timeout) {
  auto promise = std::make_shared<std::promise<bool>>();
  std::future<bool> done = promise->get_future();
  {
    std::lock_guard<std::mutex> lock(sync_mu_);
    if (!sync_accepting_) return false;
    sync_pending_.push_back(promise);
    // Under the lock: run() closes the handle only after it stopped accepting.
    uv_async_send(&sync_async_);
  }
  if (done.wait_for(timeout) != std::future_status::ready) return false;
  return done.get();
}

void InitLoop::serve_sync_requests() {
  std::vector<std::shared_ptr<std::promise<bool>>> requests;
  {
    std::lock_guard<std::mutex> lock(sync_mu_);
    requests.swap(sync_pending_);
  }
  for (auto& p : requests) {
    if (machine_.phase() != ShutdownPhase::kRunning) {
      p->set_value(false);  // stopping: the final flush is already on its way
      continue;
    }
    m_sync_barriers_.inc();
    hooks_->flush_barrier([p](bool complete) { p->set_value(complete); });
  }
}

nlohmann::json InitLoop::status_json() const {
  const auto phase = static_cast<ShutdownPhase>(phase_.load());
  return {{"version", CLAUDE_INIT_VERSION},
          {"pid", getpid()},
          {"child_pid", m_child_pid_.value()},
          {"phase", shutdown_phase_name(phase)},
          {"uptime_seconds", std::chrono::duration<double>(Clock::now() - started_).count()},
          {"zombies_reaped", m_reaped_.value()},
          {"signals_forwarded", m_forwarded_.value()},
          {"probe_failures", m_probe_failures_.value()},
          {"run_id", options_.run_id},
          {"trace_id", options_.trace_id}};
}

RunOutcome InitLoop::outcome() const {
  RunOutcome o;
  // The machine's code once the child is gone: 137 for one never reaped after SIGKILL.
  o.exit_code = machine_.child_exited() ? machine_.exit_code() : exit_code_;
  o.child_started = child_pid_ > 0 && exec_error_.empty();
  if (child_end_) {
    o.child_exit_code = child_end_->exited ? child_end_->code : 0;
    o.child_signal = child_end_->exited ? 0 : child_end_->signal;
  } else if (child_pid_ > 0) {
    o.child_signal = SIGKILL;  // never reaped: stuck after SIGKILL
  }
  o.exec_error = exec_error_;
  o.stop_signal = machine_.stop_signal();
  o.killed_after_grace = machine_.killed_after_grace();
  o.flush_complete = machine_.flush_complete();
  o.clean_stop = !o.killed_after_grace && o.flush_complete && exec_error_.empty();
  o.started_at = started_wall_;
  const auto now = Clock::now();
  if (child_pid_ > 0) o.child_runtime = std::chrono::milliseconds(ms_between(child_.started_at(), child_end_ ? child_ended_ : now));
  if (auto stop = machine_.stop_started()) o.stop_duration = std::chrono::milliseconds(ms_between(*stop, now));
  if (machine_.flush_started()) o.flush_duration = std::chrono::milliseconds(ms_between(flush_started_, flush_ended_));
  o.total_runtime = std::chrono::milliseconds(ms_between(started_, now));
  return o;
}

}  // namespace claude
