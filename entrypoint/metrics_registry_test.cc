#include "entrypoint/metrics_registry.h"

#include <thread>

#include <catch2/catch.hpp>

TEST_CASE("metrics render in the Prometheus text format, in registration order") {
  claude::MetricsRegistry r;
  auto& reaped = r.counter("claude_init_zombies_reaped_total", "Zombies reaped.");
  auto& pid = r.gauge("claude_init_child_pid", "Child pid.");
  auto& term = r.counter("claude_init_signals_forwarded_total", "Signals forwarded.", "signal=\"SIGTERM\"");
  auto& hup = r.counter("claude_init_signals_forwarded_total", "Signals forwarded.", "signal=\"SIGHUP\"");
  auto& hist = r.histogram("claude_init_probe_duration_seconds", "Probe time.", {0.1, 1});
  r.computed_gauge("claude_init_uptime_seconds", "Uptime.", [] { return 2.5; });
  reaped.inc(3);
  pid.set(42);
  term.inc();
  hup.inc(2);
  hist.observe(0.05);
  hist.observe(0.5);
  hist.observe(7);
  std::string text = r.render();
  CHECK(text ==
        "# HELP claude_init_zombies_reaped_total Zombies reaped.\n"
        "# TYPE claude_init_zombies_reaped_total counter\n"
        "claude_init_zombies_reaped_total 3\n"
        "# HELP claude_init_child_pid Child pid.\n"
        "# TYPE claude_init_child_pid gauge\n"
        "claude_init_child_pid 42\n"
        "# HELP claude_init_signals_forwarded_total Signals forwarded.\n"
        "# TYPE claude_init_signals_forwarded_total counter\n"
        "claude_init_signals_forwarded_total{signal=\"SIGTERM\"} 1\n"
        "claude_init_signals_forwarded_total{signal=\"SIGHUP\"} 2\n"
        "# HELP claude_init_probe_duration_seconds Probe time.\n"
        "# TYPE claude_init_probe_duration_seconds histogram\n"
        "claude_init_probe_duration_seconds_bucket{le=\"0.1\"} 1\n"
        "claude_init_probe_duration_seconds_bucket{le=\"1\"} 2\n"
        "claude_init_probe_duration_seconds_bucket{le=\"+Inf\"} 3\n"
        "claude_init_probe_duration_seconds_sum 7.55\n"
        "claude_init_probe_duration_seconds_count 3\n"
        "# HELP claude_init_uptime_seconds Uptime.\n"
        "# TYPE claude_init_uptime_seconds gauge\n"
        "claude_init_uptime_seconds 2.5\n");
}

TEST_CASE("counters are safe to bump from one thread while another renders") {
  claude::MetricsRegistry r;
  auto& c = r.counter("c_total", "c");
  std::thread writer([&] {
    for (int i = 0; i < 100000; ++i) c.inc();
  });
  for (int i = 0; i < 100; ++i) (void)r.render();
  writer.join();
  CHECK(r.render().find("c_total 100000\n") != std::string::npos);
}
