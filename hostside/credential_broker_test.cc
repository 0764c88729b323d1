#include "hostside/credential_broker.h"
#include "hostside/run_state.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

namespace fs = std::filesystem;
using namespace claude::host;

namespace {

std::string temp_dir(const std::string& name) {
  auto dir = fs::temp_directory_path() / ("credential_broker_test." + std::to_string(::getpid()) + "." + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

void put(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

std::string creds(const std::string& tag, long long expires) {
  return R"({"claudeAiOauth":{"accessToken":"a-)" + tag + R"(","refreshToken":"r-)" + tag + R"(","expiresAt":)" +
         std::to_string(expires) + "}}";
}

// The layout of a throw-away home: ~/.claude and ~/.claude-docker under `home`.
HostLayout home_layout(const std::string& home) {
  HostLayout layout;
  layout.home = home;
  layout.config_dir = home + "/.claude";
  layout.state_dir = home + "/.claude-docker";
  return layout;
}

bool wait_until(const std::function<bool()>& f, int ms) {
  auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (std::chrono::steady_clock::now() < end) {
    if (f()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return f();
}

}  // namespace

TEST_CASE("write_inbox_credentials: exactly the bytes, 0600, no temp file left", "[credential_broker]") {
  std::string inbox = temp_dir("inbox");
  REQUIRE(write_inbox_credentials(inbox, creds("x", 5)).ok());
  REQUIRE(write_inbox_credentials(inbox, creds("y", 6)).ok());
  std::ifstream in(inbox + "/.credentials.json");
  std::string got((std::istreambuf_iterator<char>(in)), {});
  CHECK(got == creds("y", 6));
  struct stat st{};
  REQUIRE(::stat((inbox + "/.credentials.json").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  int entries = 0;
  for (auto& e : fs::directory_iterator(inbox)) (void)e, ++entries;
  CHECK(entries == 1);
  CHECK_FALSE(write_inbox_credentials(inbox + "/missing", "{}").ok());
}

TEST_CASE("read_credential_copy follows no link at any component", "[credential_broker]") {
  std::string run = temp_dir("run");
  put(run + "/outbox/tree/.credentials.json", creds("t", 7));
  auto c = read_credential_copy(run, {"outbox", "tree", ".credentials.json"});
  REQUIRE(c);
  CHECK(c->text == creds("t", 7));
  CHECK(c->info.expires_at_ms == 7);
  CHECK(c->written_ns > 0);
  // A container that turns the file or a folder into a link gets nothing read.
  std::string secret = run + "/host-secret.json";
  put(secret, creds("host", 9));
  fs::remove(run + "/outbox/tree/.credentials.json");
  fs::create_symlink(secret, run + "/outbox/tree/.credentials.json");
  CHECK_FALSE(read_credential_copy(run, {"outbox", "tree", ".credentials.json"}));
  fs::remove_all(run + "/outbox/tree");
  fs::create_directories(run + "/elsewhere");
  put(run + "/elsewhere/.credentials.json", creds("e", 8));
  fs::create_symlink(run + "/elsewhere", run + "/outbox/tree");
  CHECK_FALSE(read_credential_copy(run, {"outbox", "tree", ".credentials.json"}));
  CHECK_FALSE(read_credential_copy(run, {"nothing", ".credentials.json"}));
}

TEST_CASE("newest_copy takes the newest login that has an access token", "[credential_broker]") {
  std::vector<CredentialCopy> copies(3);
  copies[0].text = creds("old", 100);
  copies[1].text = R"({"claudeAiOauth":{"expiresAt":999}})";  // no access token
  copies[2].text = creds("new", 200);
  for (auto& c : copies) c.info = claude::describe_credentials(c.text);
  const CredentialCopy* best = newest_copy(copies);
  REQUIRE(best);
  CHECK(best->text == creds("new", 200));
  CHECK(newest_copy({}) == nullptr);
}

TEST_CASE("one broker per home: a second waits, and takes over when the first stops", "[credential_broker]") {
  std::string home = temp_dir("home");
  HostLayout layout = home_layout(home);
  put(layout.credentials_file(), creds("h", 100));
  FileCredentialStore store(layout.credentials_file());
  auto first = std::make_unique<CredentialBroker>(layout, store, false, "r1");
  REQUIRE(wait_until([&] { return first->is_broker(); }, 1000));
  CredentialBroker second(layout, store, false, "r2");
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CHECK_FALSE(second.is_broker());
  std::ifstream lock(layout.broker_lock_path());
  std::string holder;
  std::getline(lock, holder);
  CHECK(holder == "pid " + std::to_string(::getpid()) + " (claude-host run r1)");
  auto stopped = std::chrono::steady_clock::now();
  first.reset();
  REQUIRE(wait_until([&] { return second.is_broker(); }, 250));
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - stopped);
  CHECK(took.count() < 250);
}

TEST_CASE("flock_write_holders reads the FLOCK WRITE holders of /proc/locks, not waiters or other locks",
          "[credential_broker]") {
  const char* text =
      "1: POSIX  ADVISORY  WRITE 100 08:01:11 0 EOF\n"
      "2: FLOCK  ADVISORY  WRITE 4711 00:2f:1234 0 EOF\n"
      "2: -> FLOCK  ADVISORY  WRITE 4712 00:2f:1234 0 EOF\n"
      "3: FLOCK  ADVISORY  READ 55 fd:00:99 0 EOF\n"
      "4: OFDLCK ADVISORY  WRITE -1 00:2f:77 0 EOF\n"
      "5: FLOCK  ADVISORY  WRITE 9 fd:01:18446744073709551615 0 EOF\n"
      "garbage\n";
  auto held = flock_write_holders(text);
  REQUIRE(held.size() == 2);
  CHECK(held[0] == LockedFile{0x00, 0x2f, 1234});
  CHECK(held[1] == LockedFile{0xfd, 0x01, 18446744073709551615ull});
  CHECK(flock_write_holders("").empty());
}

TEST_CASE("outbox_locked: a run's outbox is in use exactly while a flock is held on it", "[credential_broker]") {
  std::string home = temp_dir("outbox_locked");
  HostLayout layout = home_layout(home);
  fs::create_directories(layout.outbox_dir("r1"));
  fs::create_directories(layout.outbox_dir("r2"));
  auto proc_locks = [] {
    std::ifstream in("/proc/locks");
    return std::string((std::istreambuf_iterator<char>(in)), {});
  };
  CHECK_FALSE(outbox_locked(layout, "r1", flock_write_holders(proc_locks())));
  // As claude-init locks it: LOCK_EX on the folder itself.
  int fd = ::open(layout.outbox_dir("r1").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  REQUIRE(::flock(fd, LOCK_EX | LOCK_NB) == 0);
  auto held = flock_write_holders(proc_locks());
  CHECK(outbox_locked(layout, "r1", held));
  CHECK_FALSE(outbox_locked(layout, "r2", held));
  CHECK_FALSE(outbox_locked(layout, "missing", held));
  ::close(fd);
  CHECK_FALSE(outbox_locked(layout, "r1", flock_write_holders(proc_locks())));
}
