#include "platform/unique_fd.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include <catch2/catch.hpp>

namespace claude {
namespace {

bool is_open(int fd) {
  return ::fcntl(fd, F_GETFD) != -1 || errno != EBADF;
}

}  // namespace

TEST_CASE("UniqueFd closes what it holds when it goes out of scope", "[unique_fd]") {
  int raw = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  REQUIRE(raw >= 0);
  {
    UniqueFd fd(raw);
    CHECK(fd.get() == raw);
    CHECK(static_cast<bool>(fd));
  }
  CHECK_FALSE(is_open(raw));
  CHECK_FALSE(static_cast<bool>(UniqueFd()));
  CHECK_FALSE(static_cast<bool>(UniqueFd(-1)));
}

TEST_CASE("UniqueFd moves ownership, and a move-assignment closes the old descriptor",
          "[unique_fd]") {
  int a = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  int b = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  REQUIRE(a >= 0);
  REQUIRE(b >= 0);
  UniqueFd first(a);
  UniqueFd moved(std::move(first));
  CHECK(first.get() == -1);
  CHECK(moved.get() == a);
  UniqueFd other(b);
  moved = std::move(other);
  CHECK_FALSE(is_open(a));
  CHECK(moved.get() == b);
  CHECK(is_open(b));
}

}  // namespace claude
