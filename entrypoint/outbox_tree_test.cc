#include "entrypoint/outbox_tree.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <algorithm>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "platform/beneath.h"

using namespace claude;
namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("outbox: puts make their folders, again after the folders were removed") {
  char tmpl[] = "/tmp/outbox-tree-test.XXXXXX";
  fs::path dir = ::mkdtemp(tmpl);
  auto opened = PosixOutbox::open(dir.string());
  REQUIRE(opened.ok());
  PosixOutbox& outbox = **opened;

  REQUIRE(outbox.stage_put("projects/-w/a.json", "{\"a\":1}", 0644).ok());
  REQUIRE(outbox.stage_put("projects/-w/b.json", "{\"b\":2}", 0600).ok());
  REQUIRE(outbox.commit().ok());
  CHECK(slurp(dir / "tree/projects/-w/a.json") == "{\"a\":1}");
  CHECK((fs::status(dir / "tree/projects/-w/b.json").permissions() & fs::perms::all) ==
        (fs::perms::owner_read | fs::perms::owner_write));

  // The folders go behind the outbox's back (a person cleaning up): the next put in them
  // still lands.
  fs::remove_all(dir / "tree/projects");
  REQUIRE(outbox.stage_put("projects/-w/c.json", "{\"c\":3}", 0644).ok());
  REQUIRE(outbox.commit().ok());
  CHECK(slurp(dir / "tree/projects/-w/c.json") == "{\"c\":3}");

  // Removing the last file removes the folders it leaves empty; a later put makes them.
  REQUIRE(outbox.remove("projects/-w/c.json").ok());
  CHECK_FALSE(fs::exists(dir / "tree/projects"));
  REQUIRE(outbox.stage_put("projects/-w/d.json", "{}", 0644).ok());
  REQUIRE(outbox.commit().ok());
  CHECK(fs::exists(dir / "tree/projects/-w/d.json"));

  // A rename into new folders makes them; the old ones, left empty, go.
  REQUIRE(outbox.rename("projects/-w/d.json", "todos/x/d.json").ok());
  CHECK(fs::exists(dir / "tree/todos/x/d.json"));
  CHECK_FALSE(fs::exists(dir / "tree/projects"));
  REQUIRE(outbox.stage_put("projects/-w/e.json", "{}", 0644).ok());
  REQUIRE(outbox.commit().ok());
  CHECK(fs::exists(dir / "tree/projects/-w/e.json"));
  fs::remove_all(dir);
}

namespace {

// Names in a folder other than the given ones: a staged put must leave none behind when
// it uses an unnamed temp, and its named temp must go after a commit or an abort.
std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

fs::perms perms_of(const fs::path& p) { return fs::status(p).permissions() & fs::perms::all; }

}  // namespace

TEST_CASE("outbox: puts through unnamed and named temps publish, replace, keep modes and leave nothing behind") {
  const bool unnamed = GENERATE(true, false);
  INFO("unnamed temps: " << unnamed);
  set_tmpfile_allowed(unnamed);
  // A umask that takes bits from every mode below, so the mode must be set on the fd.
  const mode_t old_umask = ::umask(GENERATE(022, 077));
  char tmpl[] = "/tmp/outbox-tree-test.XXXXXX";
  fs::path dir = ::mkdtemp(tmpl);
  auto opened = PosixOutbox::open(dir.string());
  REQUIRE(opened.ok());
  PosixOutbox& outbox = **opened;
  REQUIRE(outbox.stage_put("a.json", "{\"v\":1}", 0644).ok());
  REQUIRE(outbox.commit().ok());

  REQUIRE(outbox.stage_put("a.json", "{\"v\":2}", 0644).ok());  // replaces
  REQUIRE(outbox.stage_put("b.json", "{\"b\":1}", 0600).ok());  // new
  if (unnamed) {
    CHECK(names_in(dir / "tree") == std::vector<std::string>{"a.json"});  // nothing named yet
  } else {
    CHECK(names_in(dir / "tree").size() == 3);  // a.json and two named temps
  }
  CHECK(slurp(dir / "tree/a.json") == "{\"v\":1}");  // nothing visible before the commit
  std::vector<std::string> committed;
  REQUIRE(outbox.commit(&committed).ok());
  CHECK(committed == std::vector<std::string>{"a.json", "b.json"});
  CHECK(slurp(dir / "tree/a.json") == "{\"v\":2}");
  CHECK(slurp(dir / "tree/b.json") == "{\"b\":1}");
  CHECK(perms_of(dir / "tree/a.json") == (fs::perms::owner_read | fs::perms::owner_write |
                                          fs::perms::group_read | fs::perms::others_read));
  CHECK(perms_of(dir / "tree/b.json") == (fs::perms::owner_read | fs::perms::owner_write));
  CHECK(names_in(dir / "tree") == std::vector<std::string>{"a.json", "b.json"});

  // A put waiting in a folder whose last file is removed before the commit: the remove
  // takes the folder away (an unnamed temp holds no name in it) and the commit makes it
  // again.
  REQUIRE(outbox.stage_put("d/x.json", "{}", 0644).ok());
  REQUIRE(outbox.commit().ok());
  REQUIRE(outbox.stage_put("d/y.json", "{\"y\":1}", 0644).ok());
  REQUIRE(outbox.remove("d/x.json").ok());
  REQUIRE(outbox.commit().ok());
  CHECK(slurp(dir / "tree/d/y.json") == "{\"y\":1}");
  CHECK_FALSE(fs::exists(dir / "tree/d/x.json"));
  REQUIRE(outbox.remove("d/y.json").ok());

  // An aborted put leaves neither a temp nor a change.
  REQUIRE(outbox.stage_put("c.json", "{}", 0644).ok());
  outbox.abort();
  CHECK(names_in(dir / "tree") == std::vector<std::string>{"a.json", "b.json"});
  ::umask(old_umask);
  set_tmpfile_allowed(true);
  fs::remove_all(dir);
}

TEST_CASE("outbox: a staged set taken out is committed on another thread while the next is staged") {
  const bool unnamed = GENERATE(true, false);
  INFO("unnamed temps: " << unnamed);
  set_tmpfile_allowed(unnamed);
  char tmpl[] = "/tmp/outbox-tree-test.XXXXXX";
  fs::path dir = ::mkdtemp(tmpl);
  auto opened = PosixOutbox::open(dir.string());
  REQUIRE(opened.ok());
  PosixOutbox& outbox = **opened;
  REQUIRE(outbox.stage_put("p/a.json", "{\"a\":1}", 0644).ok());
  auto first = outbox.take_staged();
  std::vector<std::string> committed_first;
  Status first_status = Ok{};
  // The next set is staged (its folder made, a folder of the first removed and made again
  // by its commit) while the first is committed on a thread of its own.
  std::thread committer([&] { first_status = outbox.commit(*first, &committed_first); });
  for (int i = 0; i < 200; ++i) REQUIRE(outbox.stage_put("q" + std::to_string(i % 7) + "/b" + std::to_string(i) + ".json", "{}", 0644).ok());
  committer.join();
  REQUIRE(first_status.ok());
  CHECK(committed_first == std::vector<std::string>{"p/a.json"});
  CHECK(slurp(dir / "tree/p/a.json") == "{\"a\":1}");
  CHECK_FALSE(fs::exists(dir / "tree/q0/b0.json"));  // the second set is not visible yet
  std::vector<std::string> committed;
  REQUIRE(outbox.commit(&committed).ok());
  CHECK(committed.size() == 200);
  CHECK(fs::exists(dir / "tree/q6/b195.json"));

  // A set dropped uncommitted leaves neither a temp nor a change.
  REQUIRE(outbox.stage_put("p/c.json", "{}", 0644).ok());
  { auto dropped = outbox.take_staged(); }
  CHECK(names_in(dir / "tree/p") == std::vector<std::string>{"a.json"});
  set_tmpfile_allowed(true);
  fs::remove_all(dir);
}

TEST_CASE("outbox: one claude-init at a time; a second is refused with the folder and the fix") {
  char tmpl[] = "/tmp/outbox-tree-test.XXXXXX";
  fs::path dir = ::mkdtemp(tmpl);
  {
    auto first = PosixOutbox::open(dir.string());
    REQUIRE(first.ok());
    auto second = PosixOutbox::open(dir.string());
    REQUIRE_FALSE(second.ok());
    const std::string msg = second.error().message();
    CHECK(msg.find(dir.string()) != std::string::npos);
    CHECK(msg.find("another claude-init") != std::string::npos);
    CHECK(msg.find("outbox folder of its own") != std::string::npos);
  }
  // The lock goes with the outbox (and with a killed process): the next one gets it.
  auto again = PosixOutbox::open(dir.string());
  CHECK(again.ok());
  fs::remove_all(dir);
}

TEST_CASE("outbox: 255-byte names and paths past PATH_MAX are put, replaced, appended, renamed and removed") {
  const bool unnamed = GENERATE(true, false);
  INFO("unnamed temps: " << unnamed);
  set_tmpfile_allowed(unnamed);
  char tmpl[] = "/tmp/outbox-tree-test.XXXXXX";
  fs::path dir = ::mkdtemp(tmpl);
  auto opened = PosixOutbox::open(dir.string());
  REQUIRE(opened.ok());
  PosixOutbox& outbox = **opened;
  const std::string long_name = "d/" + std::string(250, 'n') + ".json";  // 255 bytes
  std::string deep;
  for (int i = 0; i < 50; ++i) deep += std::to_string(10 + i) + std::string(97, 'd') + "/";
  const std::string deep_file = deep + "f.jsonl";
  REQUIRE(deep.size() > 4096);
  for (int v = 1; v <= 3; ++v) {
    // Each version after the first replaces the file through a temp name beside it.
    Status put = outbox.stage_put(long_name, "{\"v\":" + std::to_string(v) + "}", 0644);
    INFO((put.ok() ? std::string() : put.error().message()));
    REQUIRE(put.ok());
    REQUIRE(outbox.stage_put(deep_file, "{\"v\":" + std::to_string(v) + "}\n", 0644).ok());
    REQUIRE(outbox.stage_symlink(deep + "l", "f.jsonl").ok());
    Status c = outbox.commit();
    INFO((c.ok() ? std::string() : c.error().message()));
    REQUIRE(c.ok());
  }
  CHECK(slurp(dir / "tree" / long_name) == "{\"v\":3}");
  REQUIRE(outbox.append(deep_file, "{\"w\":1}\n", 8).ok());
  // Read back part by part (no single path of that length opens).
  UniqueFd tree{::open((dir / "tree").c_str(), O_RDONLY | O_DIRECTORY)};
  UniqueFd f{open_no_links_raw(tree.get(), deep_file, O_RDONLY)};
  REQUIRE(f.get() >= 0);
  char buf[64];
  ssize_t n = ::read(f.get(), buf, sizeof buf);
  CHECK(std::string(buf, static_cast<std::size_t>(std::max<ssize_t>(n, 0))) == "{\"v\":3}\n{\"w\":1}\n");
  REQUIRE(outbox.rename(deep_file, deep + "g.jsonl").ok());
  CHECK(open_no_links_raw(tree.get(), deep_file, O_RDONLY) < 0);
  REQUIRE(outbox.remove(deep + "g.jsonl").ok());
  REQUIRE(outbox.remove(deep + "l").ok());
  // Every folder it leaves empty goes too; no temp is left anywhere.
  CHECK(names_in(dir / "tree") == std::vector<std::string>{"d"});
  CHECK(names_in(dir / "tree" / "d") == std::vector<std::string>{std::string(250, 'n') + ".json"});
  set_tmpfile_allowed(true);
  fs::remove_all(dir);
}

TEST_CASE("outbox: stage_copy copies from an fd without a buffer of the file's size and returns the staged bytes' sha256") {
  const bool unnamed = GENERATE(true, false);
  INFO("unnamed temps: " << unnamed);
  set_tmpfile_allowed(unnamed);
  char tmpl[] = "/tmp/outbox-tree-test.XXXXXX";
  fs::path dir = ::mkdtemp(tmpl);
  auto opened = PosixOutbox::open(dir.string());
  REQUIRE(opened.ok());
  PosixOutbox& outbox = **opened;
  // A 3 MiB source with bytes at both ends and a hole between.
  std::string head = "head", tail = "tail";
  const std::uint64_t size = 3u << 20;
  int src = ::open((dir / "src").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  REQUIRE(src >= 0);
  REQUIRE(::pwrite(src, head.data(), head.size(), 0) == 4);
  REQUIRE(::pwrite(src, tail.data(), tail.size(), size - 4) == 4);
  std::string expected(size, '\0');
  expected.replace(0, 4, head);
  expected.replace(size - 4, 4, tail);
  std::uint64_t copied = 0;
  auto sha = outbox.stage_copy("todos/big.bin", src, size, 0640, &copied);
  REQUIRE(sha.ok());
  CHECK(copied == size);
  CHECK(*sha == sha256_hex(expected));
  REQUIRE(outbox.commit().ok());
  CHECK(slurp(dir / "tree/todos/big.bin") == expected);
  CHECK(perms_of(dir / "tree/todos/big.bin") == (fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read));
  // A length past the end copies what there is.
  auto shorter = outbox.stage_copy("todos/again.bin", src, size + 100, 0644, &copied);
  REQUIRE(shorter.ok());
  CHECK(copied == size);
  REQUIRE(outbox.commit().ok());
  ::close(src);
  set_tmpfile_allowed(true);
  fs::remove_all(dir);
}
