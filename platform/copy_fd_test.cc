#include "platform/copy_fd.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include <catch2/catch.hpp>

using namespace claude;

namespace {

std::string make_file(const std::string& dir, const std::string& content) {
  std::string path = dir + "/copy-fd-test.XXXXXX";
  int fd = ::mkstemp(path.data());
  REQUIRE(fd >= 0);
  REQUIRE(::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()));
  ::close(fd);
  return path;
}

std::string read_all(const std::string& path) {
  std::string out;
  int fd = ::open(path.c_str(), O_RDONLY);
  char buf[4096];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) out.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  return out;
}

// Copies `src` into a new file in dst_dir and returns what landed there.
std::string copy_into(const std::string& src, const std::string& dst_dir, std::uint64_t length) {
  std::string dst = make_file(dst_dir, "");
  int in = ::open(src.c_str(), O_RDONLY);
  int out = ::open(dst.c_str(), O_WRONLY | O_TRUNC);
  auto copied = copy_fd(in, out, length, src);
  ::close(in);
  ::close(out);
  REQUIRE(copied.ok());
  std::string got = read_all(dst);
  CHECK(*copied == got.size());
  ::unlink(dst.c_str());
  return got;
}

}  // namespace

TEST_CASE("copy_fd: in the kernel on one filesystem, by hand across two, whole or a prefix") {
  std::string content(200000, 'x');
  for (std::size_t i = 0; i < content.size(); i += 97) content[i] = static_cast<char>('a' + i % 26);
  std::string src = make_file("/tmp", content);
  CHECK(copy_into(src, "/tmp", UINT64_MAX) == content);
  CHECK(copy_into(src, "/tmp", 1000) == content.substr(0, 1000));
  if (::access("/dev/shm", W_OK) == 0) {  // tmpfs to the temp folder's filesystem: EXDEV
    std::string shm = make_file("/dev/shm", content);
    CHECK(copy_into(shm, "/tmp", UINT64_MAX) == content);
    CHECK(copy_into(shm, "/tmp", 70000) == content.substr(0, 70000));
    ::unlink(shm.c_str());
  }
  ::unlink(src.c_str());
}
