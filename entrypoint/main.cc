// claude-init: the container's PID 1. See ARCHITECTURE.md ("claude-init: one event loop").
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <spdlog/spdlog.h>

#include "core/init_options.h"
#include "entrypoint/health_board.h"
#include "entrypoint/health_client.h"
#include "entrypoint/init_loop.h"
#include "entrypoint/main_child.h"
#include "entrypoint/metrics_registry.h"
#include "entrypoint/process_control.h"
#include "entrypoint/signal_mask.h"
#include "entrypoint/sync_hooks.h"
#include "entrypoint/sync_service.h"
#include "platform/logging.h"

extern char** environ;

namespace claude {
namespace {

// The variables the options come from; the rest of the environment is the child's.
InitEnvironment init_environment() {
  InitEnvironment env;
  for (char** e = environ; e && *e; ++e) {
    const char* eq = std::strchr(*e, '=');  // the name's end; no value is scanned
    if (eq == nullptr) continue;
    const std::string_view name(*e, static_cast<size_t>(eq - *e));
    if (is_init_variable(name)) env.emplace(name, eq + 1);
  }
  return env;
}

bool is_dir(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

LogFormat log_format(InitLogFormat f) {
  switch (f) {
    case InitLogFormat::kHuman: return LogFormat::kHuman;
    case InitLogFormat::kJson: return LogFormat::kJson;
    default: return LogFormat::kAuto;
  }
}

int run_init(const InitOptions& options, InheritedSignals& inherited) {
  // Before the child exists, so that its orphans come to us. Not PID 1 (a test, `docker
  // run --init` around us, a shell): become the reaper of everything below anyway.
  const Status reaper = getpid() != 1 ? become_subreaper() : Status(Ok{});
  const Status death_signal =
      options.parent_death_signal != 0 ? set_parent_death_signal(options.parent_death_signal) : Status(Ok{});
  // The sync engine when it is wanted and there is something to sync; a plain init
  // otherwise, whose child needs nothing more of ours: it starts now, and logging, the
  // loop and the health endpoint come up while it runs. A syncing init seeds first.
  const bool syncing = !options.no_sync && (is_dir(options.stage_dir) || is_dir(options.outbox_dir));
  // Opened before the child, so that a failure leaves nothing running.
  auto signal_fd = SignalFd::open();
  MainChild child(options.command, inherited);
  // --user: only root can switch; a non-root init runs the child as itself (said below).
  const bool switch_user = options.user && ::geteuid() == 0 && options.user->uid != 0;
  if (switch_user) {
    const char* home = std::getenv("HOME");
    child.run_as(SessionUser{options.user->uid, options.user->gid}, options.live_dir, home ? home : "/root");
  }
  if (signal_fd && !syncing) child.start();

  setup_logging("claude-init", options.verbosity, log_format(options.log_format));
  // Silent when it works: this is the expected way to run outside a container.
  if (!reaper) spdlog::warn("{}", reaper.error().message());
  if (!death_signal) spdlog::warn("{}", death_signal.error().message());
  if (options.user && !switch_user && ::geteuid() != 0 && ::geteuid() != options.user->uid) {
    spdlog::warn("--user {}:{}: claude-init runs as uid {}, not root, so the child runs as that uid",
                 options.user->uid, options.user->gid, ::geteuid());
  }
  if (!syncing && !options.no_sync) {
    spdlog::debug("neither {} nor {} exists: running as a plain init", options.stage_dir, options.outbox_dir);
  }
  if (!signal_fd) {
    spdlog::error("{}", signal_fd.error().message());
    return 1;
  }
  uv_loop_t loop;
  uv_loop_init(&loop);
  int code = 0;
  {
    HealthBoard board;
    MetricsRegistry metrics;
    std::unique_ptr<SyncHooks> hooks =
        syncing ? make_sync_service(&loop, options, board, metrics) : make_disabled_sync();
    InitLoop init(&loop, options, inherited, child, *signal_fd, board, metrics);
    code = init.run(*hooks);
#ifndef __SANITIZE_ADDRESS__
    // The run is over: the outbox flushed and reported, every log line written (each one
    // is flushed), the terminal and the probe dealt with. What is left would only free
    // memory and descriptors the kernel takes back at exit, on the path that keeps
    // `docker stop` and a short command waiting. (The sanitizer build tears down in full,
    // so that LeakSanitizer sees every allocation freed.)
    std::fflush(nullptr);
    _exit(code);
#endif
    hooks.reset();  // closes the sync engine's handles before the loop goes
  }
  uv_run(&loop, UV_RUN_NOWAIT);
  uv_loop_close(&loop);
  return code;
}

}  // namespace
}  // namespace claude

int main(int argc, char** argv) {
  using namespace claude;
  // First of all, before any thread exists: every thread inherits this mask, and the
  // loop reads the signals from a signalfd. The first system call after the C library's
  // start-up; a signal that comes before it acts with the disposition the init inherited.
  // SIGCHLD is set to its default here, whatever it was (see signal_mask.h).
  InheritedSignals inherited = block_all_signals();
  auto parsed = parse_init_options(std::vector<std::string>(argv, argv + argc), init_environment());
  if (!parsed) {
    std::fprintf(stderr, "claude-init: %s\n", parsed.error().message().c_str());
    return 1;
  }
  const InitOptions& options = *parsed;
  switch (options.mode) {
    case InitMode::kHelp:
      std::fputs(init_help_text().c_str(), stdout);
      return 0;
    case InitMode::kVersion:
      std::printf("claude-init %s\n", CLAUDE_INIT_VERSION);
      return 0;
    case InitMode::kHealth:
    case InitMode::kSync:
      // A client, not an init: Ctrl-C and timeouts must work as usual.
      sigprocmask(SIG_SETMASK, &inherited.mask, nullptr);
      restore_sigchld(inherited);
      return options.mode == InitMode::kHealth ? run_health_command(options) : run_sync_command(options);
    case InitMode::kRun:
      break;
  }
  try {
    return run_init(options, inherited);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "claude-init: internal error: %s\n", e.what());
    return 1;
  }
}
