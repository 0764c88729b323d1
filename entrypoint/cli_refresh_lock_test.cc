#include "entrypoint/cli_refresh_lock.h"

#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include <catch2/catch.hpp>

using claude::CliRefreshLock;

namespace {

struct TempConfigDir {
  std::string root, dir;
  TempConfigDir() {
    char tmpl[] = "/tmp/cli-refresh-lock-XXXXXX";
    root = ::mkdtemp(tmpl);
    dir = root + "/config";
    ::mkdir(dir.c_str(), 0700);
  }
  ~TempConfigDir() { std::filesystem::remove_all(root); }
};

bool exists(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0;
}

void age(const std::string& p, int seconds) {
  struct timeval old[2] = {};
  ::gettimeofday(&old[0], nullptr);
  old[0].tv_sec -= seconds;
  old[1] = old[0];
  ::utimes(p.c_str(), old);
}

}  // namespace

TEST_CASE("the CLI's refresh lock: both folders taken in order, removed on release", "[cli_refresh_lock]") {
  TempConfigDir t;
  const std::string primary = t.dir + "/.oauth_refresh.lock", legacy = t.dir + ".lock";
  CHECK(CliRefreshLock::refresh_lock_path(t.dir) == primary);
  CHECK(CliRefreshLock::legacy_lock_path(t.dir) == legacy);
  {
    auto lock = CliRefreshLock::try_acquire(t.dir);
    REQUIRE(lock);
    REQUIRE(lock->has_value());
    CHECK(exists(primary));
    CHECK(exists(legacy));
    // Held: a second taker is told it is busy, and takes nothing.
    auto again = CliRefreshLock::try_acquire(t.dir);
    REQUIRE(again);
    CHECK_FALSE(again->has_value());
  }
  CHECK_FALSE(exists(primary));
  CHECK_FALSE(exists(legacy));
}

TEST_CASE("the CLI's refresh lock: a fresh folder is busy, a stale one is taken over", "[cli_refresh_lock]") {
  TempConfigDir t;
  const std::string primary = t.dir + "/.oauth_refresh.lock", legacy = t.dir + ".lock";
  // The older lock held by a CLI: busy, and the first folder is given back.
  REQUIRE(::mkdir(legacy.c_str(), 0700) == 0);
  auto busy = CliRefreshLock::try_acquire(t.dir);
  REQUIRE(busy);
  CHECK_FALSE(busy->has_value());
  CHECK_FALSE(exists(primary));
  // Untouched for longer than the CLI's 10 s: left by a killed writer, taken over.
  age(legacy, 11);
  {
    auto taken = CliRefreshLock::try_acquire(t.dir);
    REQUIRE(taken);
    CHECK(taken->has_value());
  }
  CHECK_FALSE(exists(legacy));
  REQUIRE(::mkdir(primary.c_str(), 0700) == 0);
  auto held = CliRefreshLock::try_acquire(t.dir);
  REQUIRE(held);
  CHECK_FALSE(held->has_value());
  CHECK_FALSE(exists(legacy));
  age(primary, 11);
  auto stale = CliRefreshLock::try_acquire(t.dir);
  REQUIRE(stale);
  CHECK(stale->has_value());
}

TEST_CASE("the CLI's refresh lock: a config dir that cannot hold the lock is an error naming it",
          "[cli_refresh_lock]") {
  TempConfigDir t;
  auto r = CliRefreshLock::try_acquire(t.dir + "/missing");
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().message(), Catch::Contains(".oauth_refresh.lock"));
}
