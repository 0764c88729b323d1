// HTTP POST behind an interface (libcurl in production, a recorder in tests), used by the
// webhook alert channel.
#pragma once

#include <string>
#include <vector>

#include "core/result.h"

namespace claude::host {

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // POSTs `json_body` with Content-Type: application/json; returns the HTTP status. An
  // Error when no response came (refused, timeout after timeout_ms, bad URL).
  virtual Result<int> post_json(const std::string& url, const std::string& json_body, int timeout_ms) = 0;
};

class CurlHttpClient final : public HttpClient {
 public:
  Result<int> post_json(const std::string& url, const std::string& json_body, int timeout_ms) override;
};

}  // namespace claude::host
