#include "entrypoint/sync_live_tree.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

#include "platform/beneath.h"

using namespace claude;
namespace fs = std::filesystem;

namespace {

// A live tree under a fresh temp folder, and a secret beside it that no path may reach.
struct TreeFixture {
  fs::path base;
  fs::path root;
  TreeFixture() {
    char tmpl[] = "/tmp/live-tree-test.XXXXXX";
    base = ::mkdtemp(tmpl);
    root = base / "live";
    fs::create_directories(root / "projects" / "-w");
    fs::create_directories(base / "outside");
    std::ofstream(root / "projects" / "-w" / "s.jsonl") << "{\"a\":1}\n";
    std::ofstream(root / "top.json") << "{}";
    std::ofstream(base / "outside" / "secret.json") << "{\"secret\":true}";
    fs::create_directory_symlink(base / "outside", root / "linked-dir");  // a folder link
    fs::create_symlink("top.json", root / "link.json");                   // a file link
    ::mkfifo((root / "fifo").c_str(), 0600);
  }
  ~TreeFixture() { fs::remove_all(base); }
};

void check_tree(bool openat2) {
  set_openat2_allowed(openat2);
  TreeFixture t;
  auto tree = PosixLiveTree::open(t.root.string());
  REQUIRE(tree.ok());
  PosixLiveTree& live = **tree;

  // Files at the top and below, read and stat'ed.
  auto top = live.stat("top.json");
  REQUIRE(top.ok());
  REQUIRE(top->has_value());
  CHECK((*top)->kind == EntryKind::kFile);
  auto log = live.read("projects/-w/s.jsonl", 0, 1 << 20);
  REQUIRE(log.ok());
  CHECK(*log == "{\"a\":1}\n");
  LiveFacts facts;
  auto whole = live.read_whole("projects/-w/s.jsonl", &facts);
  REQUIRE(whole.ok());
  CHECK(facts.size == 8);

  // A link is seen as a link, never followed: not as the last component...
  auto link = live.stat("link.json");
  REQUIRE(link.ok());
  REQUIRE(link->has_value());
  CHECK((*link)->kind == EntryKind::kSymlink);
  CHECK((*link)->link_target == "top.json");
  auto through_link = live.read("link.json", 0, 100);
  REQUIRE_FALSE(through_link.ok());
  CHECK(through_link.error().sys_errno == ELOOP);
  // ...nor as a folder on the way.
  auto secret = live.stat("linked-dir/secret.json");
  REQUIRE(secret.ok());
  CHECK_FALSE(secret->has_value());
  CHECK_FALSE(live.read("linked-dir/secret.json", 0, 100).ok());
  CHECK_FALSE(live.read_whole("linked-dir/secret.json", &facts).ok());
  auto listed = live.list("linked-dir");
  REQUIRE(listed.ok());
  CHECK(listed->empty());
  // No escape upwards either.
  CHECK_FALSE(live.read("../outside/secret.json", 0, 100).ok());
  CHECK_FALSE(live.read("projects/../../outside/secret.json", 0, 100).ok());
  auto above = live.stat("..");
  REQUIRE(above.ok());
  CHECK_FALSE(above->has_value());
  auto above_list = live.list("projects/../..");
  REQUIRE_FALSE(above_list.ok());
  CHECK(above_list.error().sys_errno == EXDEV);

  // A FIFO is not opened as a file (and opening it does not block).
  auto fifo = live.read("fifo", 0, 100);
  REQUIRE_FALSE(fifo.ok());
  CHECK(fifo.error().sys_errno == EINVAL);

  // Missing things are "not there", not errors.
  auto missing = live.stat("projects/nope/x.jsonl");
  REQUIRE(missing.ok());
  CHECK_FALSE(missing->has_value());

  // A folder swapped for a link to the outside between batches: the next batch opens it by
  // path again and finds the link, not the folder it had open.
  REQUIRE(live.read("projects/-w/s.jsonl", 0, 100).ok());
  live.end_batch();
  fs::rename(t.root / "projects" / "-w", t.base / "moved-out");
  fs::copy_file(t.base / "outside" / "secret.json", t.base / "outside" / "s.jsonl");
  fs::create_directory_symlink(t.base / "outside", t.root / "projects" / "-w");
  auto swapped = live.stat("projects/-w/s.jsonl");
  REQUIRE(swapped.ok());
  CHECK_FALSE(swapped->has_value());
  CHECK_FALSE(live.read("projects/-w/s.jsonl", 0, 100).ok());
  CHECK_FALSE(live.read_whole("projects/-w/s.jsonl", &facts).ok());
  live.end_batch();

  // A file that grows or shrinks is read whole, whatever its size was.
  std::string big(200000, 'x');
  std::ofstream(t.root / "big.json") << big;
  auto read_big = live.read_whole("big.json", &facts);
  REQUIRE(read_big.ok());
  CHECK(*read_big == big);
  CHECK(facts.size == big.size());
  std::ofstream(t.root / "empty.json").flush();
  auto read_empty = live.read_whole("empty.json", &facts);
  REQUIRE(read_empty.ok());
  CHECK(read_empty->empty());
  set_openat2_allowed(true);
}

}  // namespace

TEST_CASE("live tree: reads beneath the root and never through a link (openat2)") { check_tree(true); }

TEST_CASE("live tree: the same without openat2 (one component at a time)") { check_tree(false); }

TEST_CASE("live tree: a file below a path longer than PATH_MAX is listed, stat'ed and read") {
  const bool openat2 = GENERATE(true, false);
  INFO("openat2: " << openat2);
  set_openat2_allowed(openat2);
  TreeFixture t;
  // 50 folders of 99 bytes, made one inside the other (no whole path opens past 4096 bytes).
  std::string deep;
  int fd = ::open(t.root.c_str(), O_RDONLY | O_DIRECTORY);
  for (int i = 0; i < 50; ++i) {
    std::string name = std::to_string(10 + i) + std::string(97, 'd');
    REQUIRE(::mkdirat(fd, name.c_str(), 0755) == 0);
    int next = ::openat(fd, name.c_str(), O_RDONLY | O_DIRECTORY);
    ::close(fd);
    fd = next;
    deep += (deep.empty() ? "" : "/") + name;
  }
  int f = ::openat(fd, "s.json", O_WRONLY | O_CREAT, 0644);
  REQUIRE(::write(f, "{\"deep\":1}", 10) == 10);
  ::close(f);
  ::close(fd);
  REQUIRE(deep.size() > 4096);
  auto tree = PosixLiveTree::open(t.root.string());
  REQUIRE(tree.ok());
  auto listed = (*tree)->list(deep);
  REQUIRE(listed.ok());
  REQUIRE(listed->size() == 1);
  CHECK(listed->front().first == "s.json");
  auto facts = (*tree)->stat(deep + "/s.json");
  REQUIRE(facts.ok());
  REQUIRE(facts->has_value());
  CHECK((*facts)->size == 10);
  LiveFacts read_facts;
  auto content = (*tree)->read_whole(deep + "/s.json", &read_facts);
  REQUIRE(content.ok());
  CHECK(*content == "{\"deep\":1}");
  set_openat2_allowed(true);
}

TEST_CASE("a live tree notices its root replaced or missing and reads the new folder once reopened") {
  TreeFixture t;
  auto tree = PosixLiveTree::open(t.root.string());
  REQUIRE(tree);
  PosixLiveTree& live = **tree;
  CHECK(live.check_root() == PosixLiveTree::RootCheck::kSame);

  // Moved away and made again: the old folder is still what is open until reopen().
  fs::rename(t.root, t.base / "moved");
  fs::create_directories(t.root);
  std::ofstream(t.root / "new.json") << "{\"new\":1}";
  CHECK(live.check_root() == PosixLiveTree::RootCheck::kReplaced);
  CHECK(live.stat("top.json").value().has_value());  // still the moved folder
  auto opened = live.reopen();
  REQUIRE(opened);
  CHECK(*opened);
  CHECK(live.check_root() == PosixLiveTree::RootCheck::kSame);
  CHECK_FALSE(live.stat("top.json").value().has_value());
  CHECK(live.stat("new.json").value().has_value());

  // Removed: missing, and once reopened an empty tree (nothing found, nothing listed).
  fs::remove_all(t.root);
  CHECK(live.check_root() == PosixLiveTree::RootCheck::kMissing);
  opened = live.reopen();
  REQUIRE(opened);
  CHECK_FALSE(*opened);
  CHECK_FALSE(live.stat("new.json").value().has_value());
  CHECK(live.list("").value().empty());
  auto read = live.read_whole("new.json", nullptr);
  REQUIRE_FALSE(read);
  CHECK(read.error().sys_errno == ENOENT);
  CHECK(live.check_root() == PosixLiveTree::RootCheck::kMissing);

  // Created again.
  fs::create_directories(t.root);
  std::ofstream(t.root / "again.json") << "{}";
  CHECK(live.check_root() == PosixLiveTree::RootCheck::kReplaced);
  opened = live.reopen();
  REQUIRE(opened);
  CHECK(*opened);
  CHECK(live.stat("again.json").value().has_value());
}
