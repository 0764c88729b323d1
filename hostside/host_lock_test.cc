#include "hostside/host_lock.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>

namespace fs = std::filesystem;
using claude::host::HostLock;

namespace {
std::string temp_lock_path() {
  auto dir = fs::temp_directory_path() / ("host_lock_test." + std::to_string(::getpid()));
  fs::create_directories(dir);
  return (dir / "sub" / "lock").string();
}
}  // namespace

TEST_CASE("a second holder times out with the holder's pid, command and the lock file named", "[host_lock]") {
  std::string path = temp_lock_path();
  auto first = HostLock::acquire(path, "claude-host readback", 1000);
  REQUIRE(first.ok());
  auto start = std::chrono::steady_clock::now();
  // flock locks belong to the open file description, so a second open in the same
  // process contends exactly like another process would.
  auto second = HostLock::acquire(path, "claude-host stage", 200);
  auto waited = std::chrono::steady_clock::now() - start;
  REQUIRE_FALSE(second.ok());
  std::string msg = second.error().message();
  CHECK(msg.find(path) != std::string::npos);
  CHECK(msg.find("pid " + std::to_string(::getpid())) != std::string::npos);
  CHECK(msg.find("claude-host readback") != std::string::npos);
  CHECK(msg.find("--lock-timeout") != std::string::npos);
  CHECK(waited >= std::chrono::milliseconds(200));
  fs::remove_all(fs::path(path).parent_path().parent_path());
}

TEST_CASE("the lock is free again once its holder is gone", "[host_lock]") {
  std::string path = temp_lock_path();
  {
    auto first = HostLock::acquire(path, "first", 1000);
    REQUIRE(first.ok());
  }
  auto second = HostLock::acquire(path, "second", 0);
  REQUIRE(second.ok());
  CHECK(claude::host::read_lock_holder(path).find("(second)") != std::string::npos);
  fs::remove_all(fs::path(path).parent_path().parent_path());
}
