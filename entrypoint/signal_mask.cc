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
  return in;
}

void record_ignored(InheritedSignals& in) {
  sigemptyset(&in.ignored);
  for (int sig = 1; sig < NSIG; ++sig) {
    struct sigaction sa {};
    if (sigaction(sig, nullptr, &sa) == 0 && sa.sa_handler == SIG_IGN) sigaddset(&in.ignored, sig);
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
