// Process control for the init: fork/exec with the inherited signal state, reaping, and
// signalling process groups. The init forks and reaps everything itself (libuv's process
// API would race a PID-1 reaper over waitpid).
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "core/exit_status.h"
#include "core/result.h"
#include "entrypoint/signal_mask.h"

namespace claude {

struct SpawnSpec {
  std::vector<std::string> argv;            // argv[0] is looked up on PATH unless it has a '/'
  const InheritedSignals* signals = nullptr; // restored in the child before exec (required)
  bool take_terminal = false;  // make the child's group the foreground of stdin's terminal
  bool quiet_stdio = false;    // stdin, stdout and stderr on /dev/null (the probe)
  bool close_other_fds = false;  // mark every fd above 2 close-on-exec (the probe, which
                                 // is forked while the HTTP thread holds sockets)
};

struct Spawned {
  pid_t pid = -1;      // always a child to reap, even when exec failed
  int report_fd = -1;  // read end of the exec report; hand it to exec_errno_after_exit()
};

// Forks and execs. The child leads a new process group (setpgid); with take_terminal it
// also becomes the terminal's foreground group. An Error only when fork() itself failed.
// It does not wait for the exec: the init goes straight back to its loop, and learns
// whether the exec failed once the child has been reaped.
Result<Spawned> spawn_process(const SpawnSpec& spec);

// Once the child is reaped: 0 when its exec succeeded, else the exec's errno (the child
// then exited 126/127). Closes `report_fd` and sets it to -1.
int exec_errno_after_exit(int& report_fd);

// Calls `on_reaped(pid, wait_status)` for every exited child, never blocking; returns
// how many were reaped.
size_t reap_exited(const std::function<void(pid_t, int)>& on_reaped);

// How a child ended, from a waitpid status.
ChildEnd decode_wait_status(int status);

// Sends `signal` to a process (pid > 0) or process group (-pgid); false when none is left.
bool send_signal(pid_t target, int signal);

// Whether no process is left in process group `pgid`.
bool process_group_empty(pid_t pgid);

// Makes the init a child subreaper (PR_SET_CHILD_SUBREAPER), so that orphans under it are
// reparented to it when it is not PID 1.
Status become_subreaper();

// PR_SET_PDEATHSIG on the init itself (-p): `signal` arrives when its parent dies.
Status set_parent_death_signal(int signal);

}  // namespace claude
