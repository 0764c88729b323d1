#include "entrypoint/process_control.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>

#include <filesystem>
#include <fstream>
#include <string>

#include <catch2/catch.hpp>

using namespace claude;

namespace {

// The size of this process's descriptor table, as the kernel reports it.
int fd_table_size() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("FDSize:", 0) == 0) return std::stoi(line.substr(7));
  }
  return -1;
}

std::size_t open_fds() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

struct RestoreNofile {
  rlimit saved{};
  RestoreNofile() { getrlimit(RLIMIT_NOFILE, &saved); }
  ~RestoreNofile() { setrlimit(RLIMIT_NOFILE, &saved); }
};

// The SigIgn mask (hex) of `grep SigIgn /proc/self/status` spawned with `signals`.
unsigned long long spawned_sigign(const InheritedSignals& signals) {
  char path[] = "/tmp/claude-spawn-sigign.XXXXXX";
  const int out = mkstemp(path);
  REQUIRE(out >= 0);
  const int saved_stdout = dup(STDOUT_FILENO);
  dup2(out, STDOUT_FILENO);
  SpawnSpec spec;
  spec.argv = {"grep", "SigIgn", "/proc/self/status"};
  spec.signals = &signals;
  const Spawned spawned = spawn_process(spec);
  dup2(saved_stdout, STDOUT_FILENO);
  ::close(saved_stdout);
  ::close(out);
  REQUIRE(spawned.ok());
  int status = 0;
  REQUIRE(waitpid(spawned.pid, &status, 0) == spawned.pid);
  std::ifstream in(path);
  std::string label, hex;
  in >> label >> hex;
  std::remove(path);
  REQUIRE(label == "SigIgn:");
  return std::stoull(hex, nullptr, 16);
}

}  // namespace

TEST_CASE("an inherited SIGCHLD ignore is SIG_DFL in the init and SIG_IGN again in its children") {
  const unsigned long long chld = 1ULL << (SIGCHLD - 1);
  set_signal_ignored(SIGCHLD, true);
  InheritedSignals in = block_all_signals();
  const bool init_ignores = signal_ignored(SIGCHLD);
  // The first child (nothing recorded yet) and a later one (the recorded set).
  const unsigned long long first = spawned_sigign(in);
  record_ignored(in);
  const unsigned long long later = spawned_sigign(in);
  set_signal_ignored(SIGCHLD, false);
  sigprocmask(SIG_SETMASK, &in.mask, nullptr);
  CHECK(in.sigchld_ignored);
  CHECK_FALSE(init_ignores);
  CHECK(in.is_ignored(SIGCHLD));
  CHECK((first & chld) != 0);
  CHECK((later & chld) != 0);

  // Not ignored at start: not ignored in the children either.
  InheritedSignals plain = block_all_signals();
  const unsigned long long plain_first = spawned_sigign(plain);
  record_ignored(plain);
  const unsigned long long plain_later = spawned_sigign(plain);
  sigprocmask(SIG_SETMASK, &plain.mask, nullptr);
  CHECK_FALSE(plain.sigchld_ignored);
  CHECK((plain_first & chld) == 0);
  CHECK((plain_later & chld) == 0);
}

TEST_CASE("reserve_fd_table grows the descriptor table up front and leaves nothing open") {
  RestoreNofile restore;
  rlimit lim = restore.saved;
  int want = 4096;
  if (lim.rlim_max != RLIM_INFINITY && lim.rlim_max < static_cast<rlim_t>(want)) want = static_cast<int>(lim.rlim_max);
  lim.rlim_cur = static_cast<rlim_t>(want);
  REQUIRE(setrlimit(RLIMIT_NOFILE, &lim) == 0);
  const std::size_t before = open_fds();
  REQUIRE(fd_table_size() < want);

  CHECK(reserve_fd_table(want) == want);
  CHECK(fd_table_size() >= want);
  CHECK(open_fds() == before);
}

TEST_CASE("reserve_fd_table never asks past RLIMIT_NOFILE") {
  RestoreNofile restore;
  rlimit lim = restore.saved;
  lim.rlim_cur = 200;
  REQUIRE(setrlimit(RLIMIT_NOFILE, &lim) == 0);
  CHECK(reserve_fd_table(100000) == 200);
}
