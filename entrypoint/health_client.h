// The client side of the loopback endpoint: `claude-init health` (the image's
// HEALTHCHECK) and `claude-init sync`. A few lines of HTTP/1.0 over a socket, with a
// connect timeout, so that "no init running" answers at once.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "core/init_options.h"
#include "core/result.h"

namespace claude {

struct HttpReply {
  int status = 0;
  std::string body;
};

// One request to a numeric `addr` (0.0.0.0 and :: mean the local host) on `port`; the
// whole exchange must finish within `timeout`. Errors name the address and the step.
Result<HttpReply> http_request(const std::string& addr, int port, std::string_view method, std::string_view path,
                               std::chrono::milliseconds timeout);

// `claude-init health [--json]`: prints one line (or the JSON status), returns the exit
// code: 0 healthy (ok or degraded), 1 unhealthy or unreachable.
int run_health_command(const InitOptions& options);

// `claude-init sync`: asks for a flush barrier; 0 when it completed, 1 otherwise.
int run_sync_command(const InitOptions& options);

}  // namespace claude
