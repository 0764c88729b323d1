#include "entrypoint/process_control.h"

#include <sys/resource.h>

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

}  // namespace

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
