// `claude-host broker`: the credential broker in the foreground, for containers that no
// `claude-host run` started (compose). Joins the home's election like every run does
// (hostside/credential_broker.h) and serves or stands by until SIGINT, SIGTERM or SIGHUP.
#include <signal.h>

#include <cstdio>
#include <ctime>

#include "hostside/commands.h"
#include "hostside/credential_broker.h"
#include "hostside/credential_store.h"
#include "hostside/subcommand.h"

namespace claude::host {

namespace {

const char* const kHelp =
    "usage: claude-host broker\n"
    "\n"
    "One login everywhere for containers started without `claude-host run` (docker compose\n"
    "from the env file `claude-host stage` wrote): keeps the newest login in the host store\n"
    "and in the inbox of every run whose container is running (a claude-init holding the\n"
    "run's outbox), as `claude-host run` does for its own. Runs in the foreground until\n"
    "Ctrl-C (SIGINT), SIGTERM or SIGHUP. One broker serves a home at a time: while another\n"
    "(a `claude-host run`, or another `broker`) holds the role, this one stands by and takes\n"
    "over when that one ends. `claude-host status` names the broker.\n";

}  // namespace

int broker_command(HostContext& ctx, std::vector<std::string> argv) {
  Subcommand cmd("broker", std::move(argv));
  if (cmd.help(kHelp)) return 0;
  if (auto stop = cmd.finish()) return *stop;

  // Blocked before the broker's thread starts, so that it inherits the mask and the
  // signals wait here for sigtimedwait.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  for (int s : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&stop_signals, s);
  ::pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto credentials = make_credential_store(ctx.layout, ctx.runner, ctx.keychain);
  CredentialBroker broker(ctx.layout, *credentials, use_keychain(ctx.keychain), "");
  std::fprintf(stderr, "claude-host broker: keeping one login in %s and in every running container; Ctrl-C stops\n",
               ctx.layout.config_dir.c_str());
  // Says each change of role once: serving, or standing by behind another holder.
  int said = -1;
  for (;;) {
    const timespec tick{0, 200'000'000};
    int sig = ::sigtimedwait(&stop_signals, nullptr, &tick);
    if (sig > 0) break;
    if (broker.is_broker()) {
      if (said != 1) std::fprintf(stderr, "claude-host broker: serving as this home's credential broker\n");
      said = 1;
      continue;
    }
    // Not holding it: another does (named in the lock file), or the first try is still
    // to come (nobody named: nothing to say yet).
    std::string holder = credential_broker_holder(ctx.layout);
    if (holder.empty() || said == 0) continue;
    said = 0;
    std::fprintf(stderr, "claude-host broker: standing by; %s is the broker\n", holder.c_str());
  }
  broker.stop();
  std::fprintf(stderr, "claude-host broker: stopped; wrote the newest login to the host %d time(s) and to running containers %d time(s)\n",
               broker.host_writes(), broker.inbox_writes());
  return 0;
}

}  // namespace claude::host
