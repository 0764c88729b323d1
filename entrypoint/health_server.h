// The loopback HTTP endpoint, on its own thread (cpp-httplib), which inherits the
// all-blocked signal mask from main so that every signal still goes to the loop's
// signalfd. It only reads: the health board, the metrics, and a status callback.
//   GET /healthz  200 "ok" / "degraded: <reason>", 503 "unhealthy: <reason>"
//   GET /readyz   200 "ready", 503 "not ready: <reason>"
//   GET /metrics  Prometheus text
//   GET /status   JSON: health, readiness, components and the loop's status
//   POST /sync    runs the sync engine's flush barrier on the loop; 200 when complete
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "entrypoint/health_board.h"
#include "entrypoint/metrics_registry.h"

namespace httplib {
class Server;
}

namespace claude {

struct HealthServerHooks {
  // Extra fields for /status (child pid, phase, uptime, ids); called on the HTTP thread.
  std::function<nlohmann::json()> status;
  // Asks the loop for a flush barrier and waits up to `timeout`; true when complete.
  std::function<bool(std::chrono::milliseconds timeout)> sync_barrier;
};

class HealthServer {
 public:
  HealthServer(HealthBoard& board, MetricsRegistry& metrics, HealthServerHooks hooks);
  ~HealthServer();
  HealthServer(const HealthServer&) = delete;
  HealthServer& operator=(const HealthServer&) = delete;

  // Binds `addr:port` (numeric) now, so that a taken port is reported at once, then
  // serves on a new thread.
  Status start(const std::string& addr, int port);
  // Stops serving and joins the thread. Idempotent.
  void stop();

 private:
  HealthBoard& board_;
  MetricsRegistry& metrics_;
  HealthServerHooks hooks_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
};

}  // namespace claude
