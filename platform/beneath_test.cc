#include "platform/beneath.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <catch2/catch.hpp>

using namespace claude;

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    std::string tmpl = "/tmp/beneath-test.XXXXXX";
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  // rm walks a tree deeper than PATH_MAX (one folder at a time); remove_all may not.
  ~TempDir() { CHECK(std::system(("rm -rf '" + path + "'").c_str()) == 0); }
};

std::string read_fd(int fd) {
  std::string out;
  char buf[256];
  for (ssize_t n; (n = ::pread(fd, buf, sizeof buf, static_cast<off_t>(out.size()))) > 0;)
    out.append(buf, static_cast<std::size_t>(n));
  return out;
}

}  // namespace

TEST_CASE("open_no_links_raw: opens beneath the root, never through a link, never above it, at any length") {
  const bool openat2 = GENERATE(true, false);
  INFO("openat2: " << openat2);
  set_openat2_allowed(openat2);
  TempDir root, outside;
  std::filesystem::create_directories(root.path + "/a/b");
  std::ofstream(root.path + "/a/b/f") << "inside";
  std::ofstream(outside.path + "/f") << "outside";
  std::filesystem::create_directory_symlink(outside.path, root.path + "/a/out");
  std::filesystem::create_symlink("b/f", root.path + "/a/lnk");
  UniqueFd root_fd{::open(root.path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  REQUIRE(root_fd.get() >= 0);

  UniqueFd f{open_no_links_raw(root_fd.get(), "a/b/f", O_RDONLY)};
  REQUIRE(f.get() >= 0);
  CHECK(read_fd(f.get()) == "inside");

  // "" is the root itself.
  UniqueFd self{open_dir_no_links_raw(root_fd.get(), "")};
  REQUIRE(self.get() >= 0);
  struct stat a{}, b{};
  REQUIRE(::fstat(self.get(), &a) == 0);
  REQUIRE(::fstat(root_fd.get(), &b) == 0);
  CHECK(a.st_ino == b.st_ino);

  // A link as a folder component or as the last one is refused, even one that stays inside.
  errno = 0;
  CHECK(open_no_links_raw(root_fd.get(), "a/out/f", O_RDONLY) < 0);
  CHECK((errno == ELOOP || errno == ENOTDIR));
  errno = 0;
  CHECK(open_no_links_raw(root_fd.get(), "a/lnk", O_RDONLY) < 0);
  CHECK(errno == ELOOP);

  // A ".." component is refused before anything is opened.
  errno = 0;
  CHECK(open_no_links_raw(root_fd.get(), "a/../a/b/f", O_RDONLY) < 0);
  CHECK(errno == EXDEV);

  // Past PATH_MAX: opened as a chain of parts shorter than kPathChunk, and PathAt reaches it.
  std::string deep = "a";
  {
    UniqueFd dir{::open((root.path + "/a").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
    const std::string part(200, 'd');
    while (deep.size() < 5000) {  // made one folder at a time: no path of PATH_MAX bytes
      REQUIRE(::mkdirat(dir.get(), part.c_str(), 0700) == 0);
      dir = UniqueFd(::openat(dir.get(), part.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      REQUIRE(dir.get() >= 0);
      deep += "/" + part;
    }
  }
  UniqueFd deep_dir{open_dir_no_links_raw(root_fd.get(), deep)};
  REQUIRE(deep_dir.get() >= 0);
  REQUIRE(::mkdirat(deep_dir.get(), "leaf", 0700) == 0);
  PathAt at(root_fd.get(), deep + "/leaf");
  REQUIRE(at.dir >= 0);
  CHECK(at.dir != root_fd.get());
  struct stat st{};
  CHECK(::fstatat(at.dir, at.c_name(), &st, AT_SYMLINK_NOFOLLOW) == 0);
  CHECK(S_ISDIR(st.st_mode));
  set_openat2_allowed(true);
}
