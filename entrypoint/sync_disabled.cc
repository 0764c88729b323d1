// Plain-init mode (--no-sync, or neither the stage nor the outbox exists): claude-init
// is an init and a health endpoint, nothing more. The final report is one log line,
// since there is no outbox to write it to.
#include <spdlog/spdlog.h>

#include "core/init_options.h"
#include "entrypoint/sync_hooks.h"

namespace claude {
namespace {

class NoSync final : public SyncHooks {
 public:
  bool syncing() const override { return false; }
  Status seed() override { return Ok{}; }
  Status start() override { return Ok{}; }
  void flush(std::chrono::steady_clock::time_point, std::function<void(bool)> done) override { done(true); }
  void flush_barrier(std::function<void(bool)> done) override { done(true); }
  void write_final_report(const RunOutcome& o) override {
    if (!o.start_error.empty()) return;  // already logged as the reason for exit 1
    std::string how = !o.child_started ? "did not start"
                      : o.child_signal != 0 ? "was killed by " + signal_name(o.child_signal)
                                            : "exited with " + std::to_string(o.child_exit_code);
    spdlog::log(o.killed_after_grace ? spdlog::level::warn : spdlog::level::debug, "child {}; exiting {} after {} ms{}{}", how, o.exit_code, o.total_runtime.count(),
                 o.stop_signal ? " (stopped by " + signal_name(o.stop_signal) + ")" : std::string(),
                 o.killed_after_grace ? ", killed after the grace period" : "");
  }
};

}  // namespace

std::unique_ptr<SyncHooks> make_disabled_sync() { return std::make_unique<NoSync>(); }

}  // namespace claude
