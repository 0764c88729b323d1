// libFuzzer target: arbitrary bytes as one connection to the health endpoint, through
// everything a socket's bytes go through — the request-head and body bounds, httplib's
// request parser and routing, and the init's own handlers (a barrier that completes at
// once, a status hook). Whatever arrives, the endpoint answers at most one HTTP/1.1
// response (after a "100 Continue" at most) and never crashes.
#include <cstdint>
#include <string>
#include <string_view>

#include "entrypoint/health_server.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static claude::HealthBoard board;
  static claude::MetricsRegistry metrics;
  static bool registered = [] {
    metrics.counter("claude_init_zombies_reaped_total", "Zombies reaped.").inc();
    metrics.histogram("claude_init_sync_lag_seconds", "Lag.", {0.1, 1}).observe(0.5);
    board.set("sync", claude::HealthLevel::kDegraded, "fuzzing");
    return true;
  }();
  (void)registered;
  static claude::HealthServer server(
      board, metrics,
      claude::HealthServerHooks{[] { return nlohmann::json{{"phase", "running"}}; },
                                [](std::chrono::milliseconds) { return true; }});
  std::string out = server.serve_bytes(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!out.empty() && out.rfind("HTTP/1.1 ", 0) != 0) __builtin_trap();
  return 0;
}
