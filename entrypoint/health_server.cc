#include "entrypoint/health_server.h"

#include <netdb.h>

#include <cerrno>
#include <istream>
#include <ostream>

// httplib.h includes <iostream> but uses none of its streams. Its static std::ios_base::Init
// would build cin/cout/cerr and the classic locale before main, on the way to the first
// child (about 25 us, a tenth of the exec overhead); the guard keeps <iostream> out.
#define _GLIBCXX_IOSTREAM 1
#include <httplib.h>

namespace claude {

HealthServer::HealthServer(HealthBoard& board, MetricsRegistry& metrics, HealthServerHooks hooks)
    : board_(board), metrics_(metrics), hooks_(std::move(hooks)), server_(std::make_unique<httplib::Server>()) {
  httplib::Server& s = *server_;
  // Two workers: a POST /sync waiting for the loop must not hold up a health check.
  s.new_task_queue = [] { return new httplib::ThreadPool(2); };
  s.set_keep_alive_max_count(1);
  s.set_read_timeout(2, 0);
  s.set_write_timeout(2, 0);

  s.Get("/healthz", [this](const httplib::Request&, httplib::Response& res) {
    HealthVerdict v = board_.snapshot().overall();
    res.status = v.level == HealthLevel::kUnhealthy ? 503 : 200;
    std::string line = v.level == HealthLevel::kOk ? "ok" : std::string(health_level_name(v.level)) + ": " + v.reason;
    res.set_content(line + "\n", "text/plain");
  });
  s.Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
    HealthState st = board_.snapshot();
    res.status = st.ready() ? 200 : 503;
    res.set_content(st.ready() ? std::string("ready\n") : "not ready: " + st.not_ready_reason() + "\n", "text/plain");
  });
  s.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics_.render(), "text/plain; version=0.0.4");
  });
  s.Get("/status", [this](const httplib::Request&, httplib::Response& res) {
    nlohmann::json j = board_.snapshot().to_json();
    if (hooks_.status) j.update(hooks_.status());
    res.set_content(j.dump() + "\n", "application/json");
  });
  s.Post("/sync", [this](const httplib::Request&, httplib::Response& res) {
    bool complete = hooks_.sync_barrier && hooks_.sync_barrier(std::chrono::seconds(30));
    res.status = complete ? 200 : 503;
    nlohmann::json j{{"complete", complete}};
    if (!complete) j["reason"] = "the flush did not complete (see the init's log and /status)";
    res.set_content(j.dump() + "\n", "application/json");
  });
}

HealthServer::~HealthServer() { stop(); }

Status HealthServer::start(const std::string& addr, int port) {
  // Numeric only: a static binary must not go through NSS (no getaddrinfo lookups).
  errno = 0;
  if (!server_->bind_to_port(addr.c_str(), port, AI_NUMERICHOST | AI_NUMERICSERV)) {
    return Error{"bind health endpoint", addr + ":" + std::to_string(port), errno, "",
                 "choose another --health-port, or 0 to turn the endpoint off"};
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  return Ok{};
}

void HealthServer::stop() {
  if (!thread_.joinable()) return;
  // Server::stop() does nothing until the thread has entered listen(); wait for that
  // (briefly: it is the thread's first step) so that the join below cannot hang.
  for (int i = 0; i < 100000 && !server_->is_running(); ++i) std::this_thread::yield();
  server_->stop();
  thread_.join();
}

}  // namespace claude
