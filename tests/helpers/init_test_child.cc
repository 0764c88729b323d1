// A child for claude-init's integration tests (tests/integration/init_*.sh). Each mode
// does one observable thing:
//
//   exit N                     exit with code N
//   die SIG                    kill itself with SIG (default disposition)
//   record FILE [--ignore SIG]... [--exit-on SIG]
//                              append the name of every signal received to FILE, one per
//                              line; write "ready" first (after the handlers are in place
//                              and the inherited mask is lifted); exit 0 on --exit-on
//                              (default TERM); --ignore SIGs are set to SIG_IGN
//   orphans K [SECONDS [--wait-reaped]]
//                              make K orphaned grandchildren that exit at once, wait for
//                              its own children (and, with --wait-reaped, until its parent
//                              has reaped every orphan), print "orphans done", then sleep
//                              SECONDS
//   group FILE K [--ignore-term]
//                              start K processes in its process group that record
//                              signals to FILE.<i> (ignoring SIGTERM if asked), wait until
//                              they are ready, print "group ready", then exit 0
//   mask                       print "SigBlk: <hex>" and "SigIgn: <hex>" as /proc says
//   tty FILE                   interactive: record "fg yes|no", then every signal, with
//                              "WINCH <rows> <cols>"; SIGTSTP stops it as the default
//                              would; on SIGTERM or SIGHUP it turns echo off (as a crashing
//                              full-screen program would) and exits 0
//   parent                     print "threads N sockets M" of its parent (the init) as
//                              /proc shows it when the child starts
//   sleep SECONDS              sleep, then exit 0
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <iostream>
#include <string>
#include <vector>

namespace {

int g_record_fd = -1;
int g_exit_on = SIGTERM;
bool g_tty_mode = false;

void write_line(int fd, const char* text) {
  char buf[128];
  size_t n = 0;
  for (const char* p = text; *p && n + 1 < sizeof buf; ++p) buf[n++] = *p;
  buf[n++] = '\n';
  ssize_t ignored = write(fd, buf, n);
  (void)ignored;
}

// Async-signal-safe: sigabbrev_np returns a pointer into a static table.
void on_signal(int sig) {
  int saved = errno;
  const char* name = sigabbrev_np(sig);
  char line[64];
  if (g_tty_mode && sig == SIGWINCH) {
    winsize ws{};
    ioctl(STDIN_FILENO, TIOCGWINSZ, &ws);
    snprintf(line, sizeof line, "WINCH %u %u", ws.ws_row, ws.ws_col);  // no allocation: fine here
  } else if (name) {
    snprintf(line, sizeof line, "%s", name);
  } else {
    snprintf(line, sizeof line, "SIG%d", sig);
  }
  write_line(g_record_fd, line);
  if (g_tty_mode) {
    if (sig == SIGTSTP) {
      // What the default action would do: stop, so that job control can be observed.
      raise(SIGSTOP);
    } else if (sig == SIGTERM || sig == SIGHUP) {
      termios t{};
      if (tcgetattr(STDIN_FILENO, &t) == 0) {
        t.c_lflag &= ~static_cast<tcflag_t>(ECHO | ICANON);
        tcsetattr(STDIN_FILENO, TCSANOW, &t);
      }
      write_line(g_record_fd, "exiting");
      _exit(0);
    }
  } else if (sig == g_exit_on) {
    _exit(0);
  }
  errno = saved;
}

void install_recorders(const std::vector<int>& ignore) {
  for (int sig = 1; sig <= SIGRTMAX; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP || sig == SIGCHLD) continue;
    if (sig > 31 && sig < SIGRTMIN) continue;  // reserved by glibc
    struct sigaction sa {};
    bool ignored = false;
    for (int i : ignore) ignored = ignored || i == sig;
    sa.sa_handler = ignored ? SIG_IGN : on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(sig, &sa, nullptr);
  }
}

int signal_number(const char* text) {
  if (text[0] >= '0' && text[0] <= '9') return std::atoi(text);
  std::string s(text);
  if (s.rfind("SIG", 0) == 0) s = s.substr(3);
  for (int sig = 1; sig < SIGRTMIN; ++sig) {
    const char* n = sigabbrev_np(sig);
    if (n && s == n) return sig;
  }
  std::fprintf(stderr, "init_test_child: unknown signal %s\n", text);
  std::exit(2);
}

int open_record(const std::string& path) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    std::perror(path.c_str());
    std::exit(2);
  }
  return fd;
}

void unblock_all() {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
}

[[noreturn]] void wait_forever() {
  for (;;) pause();
}

int mode_record(int argc, char** argv) {
  if (argc < 3) return 2;
  std::vector<int> ignore;
  for (int i = 3; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--ignore") == 0) ignore.push_back(signal_number(argv[i + 1]));
    else if (std::strcmp(argv[i], "--exit-on") == 0) g_exit_on = signal_number(argv[i + 1]);
  }
  g_record_fd = open_record(argv[2]);
  install_recorders(ignore);
  write_line(g_record_fd, "ready");
  // Signals forwarded while this process was starting wait here, pending, if the test
  // started the init with them blocked: lifting the mask delivers them now.
  unblock_all();
  wait_forever();
}

int mode_orphans(int argc, char** argv) {
  if (argc < 3) return 2;
  int k = std::atoi(argv[2]);
  int linger = argc > 3 ? std::atoi(argv[3]) : 0;
  const bool wait_reaped = argc > 4 && std::strcmp(argv[4], "--wait-reaped") == 0;
  for (int i = 0; i < k; ++i) {
    pid_t p = fork();
    if (p < 0) {
      // Out of pids for a moment: wait for the middle processes so far and retry.
      while (waitpid(-1, nullptr, 0) > 0) {
      }
      --i;
      continue;
    }
    if (p == 0) {
      // The middle process forks the grandchild and exits at once, so the grandchild is
      // orphaned and its exit leaves a zombie for the init to reap.
      if (fork() == 0) _exit(0);
      _exit(0);
    }
    if (i % 64 == 63) {
      while (waitpid(-1, nullptr, WNOHANG) > 0) {
      }
    }
  }
  while (waitpid(-1, nullptr, 0) > 0) {
  }
  if (wait_reaped) {
    // Until the parent (the init) has reaped every orphan: its children list is then
    // this process alone. Used by the benchmark to time the reaping itself.
    std::string path = "/proc/" + std::to_string(getppid()) + "/task/" + std::to_string(getppid()) + "/children";
    const std::string self = std::to_string(getpid()) + " ";
    for (;;) {
      std::ifstream in(path);
      std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      if (all.empty() || all == self) break;
      usleep(500);
    }
  }
  std::printf("orphans done\n");
  std::fflush(stdout);
  if (linger > 0) sleep(static_cast<unsigned>(linger));
  return 0;
}

int mode_group(int argc, char** argv) {
  if (argc < 4) return 2;
  std::string base = argv[2];
  int k = std::atoi(argv[3]);
  bool ignore_term = argc > 4 && std::strcmp(argv[4], "--ignore-term") == 0;
  for (int i = 0; i < k; ++i) {
    std::string path = base + "." + std::to_string(i);
    if (fork() == 0) {
      g_record_fd = open_record(path);
      std::vector<int> ignore;
      install_recorders(ignore);
      if (ignore_term) {
        // Record it, but do not exit on it: only SIGKILL ends this one.
        g_exit_on = 0;
      }
      write_line(g_record_fd, "ready");
      unblock_all();
      wait_forever();
    }
  }
  // Wait until every member wrote "ready".
  for (int i = 0; i < k; ++i) {
    std::string path = base + "." + std::to_string(i);
    for (int tries = 0; tries < 5000; ++tries) {
      std::ifstream in(path);
      std::string line;
      if (std::getline(in, line) && line == "ready") break;
      usleep(1000);
    }
  }
  std::printf("group ready\n");
  std::fflush(stdout);
  return 0;
}

int mode_mask() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("SigBlk:", 0) == 0 || line.rfind("SigIgn:", 0) == 0) std::cout << line << "\n";
  }
  return 0;
}

int mode_tty(int argc, char** argv) {
  if (argc < 3) return 2;
  g_tty_mode = true;
  g_record_fd = open_record(argv[2]);
  std::vector<int> ignore;
  install_recorders(ignore);
  write_line(g_record_fd, tcgetpgrp(STDIN_FILENO) == getpgrp() ? "fg yes" : "fg no");
  unblock_all();
  wait_forever();
}

}  // namespace

// What the init is at the moment the child starts: its thread count and how many
// sockets it has open ("threads 1 sockets 0": nothing but the init itself yet).
int mode_parent() {
  const std::string proc = "/proc/" + std::to_string(getppid());
  int threads = -1;
  std::ifstream status(proc + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("Threads:", 0) == 0) threads = std::atoi(line.c_str() + 8);
  }
  int sockets = 0;
  if (DIR* d = opendir((proc + "/fd").c_str())) {
    while (dirent* e = readdir(d)) {
      char target[256];
      const ssize_t n = readlinkat(dirfd(d), e->d_name, target, sizeof target - 1);
      if (n > 0 && std::string(target, static_cast<size_t>(n)).rfind("socket:", 0) == 0) ++sockets;
    }
    closedir(d);
  }
  std::printf("threads %d sockets %d\n", threads, sockets);
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: init_test_child exit N | die SIG | record FILE ... | orphans K [S] | group FILE K | mask | tty FILE | parent | sleep S\n");
    return 2;
  }
  std::string mode = argv[1];
  if (mode == "exit" && argc > 2) return std::atoi(argv[2]);
  if (mode == "die" && argc > 2) {
    int sig = signal_number(argv[2]);
    signal(sig, SIG_DFL);
    unblock_all();
    raise(sig);
    return 99;  // not reached for a fatal signal
  }
  if (mode == "record") return mode_record(argc, argv);
  if (mode == "orphans") return mode_orphans(argc, argv);
  if (mode == "group") return mode_group(argc, argv);
  if (mode == "mask") return mode_mask();
  if (mode == "tty") return mode_tty(argc, argv);
  if (mode == "parent") return mode_parent();
  if (mode == "sleep" && argc > 2) {
    sleep(static_cast<unsigned>(std::atoi(argv[2])));
    return 0;
  }
  std::fprintf(stderr, "init_test_child: unknown mode %s\n", mode.c_str());
  return 2;
}
