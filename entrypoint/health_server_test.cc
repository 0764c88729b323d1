#include "entrypoint/health_server.h"

#include <atomic>
#include <string>

#include <catch2/catch.hpp>

namespace {

struct Endpoint {
  claude::HealthBoard board;
  claude::MetricsRegistry metrics;
  std::atomic<int> barriers{0};
  claude::HealthServer server{board, metrics,
                              claude::HealthServerHooks{nullptr, [this](std::chrono::milliseconds) {
                                                          ++barriers;
                                                          return true;
                                                        }}};
};

std::string status_line(const std::string& reply) { return reply.substr(0, reply.find("\r\n")); }

}  // namespace

TEST_CASE("the endpoint answers its routes from the bytes of one connection") {
  Endpoint e;
  std::string r = e.server.serve_bytes("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(status_line(r) == "HTTP/1.1 200 OK");
  CHECK(r.ends_with("\r\n\r\nok\n"));
  r = e.server.serve_bytes("POST /sync HTTP/1.0\r\nContent-Length: 0\r\n\r\n");
  CHECK(status_line(r) == "HTTP/1.1 200 OK");
  CHECK(r.ends_with("{\"complete\":true}\n"));
  CHECK(e.barriers == 1);
  CHECK(status_line(e.server.serve_bytes("GET /nowhere HTTP/1.1\r\n\r\n")) == "HTTP/1.1 404 Not Found");
}

TEST_CASE("a request body is refused with 413 before it is read, and never reaches a handler") {
  Endpoint e;
  // Only the head and a few body bytes are given: 413 comes without waiting for the rest.
  std::string r = e.server.serve_bytes("POST /sync HTTP/1.1\r\nContent-Length: 1073741824\r\n\r\nxxxx");
  CHECK(status_line(r) == "HTTP/1.1 413 Payload Too Large");
  CHECK(r.find("Content-Length: 1073741824") != std::string::npos);  // the reason quotes it
  r = e.server.serve_bytes("POST /sync HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n40000000\r\n");
  CHECK(status_line(r) == "HTTP/1.1 413 Payload Too Large");
  r = e.server.serve_bytes("POST /sync HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 0\r\n\r\nx");
  CHECK(status_line(r) == "HTTP/1.1 413 Payload Too Large");
  r = e.server.serve_bytes("POST /sync HTTP/1.1\r\nContent-Length: -1\r\n\r\n");
  CHECK(status_line(r) == "HTTP/1.1 413 Payload Too Large");
  // With "Expect: 100-continue" the refusal comes instead of the 100.
  r = e.server.serve_bytes("POST /sync HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 5000000\r\n\r\n");
  CHECK(status_line(r) == "HTTP/1.1 413 Payload Too Large");
  CHECK(e.barriers == 0);
}

TEST_CASE("a request head past the limit gets 431 whatever its shape") {
  Endpoint e;
  CHECK(status_line(e.server.serve_bytes("GET /" + std::string(100000, 'a'))) ==
        "HTTP/1.1 431 Request Header Fields Too Large");
  std::string many = "GET /healthz HTTP/1.1\r\n";
  for (int i = 0; i < 2000; ++i) many += "X-" + std::to_string(i) + ": y\r\n";
  CHECK(status_line(e.server.serve_bytes(many + "\r\n")) == "HTTP/1.1 431 Request Header Fields Too Large");
  CHECK(status_line(e.server.serve_bytes("GET /healthz HTTP/1.1\r\nX: " + std::string(8200, 'b') + "\r\n\r\n")) ==
        "HTTP/1.1 431 Request Header Fields Too Large");
  // Just under the limit is served.
  std::string fits = "GET /healthz HTTP/1.1\r\nX: ";
  fits += std::string(8192 - fits.size() - 4, 'c') + "\r\n\r\n";
  REQUIRE(fits.size() == 8192);
  CHECK(status_line(e.server.serve_bytes(fits)) == "HTTP/1.1 200 OK");
}

TEST_CASE("an incomplete or malformed request is answered 400 or not at all") {
  Endpoint e;
  CHECK(e.server.serve_bytes("").empty());
  CHECK(status_line(e.server.serve_bytes("GET /healthz HTTP/1.1\r\nHost")) == "HTTP/1.1 400 Bad Request");
  CHECK(status_line(e.server.serve_bytes("\x01\x02\r\n\r\n")) == "HTTP/1.1 400 Bad Request");
  // A long Range header (httplib matches it with a regex) is parsed within the head limit.
  std::string range = "GET /healthz HTTP/1.1\r\nRange: bytes=";
  while (range.size() < 8000) range += "0-1,";
  CHECK_FALSE(e.server.serve_bytes(range + "0-1\r\n\r\n").empty());
}
