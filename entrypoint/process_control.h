// Process control for the init: spawning with the inherited signal state, reaping, and
// signalling process groups. The init spawns and reaps everything itself (libuv's process
// API would race a PID-1 reaper over waitpid).
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "core/exit_status.h"
#include "core/result.h"
#include "entrypoint/session_user.h"
#include "entrypoint/signal_mask.h"

namespace claude {

struct SpawnSpec {
  std::vector<std::string> argv;            // argv[0] is looked up on PATH unless it has a '/'
  const InheritedSignals* signals = nullptr; // restored in the child before exec (required)
  bool take_terminal = false;  // make the child's group the foreground of stdin's terminal
  bool quiet_stdio = false;    // stdin, stdout and stderr on /dev/null (the probe)
  bool close_other_fds = false;  // close every fd above 2 in the child (the probe, which
                                 // is spawned while the HTTP thread holds sockets)
  const SessionUser* user = nullptr;  // run as this user (groups, gid, uid set before exec);
                                      // nullptr: as the init
};

// What spawn_process() gives: the child's pid, or the errno that kept the command from
// starting (not found, not executable, no process left, ...) with no child to reap.
struct Spawned {
  pid_t pid = -1;
  int error = 0;
  bool ok() const { return pid > 0; }
};

// Starts the command (vfork + exec). The child leads a new process group; with
// take_terminal it also becomes the foreground group of stdin's terminal; it starts with
// the signal mask and ignored signals the init inherited. Returns once the exec has
// succeeded or failed.
Spawned spawn_process(const SpawnSpec& spec);

// Calls `on_reaped(pid, wait_status)` for every exited child, never blocking; returns
// how many were reaped.
size_t reap_exited(const std::function<void(pid_t, int)>& on_reaped);

// How a child ended, from a waitpid status.
ChildEnd decode_wait_status(int status);

// The signal that stopped child `pid` since the last call (SIGTSTP, SIGTTIN, SIGTTOU,
// SIGSTOP), or 0 when it has not stopped; never reaps.
int take_stop(pid_t pid);

// Stops the init itself with `signal` (SIGSTOP when that one is ignored), as a job
// stopped by it; returns once a SIGCONT has resumed it, that SIGCONT consumed. Main
// thread; the signal is unblocked for the moment of the stop only.
void stop_self(int signal);

// Sends `signal` to a process (pid > 0) or process group (-pgid); false when none is left.
bool send_signal(pid_t target, int signal);

// Whether no process is left in process group `pgid`.
bool process_group_empty(pid_t pgid);

// Makes the init a child subreaper (PR_SET_CHILD_SUBREAPER), so that orphans under it are
// reparented to it when it is not PID 1.
Status become_subreaper();

// PR_SET_PDEATHSIG on the init itself (-p): `signal` arrives when its parent dies.
Status set_parent_death_signal(int signal);

// Grows the process's file-descriptor table now to hold at least `fds` descriptors
// (never past RLIMIT_NOFILE). Called while the init has one thread: once a second thread
// shares the table, every growth waits out an RCU grace period (synchronize_rcu), and a
// sync batch that holds hundreds of staged temps open grew it four times, in the middle
// of a burst. Returns the table size reserved (0 when the table could not grow).
int reserve_fd_table(int fds);

}  // namespace claude
