#include "entrypoint/process_control.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <csignal>

namespace claude {
namespace {

// Runs in the vfork()ed child, on the parent's stack and in its memory, until exec: only
// async-signal-safe calls, nothing allocated, nothing written but *exec_error.
[[noreturn]] void exec_child(const SpawnSpec& spec, char* const* argv, volatile int* exec_error) {
  // A new process group, so that -g and the leftover kill reach the child's group only.
  setpgid(0, 0);
  if (spec.take_terminal) {
    // Signals are still all blocked here, so this background tcsetpgrp is not stopped
    // by SIGTTOU. Failure (no controlling terminal) leaves the child in the background.
    tcsetpgrp(STDIN_FILENO, getpgrp());
  }
  if (spec.quiet_stdio) {
    int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null_fd >= 0) {
      dup2(null_fd, STDIN_FILENO);
      dup2(null_fd, STDOUT_FILENO);
      dup2(null_fd, STDERR_FILENO);
    }
  }
  if (spec.close_other_fds) syscall(SYS_close_range, 3U, UINT_MAX, 0U);
  if (spec.user) {
    // Raw system calls, which change this task only: glibc's setuid() and friends would
    // signal every thread of the init (whose memory this vfork child shares) to change
    // theirs too. Groups and gid first: once the uid is dropped they cannot change.
    const gid_t gid = spec.user->gid;
    if (syscall(SYS_setgroups, 1, &gid) != 0 || syscall(SYS_setresgid, gid, gid, gid) != 0 ||
        syscall(SYS_setresuid, spec.user->uid, spec.user->uid, spec.user->uid) != 0) {
      *exec_error = errno;
      _exit(exec_failure_exit_code(errno));
    }
  }
  // Every disposition back to what the init inherited, once recorded (SIG_IGN survives
  // exec, handlers do not; the init installs none, but a later child's view must not
  // depend on what a library may have done since). The first child comes before anything
  // could have changed one, and inherits them as they are — but for SIGCHLD, which the
  // init set to its default: an inherited ignore goes back. Then the inherited mask.
  if (spec.signals->ignored_known) {
    for (int sig = 1; sig < NSIG; ++sig) {
      if (sig == SIGKILL || sig == SIGSTOP) continue;
      set_signal_ignored(sig, spec.signals->is_ignored(sig));
    }
  } else if (spec.signals->sigchld_ignored) {
    set_signal_ignored(SIGCHLD, true);
  }
  sigprocmask(SIG_SETMASK, &spec.signals->mask, nullptr);
  execvp(argv[0], argv);
  *exec_error = errno;
  _exit(exec_failure_exit_code(errno));
}

}  // namespace

Spawned spawn_process(const SpawnSpec& spec) {
  // Built before the vfork: the child allocates nothing.
  std::vector<char*> argv;
  argv.reserve(spec.argv.size() + 1);
  for (const auto& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);

  // vfork, not fork: no page tables to copy, and no copy-on-write faults for the init to
  // take afterwards (half the cost of `claude-init -- /bin/true`). Not posix_spawn: glibc's
  // leaves its two internal signals ignored in the child, and that survives the exec.
  // The parent runs again once the child has exec'd or exited, so a failed exec's errno
  // is already in exec_error when vfork returns.
  volatile int exec_error = 0;
  const pid_t pid = vfork();
  if (pid == 0) exec_child(spec, argv.data(), &exec_error);
  if (pid < 0) return Spawned{-1, errno};
  if (exec_error != 0) {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return Spawned{-1, exec_error};
  }
  return Spawned{pid, 0};
}

size_t reap_exited(const std::function<void(pid_t, int)>& on_reaped) {
  size_t count = 0;
  for (;;) {
    int status = 0;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid <= 0) break;  // 0: children left but none exited; -1/ECHILD: none left
    ++count;
    on_reaped(pid, status);
  }
  return count;
}

ChildEnd decode_wait_status(int status) {
  if (WIFEXITED(status)) return ChildEnd{true, WEXITSTATUS(status), 0};
  if (WIFSIGNALED(status)) return ChildEnd{false, 0, WTERMSIG(status)};
  return ChildEnd{true, 0, 0};
}

int take_stop(pid_t pid) {
  // WSTOPPED alone: exits are left for reap_exited(); a stop is reported once.
  siginfo_t info{};
  if (waitid(P_PID, static_cast<id_t>(pid), &info, WSTOPPED | WNOHANG) != 0) return 0;
  return info.si_pid == pid && info.si_code == CLD_STOPPED ? info.si_status : 0;
}

void stop_self(int signal) {
  // A stop signal whose disposition is SIG_IGN would not stop: SIGSTOP, which always does.
  if (signal != SIGSTOP && signal_ignored(signal)) signal = SIGSTOP;
  sigset_t one;
  sigemptyset(&one);
  sigaddset(&one, signal);
  // Pending on this thread while blocked; unblocking it here delivers it: the default
  // action stops the whole process, and the call returns once a SIGCONT resumes it.
  raise(signal);
  pthread_sigmask(SIG_UNBLOCK, &one, nullptr);
  pthread_sigmask(SIG_BLOCK, &one, nullptr);
  // The SIGCONT that resumed the init: it has done its work; the caller resumes the child.
  sigset_t cont;
  sigemptyset(&cont);
  sigaddset(&cont, SIGCONT);
  const timespec now{};
  while (sigtimedwait(&cont, nullptr, &now) < 0 && errno == EINTR) {
  }
}

bool send_signal(pid_t target, int signal) { return ::kill(target, signal) == 0; }

bool process_group_empty(pid_t pgid) { return ::kill(-pgid, 0) != 0 && errno == ESRCH; }

Status become_subreaper() {
  if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) {
    return Error{"prctl(PR_SET_CHILD_SUBREAPER)", "", errno, "", "orphans will not be reaped; run as PID 1 instead"};
  }
  return Ok{};
}

int reserve_fd_table(int fds) {
  struct rlimit lim {};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY &&
      lim.rlim_cur < static_cast<rlim_t>(fds)) {
    fds = static_cast<int>(lim.rlim_cur);
  }
  // A descriptor at the top makes the kernel size the table for it; the table keeps its
  // size when the descriptor is closed again.
  for (int fd : {STDERR_FILENO, STDOUT_FILENO, STDIN_FILENO}) {
    const int top = fcntl(fd, F_DUPFD_CLOEXEC, fds - 1);
    if (top < 0) continue;  // that one is closed (or the limit is lower still)
    ::close(top);
    return top + 1;
  }
  return 0;
}

Status set_parent_death_signal(int signal) {
  if (prctl(PR_SET_PDEATHSIG, signal, 0, 0, 0) != 0) {
    return Error{"prctl(PR_SET_PDEATHSIG)", "", errno, "", "check the -p signal"};
  }
  return Ok{};
}

}  // namespace claude
