#include "entrypoint/signal_mask.h"

#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

namespace claude {

InheritedSignals block_all_signals() {
  InheritedSignals in{};
  sigset_t all;
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, &in.mask);
  return in;
}

namespace {

// The kernel's struct sigaction (x86-64 and the other 64-bit ABIs).
struct KernelSigaction {
  void (*handler)(int);
  unsigned long flags;
  void (*restorer)();
  std::uint64_t mask;
};

}  // namespace

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
    if (signal_ignored(sig)) in.ignored |= std::uint64_t{1} << (sig - 1);
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
