#include "entrypoint/health_server.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <istream>
#include <mutex>
#include <ostream>
#include <vector>

// httplib.h includes <iostream> but uses none of its streams. Its static std::ios_base::Init
// would build cin/cout/cerr and the classic locale before main, on the way to the first
// child (about 25 us, a tenth of the exec overhead); the guard keeps <iostream> out.
#define _GLIBCXX_IOSTREAM 1
#include <httplib.h>

namespace claude {
namespace {

using Clock = std::chrono::steady_clock;

// When the connection a worker serves was accepted (its request_time counts from there),
// and whether the listening thread is answering one itself because the queue is full.
thread_local Clock::time_point t_accepted_at{};
thread_local bool t_shed = false;

std::string canned_answer(int status, const std::string& body) {
  return "HTTP/1.1 " + std::to_string(status) + " " + httplib::detail::status_message(status) +
         "\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nConnection: close\r\n\r\n" + body;
}

// A connection's bytes as httplib reads and writes them; timed_out() tells a read that
// failed because the request's time was up.
class Connection : public httplib::Stream {
 public:
  virtual bool timed_out() const { return false; }
};

// A socket: every read waits until the request's deadline at most, every write up to the
// write time. poll, not select: descriptors above 1023 are fine.
class SocketConnection final : public Connection {
 public:
  SocketConnection(int fd, Clock::time_point read_deadline, std::chrono::milliseconds write_time)
      : fd_(fd), read_deadline_(read_deadline), write_time_(write_time) {}

  bool is_readable() const override { return wait(POLLIN, left(read_deadline_)); }
  bool is_writable() const override { return wait(POLLOUT, static_cast<int>(write_time_.count())); }
  ssize_t read(char* ptr, std::size_t size) override {
    if (!wait(POLLIN, left(read_deadline_))) {
      timed_out_ = Clock::now() >= read_deadline_;
      return -1;
    }
    ssize_t n;
    do {
      n = ::recv(fd_, ptr, size, MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    return n;
  }
  ssize_t write(const char* ptr, std::size_t size) override {
    if (!is_writable()) return -1;
    ssize_t n;
    do {
      n = ::send(fd_, ptr, size, MSG_NOSIGNAL | MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    return n;
  }
  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    httplib::detail::get_remote_ip_and_port(fd_, ip, port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    httplib::detail::get_local_ip_and_port(fd_, ip, port);
  }
  socket_t socket() const override { return fd_; }
  bool timed_out() const override { return timed_out_; }

 private:
  static int left(Clock::time_point deadline) {
    auto ms = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
    return ms < 0 ? 0 : static_cast<int>(ms);
  }
  bool wait(short events, int timeout_ms) const {
    pollfd p{fd_, events, 0};
    for (;;) {
      int n = ::poll(&p, 1, timeout_ms);
      if (n >= 0) return n > 0;
      if (errno != EINTR) return false;
    }
  }

  int fd_;
  Clock::time_point read_deadline_;
  std::chrono::milliseconds write_time_;
  bool timed_out_ = false;
};

// Bytes in memory (serve_bytes): reads them, then the end of the connection.
class MemoryConnection final : public Connection {
 public:
  explicit MemoryConnection(std::string_view in) : in_(in) {}
  bool is_readable() const override { return true; }
  bool is_writable() const override { return true; }
  ssize_t read(char* ptr, std::size_t size) override {
    std::size_t n = std::min(size, in_.size() - pos_);
    std::memcpy(ptr, in_.data() + pos_, n);
    pos_ += n;
    return static_cast<ssize_t>(n);
  }
  ssize_t write(const char* ptr, std::size_t size) override {
    out_.append(ptr, size);
    return static_cast<ssize_t>(size);
  }
  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    ip = "127.0.0.1";
    port = 0;
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    ip = "127.0.0.1";
    port = 0;
  }
  socket_t socket() const override { return -1; }
  std::string& written() { return out_; }

 private:
  std::string_view in_;
  std::size_t pos_ = 0;
  std::string out_;
};

// The request as httplib reads it: the head already received (with any body bytes that
// came with it), then at most `body_left` more bytes from the connection, then its end.
// However the head declares its body (a length, chunks, until the end), httplib can
// read no more than this.
class BoundedRequest final : public httplib::Stream {
 public:
  BoundedRequest(Connection& conn, std::string received, std::size_t body_left)
      : conn_(conn), received_(std::move(received)), body_left_(body_left) {}
  bool is_readable() const override { return pos_ < received_.size() || (body_left_ > 0 && conn_.is_readable()); }
  bool is_writable() const override { return conn_.is_writable(); }
  ssize_t read(char* ptr, std::size_t size) override {
    if (pos_ < received_.size()) {
      std::size_t n = std::min(size, received_.size() - pos_);
      std::memcpy(ptr, received_.data() + pos_, n);
      pos_ += n;
      return static_cast<ssize_t>(n);
    }
    if (body_left_ == 0) return 0;
    ssize_t n = conn_.read(ptr, std::min(size, body_left_));
    if (n > 0) body_left_ -= static_cast<std::size_t>(n);
    return n;
  }
  ssize_t write(const char* ptr, std::size_t size) override { return conn_.write(ptr, size); }
  void get_remote_ip_and_port(std::string& ip, int& port) const override { conn_.get_remote_ip_and_port(ip, port); }
  void get_local_ip_and_port(std::string& ip, int& port) const override { conn_.get_local_ip_and_port(ip, port); }
  socket_t socket() const override { return conn_.socket(); }

 private:
  Connection& conn_;
  std::string received_;
  std::size_t pos_ = 0;
  std::size_t body_left_;
};

// httplib's ThreadPool queues every accepted connection however many wait (each an open
// socket and a job). This one queues up to `queued`; past that the listening thread runs
// the job itself in shed mode, which answers 503 without reading and closes.
class BoundedTaskQueue final : public httplib::TaskQueue {
 public:
  BoundedTaskQueue(std::size_t workers, std::size_t queued) : max_queued_(queued) {
    for (std::size_t i = 0; i < workers; ++i) threads_.emplace_back([this] { work(); });
  }
  void enqueue(std::function<void()> fn) override {
    {
      std::lock_guard lock(mu_);
      if (jobs_.size() < max_queued_) {
        jobs_.push_back(Job{Clock::now(), std::move(fn)});
        cv_.notify_one();
        return;
      }
    }
    t_shed = true;
    fn();
    t_shed = false;
  }
  void shutdown() override {
    {
      std::lock_guard lock(mu_);
      quit_ = true;
    }
    cv_.notify_all();
    for (std::thread& t : threads_) t.join();
  }

 private:
  struct Job {
    Clock::time_point accepted_at;
    std::function<void()> fn;
  };
  void work() {
    for (;;) {
      Job job;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return quit_ || !jobs_.empty(); });
        if (jobs_.empty()) return;
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      t_accepted_at = job.accepted_at;
      job.fn();
    }
  }

  std::size_t max_queued_;
  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> jobs_;
  bool quit_ = false;
};

}  // namespace

// httplib's server with every connection served through serve(): one request, bounded.
class BoundedHttpServer final : public httplib::Server {
 public:
  explicit BoundedHttpServer(EndpointLimits limits) : limits_(limits) {
    new_task_queue = [l = limits_] { return new BoundedTaskQueue(l.workers, l.queued); };
    set_keep_alive_max_count(1);
    set_read_timeout(std::chrono::duration_cast<std::chrono::microseconds>(limits_.request_time));
    set_write_timeout(std::chrono::duration_cast<std::chrono::microseconds>(limits_.write_time));
    set_payload_max_length(limits_.body_bytes);
    // A body the handlers would never read is refused before a byte of it is taken; with
    // "Expect: 100-continue" the client is told before it sends any.
    set_expect_100_continue_handler([this](const httplib::Request& req, httplib::Response& res) {
      return refuse_body(req, res) ? res.status : 100;
    });
    set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
      return refuse_body(req, res) ? HandlerResponse::Handled : HandlerResponse::Unhandled;
    });
  }

  const EndpointLimits& limits() const { return limits_; }

  // Reads one request head within the limits and hands it to httplib, then answers.
  void serve(Connection& conn) {
    std::string head;
    char buf[2048];
    for (;;) {
      const std::size_t room = limits_.head_bytes - head.size();
      if (room == 0) {
        conn.write(canned_answer(431, "request line and headers longer than " +
                                          std::to_string(limits_.head_bytes) + " bytes\n"));
        return;
      }
      ssize_t n = conn.read(buf, std::min(sizeof buf, room));
      if (n <= 0) {
        if (conn.timed_out() && !head.empty()) {
          conn.write(canned_answer(408, "request not received within " +
                                            std::to_string(limits_.request_time.count()) + " ms\n"));
          return;
        }
        if (n < 0 || head.empty()) return;
        break;  // the sender's end: httplib answers what came (an incomplete head is a 400)
      }
      const std::size_t from = head.size() >= 3 ? head.size() - 3 : 0;
      head.append(buf, static_cast<std::size_t>(n));
      auto end = head.find("\r\n\r\n", from);
      if (end != std::string::npos) break;
    }
    auto end = head.find("\r\n\r\n");
    const std::size_t with_head = end == std::string::npos ? 0 : head.size() - (end + 4);
    const std::size_t body_left = limits_.body_bytes > with_head ? limits_.body_bytes - with_head : 0;
    BoundedRequest req(conn, std::move(head), body_left);
    bool closed = false;
    process_request(req, /*close_connection=*/true, closed, nullptr);
  }

  // A POST /sync slot: false when `barriers` are waiting already.
  bool enter_barrier() {
    if (barriers_.fetch_add(1) < limits_.barriers) return true;
    barriers_.fetch_sub(1);
    return false;
  }
  void leave_barrier() { barriers_.fetch_sub(1); }

 private:
  // Whether req declares a body larger than the limit (or one of unknown size); if so
  // res says why.
  bool refuse_body(const httplib::Request& req, httplib::Response& res) const {
    std::string why;
    if (req.has_header("Transfer-Encoding")) {
      why = "request bodies of unknown length are not accepted";
    } else if (req.has_header("Content-Length")) {
      const std::string v = req.get_header_value("Content-Length");
      const bool digits = !v.empty() && v.size() <= 19 && v.find_first_not_of("0123456789") == std::string::npos;
      if (!digits || std::stoull(v) > limits_.body_bytes || req.get_header_value_count("Content-Length") != 1) {
        why = "request body larger than " + std::to_string(limits_.body_bytes) + " bytes (Content-Length: " +
              v.substr(0, 32) + ")";
      }
    }
    if (why.empty()) return false;
    res.status = 413;
    res.set_content(why + "\n", "text/plain");
    return true;
  }

  bool process_and_close_socket(socket_t sock) override {
    if (t_shed) {
      // The listening thread, queue full: answer without waiting for anything.
      const std::string busy = canned_answer(503, "busy: too many connections to the health endpoint\n");
      (void)::send(sock, busy.data(), busy.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      ::close(sock);
      return true;
    }
    const Clock::time_point accepted = t_accepted_at == Clock::time_point{} ? Clock::now() : t_accepted_at;
    SocketConnection conn(sock, accepted + limits_.request_time, limits_.write_time);
    serve(conn);
    // Close gently: with a body still arriving, closing at once would reset the connection
    // and could destroy the answer before the client reads it. Stop sending, discard what
    // comes for a moment (bounded in time and bytes), then close.
    ::shutdown(sock, SHUT_WR);
    const auto linger_until = Clock::now() + std::chrono::milliseconds(200);
    SocketConnection drain(sock, linger_until, limits_.write_time);
    char sink[4096];
    for (std::size_t drained = 0; drained < (4u << 20);) {
      ssize_t n = drain.read(sink, sizeof sink);
      if (n <= 0) break;
      drained += static_cast<std::size_t>(n);
    }
    ::close(sock);
    return true;
  }

  EndpointLimits limits_;
  std::atomic<std::size_t> barriers_{0};
};

HealthServer::HealthServer(HealthBoard& board, MetricsRegistry& metrics, HealthServerHooks hooks,
                           EndpointLimits limits)
    : board_(board), metrics_(metrics), hooks_(std::move(hooks)), server_(std::make_unique<BoundedHttpServer>(limits)) {
  httplib::Server& s = *server_;
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
    if (!server_->enter_barrier()) {
      res.status = 503;
      res.set_content(nlohmann::json{{"complete", false},
                                     {"reason", "busy: " + std::to_string(server_->limits().barriers) +
                                                    " barriers are waiting already; try again"}}
                              .dump() +
                          "\n",
                      "application/json");
      return;
    }
    struct Leave {
      BoundedHttpServer& s;
      ~Leave() { s.leave_barrier(); }
    } leave{*server_};
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

std::string HealthServer::serve_bytes(std::string_view request) {
  MemoryConnection conn(request);
  server_->serve(conn);
  return std::move(conn.written());
}

}  // namespace claude
