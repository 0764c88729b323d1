// While a container runs, watches its outbox for refreshed credentials and writes them
// back to the host at once: refresh tokens rotate, so a refresh inside the container
// logs the host out until the new token is back. A 250 ms poll of one file (a stat per
// tick) keeps it simple and well inside the one-second promise.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "core/result.h"

namespace claude::host {

class CredentialWatcher {
 public:
  // sync: writes the credentials back if they changed; returns true when it wrote.
  // Called on the watcher's thread whenever `watched` (a file path) changes.
  CredentialWatcher(std::string watched, std::function<Result<bool>()> sync, int interval_ms = 250);
  ~CredentialWatcher();  // stops and joins
  void stop();
  int writes() const { return writes_; }

 private:
  void loop();
  std::string watched_;
  std::function<Result<bool>()> sync_;
  int interval_ms_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  int writes_ = 0;
  std::thread thread_;
};

}  // namespace claude::host
