#include "entrypoint/signal_mask.h"

#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

namespace claude {

namespace {

// The kernel's struct sigaction (x86-64 and the other 64-bit ABIs).
struct KernelSigaction {
  void (*handler)(int);
  unsigned long flags;
  void (*restorer)();
  std::uint64_t mask;
};

}  // namespace

InheritedSignals block_all_signals() {
  InheritedSignals in{};
  sigset_t all;
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, &in.mask);
  // One system call sets the default and reads what was there. Until it, an ignored
  // SIGCHLD would make the kernel reap a child unseen; the init has spawned none yet.
  KernelSigaction dfl{};
  dfl.handler = SIG_DFL;
  KernelSigaction old{};
  if (syscall(SYS_rt_sigaction, SIGCHLD, &dfl, &old, sizeof old.mask) == 0) in.sigchld_ignored = old.handler == SIG_IGN;
  return in;
}

void restore_sigchld(const InheritedSignals& in) {
  if (in.sigchld_ignored) set_signal_ignored(SIGCHLD, true);
}

bool signal_ignored(int sig) {
  KernelSigaction old{};
  return syscall(SYS_rt_sigaction, sig, nullptr, &old, sizeof old.mask) == 0 && old.handler == SIG_IGN;
}

void set_signal_ignored(int sig, bool ignored) {
  KernelSigaction sa{};
  sa.handler = ignored ? SIG_IGN : SIG_DFL;
  (void)syscall(SYS_rt_sigaction, sig, &sa, nullptr, sizeof sa.mask);
}

void record_ignored(InheritedSignals& in) {
  in.ignored = 0;
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig == SIGCHLD ? in.sigchld_ignored : signal_ignored(sig)) in.ignored |= std::uint64_t{1} << (sig - 1);
  }
  in.ignored_known = true;
}

Result<SignalFd> SignalFd::open() {
  sigset_t all;
  sigfillset(&all);
  int fd = signalfd(-1, &all, SFD_NONBLOCK | SFD_CLOEXEC);
  if (fd < 0) return Error{"signalfd", "", errno, "", "the kernel must support signalfd (Linux >= 2.6.27)"};
  return SignalFd(fd);
}

SignalFd::~SignalFd() {
  if (fd_ >= 0) ::close(fd_);
}

SignalFd::Received SignalFd::read_one() {
  signalfd_siginfo info{};
  for (;;) {
    ssize_t n = ::read(fd_, &info, sizeof info);
    if (n == static_cast<ssize_t>(sizeof info)) {
      return Received{static_cast<int>(info.ssi_signo), static_cast<pid_t>(info.ssi_pid)};
    }
    if (n < 0 && errno == EINTR) continue;
    return Received{};  // EAGAIN: nothing pending
  }
}

}  // namespace claude
