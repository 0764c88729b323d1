#include "core/shutdown_machine.h"

#include <algorithm>
#include <csignal>

namespace claude {

const char* shutdown_phase_name(ShutdownPhase phase) {
  switch (phase) {
    case ShutdownPhase::kRunning: return "running";
    case ShutdownPhase::kForwarding: return "forwarding";
    case ShutdownPhase::kKilling: return "killing";
    case ShutdownPhase::kFlushing: return "flushing";
    case ShutdownPhase::kReporting: return "reporting";
    case ShutdownPhase::kDone: return "done";
  }
  return "unknown";
}

namespace {
bool is_stop_signal(int signal) { return signal == SIGTERM || signal == SIGINT || signal == SIGHUP; }
// The sync engine must call done() by the deadline; this slack only guards against one
// that never does, so that the init still exits.
constexpr std::chrono::milliseconds kFlushSlack{250};
}  // namespace

ShutdownAction ShutdownMachine::kill_action(int signal) const {
  // The child leads its own process group, so the group signal reaches it too.
  return ShutdownAction{ShutdownAction::Kind::kSignalGroup, signal};
}

ShutdownMachine::Actions ShutdownMachine::on_signal(int signal, TimePoint now) {
  Actions out;
  if (phase_ == ShutdownPhase::kFlushing || phase_ == ShutdownPhase::kReporting || phase_ == ShutdownPhase::kDone) {
    return out;  // nothing left to forward to
  }
  if (child_exited_) return out;  // killing leftovers: they get TERM/KILL on our schedule
  int target = signal;
  if (auto it = config_.rewrites.find(signal); it != config_.rewrites.end()) target = it->second;
  if (target != 0) {
    out.push_back(ShutdownAction{config_.signal_group ? ShutdownAction::Kind::kSignalGroup
                                                      : ShutdownAction::Kind::kSignalChild,
                                 target});
  }
  if (is_stop_signal(signal) && phase_ == ShutdownPhase::kRunning) {
    phase_ = ShutdownPhase::kForwarding;
    stop_signal_ = signal;
    stop_at_ = now;
    timer_at_ = now + config_.grace;
  }
  return out;
}

ShutdownMachine::Actions ShutdownMachine::on_child_exit(int exit_code, bool group_empty, TimePoint now) {
  Actions out;
  if (child_exited_) return out;
  child_exited_ = true;
  exit_code_ = exit_code;
  group_empty_ = group_empty;
  if (phase_ == ShutdownPhase::kRunning || phase_ == ShutdownPhase::kForwarding) {
    if (group_empty) return enter_flushing(now);
    // The main child is gone but its group is not: TERM now, KILL after the leftover
    // grace (never later than the stop's own grace when a stop is under way).
    phase_ = ShutdownPhase::kKilling;
    out.push_back(kill_action(SIGTERM));
    timer_at_ = now + config_.leftover_grace;
    if (stop_at_) timer_at_ = std::max(now, std::min(timer_at_, *stop_at_ + config_.grace));
    return out;
  }
  if (phase_ == ShutdownPhase::kKilling && group_empty) return enter_flushing(now);
  return out;
}

ShutdownMachine::Actions ShutdownMachine::on_group_empty(TimePoint now) {
  group_empty_ = true;
  if (phase_ == ShutdownPhase::kKilling && child_exited_) return enter_flushing(now);
  return {};
}

ShutdownMachine::Actions ShutdownMachine::on_timer(TimePoint now) {
  Actions out;
  switch (phase_) {
    case ShutdownPhase::kForwarding:
      if (now < timer_at_) break;
      phase_ = ShutdownPhase::kKilling;
      killed_after_grace_ = true;
      kill_sent_ = true;
      out.push_back(kill_action(SIGKILL));
      timer_at_ = now + config_.kill_wait;
      break;
    case ShutdownPhase::kKilling:
      if (now < timer_at_) break;
      if (!kill_sent_) {
        kill_sent_ = true;
        out.push_back(kill_action(SIGKILL));
        timer_at_ = now + config_.kill_wait;
        break;
      }
      // SIGKILL was sent kill_wait ago and something is still there (a process stuck in
      // uninterruptible sleep): do not let it hold the flush and the exit hostage.
      if (!child_exited_) {
        child_exited_ = true;
        exit_code_ = 128 + SIGKILL;
      }
      return enter_flushing(now);
    case ShutdownPhase::kFlushing:
      if (now < flush_deadline_ + kFlushSlack) break;
      return on_flush_done(false, now);
    default:
      break;
  }
  return out;
}

ShutdownMachine::Actions ShutdownMachine::enter_flushing(TimePoint now) {
  phase_ = ShutdownPhase::kFlushing;
  flush_at_ = now;
  // Anchored at the stop signal when there was one, so that the whole stop fits the
  // budget Docker gives; at least min_flush so a flush can always publish something.
  TimePoint deadline = stop_at_ ? *stop_at_ + config_.grace + config_.flush_timeout : now + config_.flush_timeout;
  flush_deadline_ = std::max(deadline, now + config_.min_flush);
  return {ShutdownAction{ShutdownAction::Kind::kStartFlush, 0, flush_deadline_}};
}

ShutdownMachine::Actions ShutdownMachine::on_flush_done(bool complete, TimePoint) {
  if (phase_ != ShutdownPhase::kFlushing) return {};
  flush_complete_ = complete;
  phase_ = ShutdownPhase::kReporting;
  return {ShutdownAction{ShutdownAction::Kind::kWriteReport}};
}

ShutdownMachine::Actions ShutdownMachine::on_report_written(TimePoint) {
  if (phase_ != ShutdownPhase::kReporting) return {};
  phase_ = ShutdownPhase::kDone;
  return {ShutdownAction{ShutdownAction::Kind::kExit, 0, {}, exit_code_}};
}

std::optional<ShutdownMachine::TimePoint> ShutdownMachine::next_deadline() const {
  switch (phase_) {
    case ShutdownPhase::kForwarding:
    case ShutdownPhase::kKilling:
      return timer_at_;
    case ShutdownPhase::kFlushing:
      return flush_deadline_ + kFlushSlack;
    default:
      return std::nullopt;
  }
}

}  // namespace claude
