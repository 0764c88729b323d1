#include "entrypoint/health_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "platform/unique_fd.h"

namespace claude {
namespace {

using Clock = std::chrono::steady_clock;

int remaining_ms(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

// Waits for `events` on fd until the deadline; false on timeout.
bool wait_for(int fd, short events, Clock::time_point deadline) {
  pollfd p{fd, events, 0};
  for (;;) {
    int n = ::poll(&p, 1, remaining_ms(deadline));
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return false;
  }
}

}  // namespace

Result<HttpReply> http_request(const std::string& addr_in, int port, std::string_view method, std::string_view path,
                               std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  std::string addr = addr_in == "0.0.0.0" ? "127.0.0.1" : addr_in == "::" ? "::1" : addr_in;
  const std::string where = addr + ":" + std::to_string(port);
  sockaddr_storage ss{};
  socklen_t len = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
  if (inet_pton(AF_INET, addr.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    len = sizeof *v4;
  } else if (inet_pton(AF_INET6, addr.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    len = sizeof *v6;
  } else {
    return Error{"connect to the init", where, 0, "not a numeric address", "use --health-addr 127.0.0.1"};
  }
  UniqueFd sock(::socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (sock.get() < 0) return Error{"socket", where, errno, "", ""};
  if (::connect(sock.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    if (errno != EINPROGRESS) {
      return Error{"connect to the init", where, errno, "", "is claude-init running with its health endpoint on this port?"};
    }
    if (!wait_for(sock.get(), POLLOUT, deadline)) {
      return Error{"connect to the init", where, ETIMEDOUT, "", "is claude-init running with its health endpoint on this port?"};
    }
    int err = 0;
    socklen_t elen = sizeof err;
    getsockopt(sock.get(), SOL_SOCKET, SO_ERROR, &err, &elen);
    if (err != 0) {
      return Error{"connect to the init", where, err, "", "is claude-init running with its health endpoint on this port?"};
    }
  }
  std::string request = std::string(method) + " " + std::string(path) + " HTTP/1.0\r\nHost: " + addr +
                        "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
  size_t sent = 0;
  while (sent < request.size()) {
    ssize_t n = ::send(sock.get(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (!wait_for(sock.get(), POLLOUT, deadline)) return Error{"send request", where, ETIMEDOUT, "", ""};
    } else {
      return Error{"send request", where, errno, "", ""};
    }
  }
  std::string raw;
  char buf[4096];
  for (;;) {
    ssize_t n = ::recv(sock.get(), buf, sizeof buf, 0);
    if (n > 0) {
      raw.append(buf, static_cast<size_t>(n));
      if (raw.size() > (1u << 20)) return Error{"read reply", where, 0, "reply larger than 1 MiB", ""};
    } else if (n == 0) {
      break;
    } else if (errno == EAGAIN || errno == EINTR) {
      if (!wait_for(sock.get(), POLLIN, deadline)) {
        return Error{"read reply", where, ETIMEDOUT, "", "the init is alive but not answering; see its log"};
      }
    } else {
      return Error{"read reply", where, errno, "", ""};
    }
  }
  // "HTTP/1.1 200 OK\r\n...\r\n\r\nbody"
  HttpReply reply;
  size_t sp = raw.find(' ');
  size_t head_end = raw.find("\r\n\r\n");
  if (raw.rfind("HTTP/", 0) != 0 || sp == std::string::npos || head_end == std::string::npos) {
    return Error{"read reply", where, 0, "not an HTTP reply", "is another program using this port?"};
  }
  reply.status = std::atoi(raw.c_str() + sp + 1);
  reply.body = raw.substr(head_end + 4);
  return reply;
}

int run_health_command(const InitOptions& options) {
  auto reply = http_request(options.health_addr, options.health_port, "GET", options.health_json ? "/status" : "/healthz",
                            std::chrono::milliseconds(2000));
  if (!reply) {
    std::printf("unhealthy: no answer from claude-init: %s\n", reply.error().message().c_str());
    return 1;
  }
  std::string body = reply->body;
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.pop_back();
  if (options.health_json) {
    std::printf("%s\n", body.c_str());
    auto j = nlohmann::json::parse(body, nullptr, false);
    return (reply->status == 200 && j.is_object() && j.value("status", "") != "unhealthy") ? 0 : 1;
  }
  std::printf("%s\n", body.c_str());
  return reply->status == 200 ? 0 : 1;
}

int run_sync_command(const InitOptions& options) {
  auto reply = http_request(options.health_addr, options.health_port, "POST", "/sync", std::chrono::seconds(35));
  if (!reply) {
    std::fprintf(stderr, "claude-init sync: %s\n", reply.error().message().c_str());
    return 1;
  }
  auto j = nlohmann::json::parse(reply->body, nullptr, false);
  bool complete = reply->status == 200 && j.is_object() && j.value("complete", false);
  std::printf("%s\n", complete ? "sync complete" : ("sync incomplete: " + (j.is_object() ? j.value("reason", std::string("see the init's log")) : reply->body)).c_str());
  return complete ? 0 : 1;
}

}  // namespace claude
