#include "entrypoint/cli_write_lock.h"

#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include <catch2/catch.hpp>

using claude::CliWriteLock;

namespace {

struct TempConfigDir {
  std::string root, dir;
  TempConfigDir() {
    char tmpl[] = "/tmp/cli-write-lock-XXXXXX";
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

TEST_CASE("the CLI's write lock: the folder taken, busy while held, removed on release", "[cli_write_lock]") {
  TempConfigDir t;
  const std::string dir = t.dir + "/.storage-write.lock";
  CHECK(CliWriteLock::path(t.dir) == dir);
  {
    auto lock = CliWriteLock::try_acquire(t.dir);
    REQUIRE(lock);
    REQUIRE(lock->has_value());
    CHECK(exists(dir));
    // Held: a second taker is told it is busy, and takes nothing.
    auto again = CliWriteLock::try_acquire(t.dir);
    REQUIRE(again);
    CHECK_FALSE(again->has_value());
    CHECK(exists(dir));
  }
  CHECK_FALSE(exists(dir));
  // Never the CLI's refresh lock: a CLI finding it held fails its turn.
  CHECK_FALSE(exists(t.dir + "/.oauth_refresh.lock"));
}

TEST_CASE("the CLI's write lock: a fresh folder is busy, a stale one is taken over", "[cli_write_lock]") {
  TempConfigDir t;
  const std::string dir = t.dir + "/.storage-write.lock";
  REQUIRE(::mkdir(dir.c_str(), 0700) == 0);  // a CLI writing
  auto busy = CliWriteLock::try_acquire(t.dir);
  REQUIRE(busy);
  CHECK_FALSE(busy->has_value());
  age(dir, 10);  // still within the CLI's 15 s
  auto still = CliWriteLock::try_acquire(t.dir);
  REQUIRE(still);
  CHECK_FALSE(still->has_value());
  age(dir, 16);  // left by a killed writer
  {
    auto taken = CliWriteLock::try_acquire(t.dir);
    REQUIRE(taken);
    CHECK(taken->has_value());
  }
  CHECK_FALSE(exists(dir));
}

TEST_CASE("the CLI's write lock: a config dir that cannot hold the lock is an error naming it", "[cli_write_lock]") {
  TempConfigDir t;
  auto r = CliWriteLock::try_acquire(t.dir + "/missing");
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().message(), Catch::Contains(".storage-write.lock"));
}
