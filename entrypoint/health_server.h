// The loopback HTTP endpoint, on its own thread (cpp-httplib), which inherits the
// all-blocked signal mask from main so that every signal still goes to the loop's
// signalfd. It only reads: the health board, the metrics, and a status callback.
//   GET /healthz  200 "ok" / "degraded: <reason>", 503 "unhealthy: <reason>"
//   GET /readyz   200 "ready", 503 "not ready: <reason>"
//   GET /metrics  Prometheus text
//   GET /status   JSON: health, readiness, components and the loop's status
//   POST /sync    runs the sync engine's flush barrier on the loop; 200 when complete
// Anything in the container can connect, so every request is bounded before httplib sees
// it (EndpointLimits): its head, its body, its time, and the connections held at once.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "entrypoint/health_board.h"
#include "entrypoint/metrics_registry.h"

namespace claude {

class BoundedHttpServer;

// What one request may cost the init, whoever sends it. Memory is bounded by
// (workers + queued) connections of at most head_bytes each; time by request_time per
// connection from its accept, so a slow sender (slowloris) holds a worker that long at most.
struct EndpointLimits {
  // Request line and headers together; past it the answer is 431 at once.
  std::size_t head_bytes = 8192;
  // A request body (no handler takes one: POST /sync needs none); a larger declared
  // body, or any chunked one, is answered 413 at once, unread.
  std::size_t body_bytes = 0;
  // From the accept to the end of the request head, queueing included; past it, 408.
  std::chrono::milliseconds request_time{2000};
  // Each write of the answer.
  std::chrono::milliseconds write_time{2000};
  // Threads serving connections, one at a time each.
  std::size_t workers = 4;
  // Accepted connections waiting for a worker; past it a connection gets 503 at once.
  std::size_t queued = 8;
  // POST /sync requests waiting for the loop at once; past it, 503: the other workers
  // stay free for health checks.
  std::size_t barriers = 2;
};

struct HealthServerHooks {
  // Extra fields for /status (child pid, phase, uptime, ids); called on the HTTP thread.
  std::function<nlohmann::json()> status;
  // Asks the loop for a flush barrier and waits up to `timeout`; true when complete.
  std::function<bool(std::chrono::milliseconds timeout)> sync_barrier;
};

class HealthServer {
 public:
  HealthServer(HealthBoard& board, MetricsRegistry& metrics, HealthServerHooks hooks, EndpointLimits limits = {});
  ~HealthServer();
  HealthServer(const HealthServer&) = delete;
  HealthServer& operator=(const HealthServer&) = delete;

  // Binds `addr:port` (numeric) now, so that a taken port is reported at once, then
  // serves on a new thread.
  Status start(const std::string& addr, int port);
  // Stops serving and joins the thread. Idempotent.
  void stop();

  // Serves one connection whose bytes are `request` exactly as a socket's (the same
  // limits, httplib's parser, these handlers) and returns the bytes answered. For the
  // fuzzer and the unit tests; needs no start().
  std::string serve_bytes(std::string_view request);

 private:
  HealthBoard& board_;
  MetricsRegistry& metrics_;
  HealthServerHooks hooks_;
  std::unique_ptr<BoundedHttpServer> server_;
  std::thread thread_;
};

}  // namespace claude
