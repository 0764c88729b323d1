#include "platform/copy_fd.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include <catch2/catch.hpp>

#include "core/sha256.h"

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

TEST_CASE("copy_fd_hashed: returns the sha256 of the bytes that landed in the destination, and their count") {
  const std::string content = std::string(200000, 'q') + "tail";
  std::string src = make_file("/tmp", content);
  for (std::uint64_t length : {std::uint64_t{5}, std::uint64_t{content.size()}, std::uint64_t{UINT64_MAX}}) {
    INFO("length " << length);
    std::string dst = make_file("/tmp", "");
    int in = ::open(src.c_str(), O_RDONLY);
    int out = ::open(dst.c_str(), O_RDWR | O_TRUNC);
    std::uint64_t copied = 0;
    auto digest = copy_fd_hashed(in, out, length, src, &copied);
    ::close(in);
    ::close(out);
    REQUIRE(digest.ok());
    const std::string want = content.substr(0, length == UINT64_MAX ? content.size() : length);
    CHECK(copied == want.size());
    CHECK(*digest == sha256_hex(want));
    CHECK(read_all(dst) == want);
    ::unlink(dst.c_str());
  }
  // A destination it cannot read back from is an Error naming the copy.
  std::string dst = make_file("/tmp", "");
  int in = ::open(src.c_str(), O_RDONLY);
  int out = ::open(dst.c_str(), O_WRONLY | O_TRUNC);
  auto digest = copy_fd_hashed(in, out, 10, "the copy", nullptr);
  ::close(in);
  ::close(out);
  REQUIRE_FALSE(digest.ok());
  CHECK(digest.error().path == "the copy");
  ::unlink(dst.c_str());
  ::unlink(src.c_str());
}

TEST_CASE("umask_may_spoil: only when the umask takes one of the bits, is unknown, or the mode has bits past 0777") {
  CHECK_FALSE(umask_may_spoil(0644, 022));
  CHECK_FALSE(umask_may_spoil(0600, 077));
  CHECK(umask_may_spoil(0666, 022));
  CHECK(umask_may_spoil(0644, 077));
  CHECK(umask_may_spoil(0644, -1));
  CHECK(umask_may_spoil(04755, 0));  // setuid: open(2) may drop it
  CHECK_FALSE(umask_may_spoil(0777, 0));
}

TEST_CASE("current_umask: reads the process umask without changing it") {
  const mode_t old = ::umask(027);
  CHECK(current_umask() == 027);
  CHECK(current_umask() == 027);  // unchanged by the read
  ::umask(old);
}
