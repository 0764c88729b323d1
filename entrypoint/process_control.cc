#include "entrypoint/process_control.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <csignal>

namespace claude {
namespace {

// Everything below runs in the forked child before exec: only async-signal-safe calls.
[[noreturn]] void exec_child(const SpawnSpec& spec, char* const* argv, int report_fd) {
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
  if (spec.close_other_fds) {
    // CLOSE_RANGE_CLOEXEC (Linux 5.11) keeps report_fd usable until exec succeeds.
    syscall(SYS_close_range, 3U, UINT_MAX, CLOSE_RANGE_CLOEXEC);
  }
  restore_inherited_signals(*spec.signals);
  execvp(argv[0], argv);
  int err = errno;
  ssize_t ignored = write(report_fd, &err, sizeof err);
  (void)ignored;
  _exit(exec_failure_exit_code(err));
}

}  // namespace

Result<Spawned> spawn_process(const SpawnSpec& spec) {
  // argv is built before fork so that the child allocates nothing.
  std::vector<char*> argv;
  argv.reserve(spec.argv.size() + 1);
  for (const auto& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);

  // The child reports a failed exec through this close-on-exec pipe: EOF means the exec
  // succeeded, four bytes are its errno.
  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0) {
    return Error{"pipe2", "", errno, "for the exec report", "raise the open-files limit"};
  }
  pid_t pid = fork();
  if (pid < 0) {
    int err = errno;
    ::close(report[0]);
    ::close(report[1]);
    return Error{"fork", spec.argv.empty() ? "" : spec.argv[0], err, "", "raise the process limit (pids) of the container"};
  }
  if (pid == 0) {
    ::close(report[0]);
    exec_child(spec, argv.data(), report[1]);
  }
  ::close(report[1]);
  // Also from the parent: whichever of the two runs first, the group exists before the
  // init forwards anything to it.
  setpgid(pid, pid);
  return Spawned{pid, report[0]};
}

int exec_errno_after_exit(int& report_fd) {
  if (report_fd < 0) return 0;
  // The child has exited, so its end is closed: this read cannot block. EOF means the
  // exec succeeded (the close-on-exec end went away with it); four bytes are its errno.
  int err = 0;
  ssize_t n;
  do {
    n = ::read(report_fd, &err, sizeof err);
  } while (n < 0 && errno == EINTR);
  ::close(report_fd);
  report_fd = -1;
  return n == static_cast<ssize_t>(sizeof err) ? err : 0;
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

bool send_signal(pid_t target, int signal) { return ::kill(target, signal) == 0; }

bool process_group_empty(pid_t pgid) { return ::kill(-pgid, 0) != 0 && errno == ESRCH; }

Status become_subreaper() {
  if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) {
    return Error{"prctl(PR_SET_CHILD_SUBREAPER)", "", errno, "", "orphans will not be reaped; run as PID 1 instead"};
  }
  return Ok{};
}

Status set_parent_death_signal(int signal) {
  if (prctl(PR_SET_PDEATHSIG, signal, 0, 0, 0) != 0) {
    return Error{"prctl(PR_SET_PDEATHSIG)", "", errno, "", "check the -p signal"};
  }
  return Ok{};
}

}  // namespace claude
