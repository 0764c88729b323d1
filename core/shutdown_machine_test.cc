#include "core/shutdown_machine.h"

#include <csignal>

#include <catch2/catch.hpp>

using claude::ShutdownAction;
using claude::ShutdownConfig;
using claude::ShutdownMachine;
using claude::ShutdownPhase;
using Kind = ShutdownAction::Kind;
using namespace std::chrono_literals;

namespace {
const ShutdownMachine::TimePoint t0{};
ShutdownAction child(int sig) { return {Kind::kSignalChild, sig}; }
ShutdownAction group(int sig) { return {Kind::kSignalGroup, sig}; }
ShutdownAction flush(ShutdownMachine::TimePoint deadline) { return {Kind::kStartFlush, 0, deadline}; }
ShutdownAction report() { return {Kind::kWriteReport}; }
ShutdownAction exit_with(int code) { return {Kind::kExit, 0, {}, code}; }
using Actions = ShutdownMachine::Actions;
}  // namespace

TEST_CASE("non-stop signals are forwarded to the child and change nothing") {
  ShutdownMachine m(ShutdownConfig{});
  for (int sig : {SIGUSR1, SIGUSR2, SIGWINCH, SIGSEGV, SIGILL, SIGABRT, SIGQUIT, SIGCONT}) {
    CHECK(m.on_signal(sig, t0) == Actions{child(sig)});
  }
  CHECK(m.phase() == ShutdownPhase::kRunning);
  CHECK_FALSE(m.next_deadline().has_value());
}

TEST_CASE("-g forwards to the process group") {
  ShutdownConfig c;
  c.signal_group = true;
  ShutdownMachine m(c);
  CHECK(m.on_signal(SIGUSR1, t0) == Actions{group(SIGUSR1)});
}

TEST_CASE("-r rewrites a signal before forwarding; a rewrite to 0 drops it") {
  ShutdownConfig c;
  c.rewrites = {{SIGTERM, SIGINT}, {SIGUSR1, 0}};
  ShutdownMachine m(c);
  CHECK(m.on_signal(SIGUSR1, t0).empty());
  // The stop is recognized by the signal received, not the one sent.
  CHECK(m.on_signal(SIGTERM, t0) == Actions{child(SIGINT)});
  CHECK(m.phase() == ShutdownPhase::kForwarding);
  CHECK(m.stop_signal() == SIGTERM);
}

TEST_CASE("a child that exits within the grace is flushed, reported, and its code returned") {
  ShutdownMachine m(ShutdownConfig{});
  CHECK(m.on_signal(SIGTERM, t0) == Actions{child(SIGTERM)});
  CHECK(m.next_deadline() == t0 + 8s);
  CHECK(m.on_timer(t0 + 7s).empty());  // early timer: nothing
  // Flush deadline is anchored at the stop: 8 s grace + 1.5 s flush = 9.5 s, inside Docker's 10 s.
  CHECK(m.on_child_exit(143, true, t0 + 1s) == Actions{flush(t0 + 9500ms)});
  CHECK(m.phase() == ShutdownPhase::kFlushing);
  CHECK(m.on_signal(SIGTERM, t0 + 2s).empty());  // nothing left to forward to
  CHECK(m.on_flush_done(true, t0 + 2s) == Actions{report()});
  CHECK(m.on_report_written(t0 + 2s) == Actions{exit_with(143)});
  CHECK(m.phase() == ShutdownPhase::kDone);
  CHECK_FALSE(m.killed_after_grace());
  CHECK(m.flush_complete());
}

TEST_CASE("a child that ignores SIGTERM is SIGKILLed by group after the grace") {
  ShutdownConfig c;
  c.grace = 2s;
  ShutdownMachine m(c);
  m.on_signal(SIGTERM, t0);
  CHECK(m.on_signal(SIGTERM, t0 + 1s) == Actions{child(SIGTERM)});  // repeats still forwarded
  CHECK(m.next_deadline() == t0 + 2s);
  CHECK(m.on_timer(t0 + 2s) == Actions{group(SIGKILL)});
  CHECK(m.phase() == ShutdownPhase::kKilling);
  CHECK(m.killed_after_grace());
  CHECK(m.on_child_exit(137, true, t0 + 2010ms) == Actions{flush(t0 + 3500ms)});
  CHECK(m.on_flush_done(false, t0 + 3s) == Actions{report()});
  CHECK(m.on_report_written(t0 + 3s) == Actions{exit_with(137)});
}

TEST_CASE("leftovers in the child's group get SIGTERM, then SIGKILL after the leftover grace") {
  ShutdownConfig c;
  c.leftover_grace = 2s;
  ShutdownMachine m(c);
  CHECK(m.on_child_exit(0, false, t0) == Actions{group(SIGTERM)});
  CHECK(m.phase() == ShutdownPhase::kKilling);
  CHECK(m.next_deadline() == t0 + 2s);
  CHECK(m.on_signal(SIGUSR1, t0 + 1s).empty());  // the main child is gone
  CHECK(m.on_timer(t0 + 2s) == Actions{group(SIGKILL)});
  CHECK_FALSE(m.killed_after_grace());  // the main child ended by itself
  CHECK(m.on_group_empty(t0 + 2100ms) == Actions{flush(t0 + 3600ms)});
}

TEST_CASE("leftovers that leave after SIGTERM go straight to flushing") {
  ShutdownMachine m(ShutdownConfig{});
  m.on_child_exit(5, false, t0);
  CHECK(m.on_group_empty(t0 + 10ms) == Actions{flush(t0 + 1510ms)});
  m.on_flush_done(true, t0 + 20ms);
  CHECK(m.on_report_written(t0 + 20ms) == Actions{exit_with(5)});
}

TEST_CASE("leftovers during a stop are killed no later than the stop's grace") {
  ShutdownConfig c;
  c.grace = 3s;
  c.leftover_grace = 2s;
  ShutdownMachine m(c);
  m.on_signal(SIGINT, t0);
  CHECK(m.on_child_exit(130, false, t0 + 2500ms) == Actions{group(SIGTERM)});
  CHECK(m.next_deadline() == t0 + 3s);
}

TEST_CASE("a process stuck after SIGKILL does not hold the exit hostage") {
  ShutdownConfig c;
  c.grace = 1s;
  c.kill_wait = 500ms;
  ShutdownMachine m(c);
  m.on_signal(SIGTERM, t0);
  m.on_timer(t0 + 1s);
  CHECK(m.next_deadline() == t0 + 1500ms);
  CHECK_FALSE(m.child_exited());
  CHECK(m.on_timer(t0 + 1500ms) == Actions{flush(t0 + 2500ms)});
  // The report, written before the exit action, can say the code the init exits with.
  CHECK(m.child_exited());
  CHECK(m.exit_code() == 137);
  m.on_flush_done(true, t0 + 1600ms);
  CHECK(m.on_report_written(t0 + 1600ms) == Actions{exit_with(137)});
}

TEST_CASE("a flush that never answers is cut off shortly after its deadline") {
  ShutdownMachine m(ShutdownConfig{});
  CHECK(m.on_child_exit(0, true, t0) == Actions{flush(t0 + 1500ms)});
  CHECK(m.next_deadline() == t0 + 1750ms);
  CHECK(m.on_timer(t0 + 1600ms).empty());
  CHECK(m.on_timer(t0 + 1750ms) == Actions{report()});
  CHECK_FALSE(m.flush_complete());
  CHECK(m.on_flush_done(true, t0 + 2s).empty());  // too late: ignored
  CHECK(m.on_report_written(t0 + 2s) == Actions{exit_with(0)});
}

TEST_CASE("a flush always gets the minimum time even when the stop budget is spent") {
  ShutdownConfig c;
  c.grace = 1s;
  c.flush_timeout = 200ms;
  c.kill_wait = 500ms;
  ShutdownMachine m(c);
  m.on_signal(SIGTERM, t0);
  m.on_timer(t0 + 1s);
  CHECK(m.on_child_exit(137, true, t0 + 1400ms) == Actions{flush(t0 + 1500ms)});
  ShutdownMachine late(c);
  late.on_signal(SIGTERM, t0);
  late.on_timer(t0 + 1s);
  CHECK(late.on_timer(t0 + 1500ms) == Actions{flush(t0 + 1600ms)});
}

TEST_CASE("events out of order are harmless") {
  ShutdownMachine m(ShutdownConfig{});
  CHECK(m.on_flush_done(true, t0).empty());
  CHECK(m.on_report_written(t0).empty());
  CHECK(m.on_group_empty(t0).empty());
  CHECK(m.on_timer(t0 + 100s).empty());
  CHECK(m.phase() == ShutdownPhase::kRunning);
  m.on_child_exit(1, true, t0);
  CHECK(m.on_child_exit(2, true, t0).empty());
  CHECK(std::string(claude::shutdown_phase_name(m.phase())) == "flushing");
}
