// Signals without handlers: main blocks every catchable signal before anything else
// (threads inherit the mask), and the loop reads them from a signalfd. What the init was
// given — its mask and its ignored signals — is remembered so that the child starts with
// exactly that. SIGCHLD alone is put back to its default in the init: ignored, the
// kernel would reap the children itself and send no SIGCHLD.
#pragma once

#include <signal.h>

#include <cstdint>

#include "core/result.h"

namespace claude {

// The signal state the init inherited from whoever started it.
struct InheritedSignals {
  sigset_t mask;     // the blocked set at start
  // SIGCHLD was SIG_IGN at start (the init runs with it at SIG_DFL; children get it back).
  bool sigchld_ignored = false;
  // Signals whose disposition was SIG_IGN at start (once known), bit sig-1: a sigset_t
  // cannot hold glibc's internal signals (sigaddset refuses them).
  std::uint64_t ignored = 0;
  bool ignored_known = false;
  bool is_ignored(int sig) const { return sig >= 1 && sig <= 64 && (ignored >> (sig - 1) & 1) != 0; }
};

// Blocks every signal (SIGKILL/SIGSTOP cannot be) and returns the mask that was there
// before; then sets SIGCHLD to SIG_DFL, noting whether it was ignored. Call first in
// main, before any thread exists. The other dispositions are left alone and not read:
// the init changes none, so the first child inherits them as they came (the 64 reads
// would only delay it), SIGCHLD's ignore restored by the spawn; record_ignored() reads
// them afterwards.
InheritedSignals block_all_signals();

// Puts SIGCHLD back as the init found it (a client mode that runs as a plain program).
void restore_sigchld(const InheritedSignals& in);

// Reads which signals are ignored into `in` (64 sigaction reads), SIGCHLD as inherited.
// Call after the main child is started and before anything else runs that might change a
// disposition; later children (the probe) get exactly these back; the init reads them
// only when it has a probe.
void record_ignored(InheritedSignals& in);

// Whether `sig` (1..64) is ignored, and setting it to SIG_IGN or SIG_DFL. Through the raw
// system call: glibc's sigaction() refuses its two internal real-time signals, which a
// parent started with posix_spawn (Python's subprocess, make) may well hand down ignored.
// set_signal_ignored is async-signal-safe (the vfork child uses it).
bool signal_ignored(int sig);
void set_signal_ignored(int sig, bool ignored);

// A non-blocking, close-on-exec signalfd for every signal; closed on destruction.
class SignalFd {
 public:
  static Result<SignalFd> open();
  SignalFd(SignalFd&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  SignalFd& operator=(SignalFd&&) = delete;
  SignalFd(const SignalFd&) = delete;
  ~SignalFd();
  int fd() const { return fd_; }
  struct Received {
    int signal = 0;    // 0 when nothing is pending
    pid_t sender = 0;  // ssi_pid: who sent it (the init itself for a SIGPIPE it caused)
  };
  // The next pending signal.
  Received read_one();

 private:
  explicit SignalFd(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace claude
