#include "entrypoint/signal_mask.h"

#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>

namespace claude {

InheritedSignals block_all_signals() {
  InheritedSignals in{};
  sigset_t all;
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, &in.mask);
  sigemptyset(&in.ignored);
  for (int sig = 1; sig < NSIG; ++sig) {
    struct sigaction sa {};
    if (sigaction(sig, nullptr, &sa) == 0 && sa.sa_handler == SIG_IGN) sigaddset(&in.ignored, sig);
  }
  return in;
}

void restore_inherited_signals(const InheritedSignals& inherited) {
  // The init installs no handlers, so every disposition is still what it inherited
  // (SIG_IGN survives fork and exec anyway); this puts them back explicitly so that
  // the child's view never depends on what a library may have done in between.
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    struct sigaction sa {};
    sa.sa_handler = sigismember(&inherited.ignored, sig) == 1 ? SIG_IGN : SIG_DFL;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, nullptr);  // fails harmlessly for the two glibc-internal RT signals
  }
  sigprocmask(SIG_SETMASK, &inherited.mask, nullptr);
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
