// What the init's lifecycle needs from the sync engine. All calls happen on the loop
// thread; none may block it (long work goes through libuv handles of the same loop).
#pragma once

#include <uv.h>

#include <chrono>
#include <functional>
#include <memory>

#include "core/init_options.h"
#include "core/result.h"
#include "entrypoint/run_outcome.h"

namespace claude {

class HealthBoard;
class MetricsRegistry;

class SyncHooks {
 public:
  virtual ~SyncHooks() = default;
  // False for the plain-init mode (make_disabled_sync): nothing is seeded or synced.
  virtual bool syncing() const = 0;
  // Before the child is spawned: fill the live dir from the stage. An Error makes the
  // init refuse to start: it prints the message, health says why, and it exits 1.
  virtual Status seed() = 0;
  // After the child is spawned: set up the watches and the initial scan.
  virtual Status start() = 0;
  // The final flush, once the child and its group are gone. Must call done() exactly
  // once, on the loop thread, no later than `deadline` (complete=false if cut short).
  virtual void flush(std::chrono::steady_clock::time_point deadline,
                     std::function<void(bool complete)> done) = 0;
  // A barrier while running (POST /sync, `claude-init sync`): publish everything that
  // changed up to now; done(true) when it is all in the outbox. done() exactly once.
  virtual void flush_barrier(std::function<void(bool complete)> done) = 0;
  // Last step before exit: the run report (exit code, signal, clean-stop flag, timings).
  virtual void write_final_report(const RunOutcome& outcome) = 0;
};

// The sync engine (entrypoint/sync_service.h). main uses it when that header exists,
// --no-sync is not given and the stage or the outbox folder exists; otherwise
// make_disabled_sync() makes claude-init a plain init.
std::unique_ptr<SyncHooks> make_sync_service(uv_loop_t* loop, const InitOptions& options,
                                             HealthBoard& health, MetricsRegistry& metrics);

// The plain-init mode: nothing to seed, watch or flush; the final report is one log line.
std::unique_ptr<SyncHooks> make_disabled_sync();

}  // namespace claude
