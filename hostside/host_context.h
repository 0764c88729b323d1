// What every subcommand works with: the resolved layout and settings, and the adapters
// (process runner, clock, HTTP client). main builds the real ones; tests build fakes.
#pragma once

#include <optional>

#include "hostside/clock.h"
#include "hostside/host_config.h"
#include "hostside/host_layout.h"
#include "hostside/http_client.h"
#include "hostside/process_runner.h"

namespace claude::host {

struct HostContext {
  HostLayout layout;
  HostConfig config;
  ProcessRunner& runner;
  const Clock& clock;
  HttpClient& http;
  std::optional<bool> keychain;  // --keychain / --no-keychain
  bool stderr_is_tty = false;
  bool stdin_is_tty = false;
};

}  // namespace claude::host
