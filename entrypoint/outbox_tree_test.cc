#include "entrypoint/outbox_tree.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <catch2/catch.hpp>

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
