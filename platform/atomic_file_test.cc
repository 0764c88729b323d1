#include "platform/atomic_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include <catch2/catch.hpp>

namespace fs = std::filesystem;

namespace {
struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/atomic_file_test.XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
};
}  // namespace

TEST_CASE("a committed atomic file replaces the old content and leaves no temp file") {
  TempDir dir;
  std::string dest = (dir.path / "settings.json").string();
  REQUIRE(claude::write_file_atomically(dest, "old").ok());
  REQUIRE(claude::write_file_atomically(dest, "{\"new\":true}", 0600).ok());
  CHECK(claude::read_file(dest).value() == "{\"new\":true}");
  struct stat st{};
  REQUIRE(::stat(dest.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0600);
  CHECK(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator()) == 1);
}

TEST_CASE("an abandoned atomic file leaves the destination untouched") {
  TempDir dir;
  std::string dest = (dir.path / "a.json").string();
  REQUIRE(claude::write_file_atomically(dest, "kept").ok());
  {
    auto f = claude::AtomicFile::create(dest);
    REQUIRE(f.ok());
    REQUIRE(f->write("half").ok());
    CHECK(fs::exists(f->temp_path()));
  }
  CHECK(claude::read_file(dest).value() == "kept");
  CHECK(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator()) == 1);
}

TEST_CASE("reading a missing file reports ENOENT with the path") {
  auto r = claude::read_file("/nonexistent/claude/x.json");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().sys_errno == ENOENT);
  CHECK(r.error().path == "/nonexistent/claude/x.json");
}
