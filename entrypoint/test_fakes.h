// Fakes of the sync engine's side effects for the unit tests: a live tree and an outbox
// in memory (FakeLiveTree, FakeOutbox) and a watcher whose events the test delivers
// (FakeWatcher), shared by the tests of the publisher, the commit pipeline and the engine.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <latch>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/sha256.h"
#include "core/sync_planner.h"
#include "entrypoint/outbox_tree.h"
#include "entrypoint/sync_live_tree.h"
#include "entrypoint/watcher.h"

namespace claude {

class FakeLiveTree final : public LiveTree {
 public:
  std::map<std::string, std::string> files;
  std::uint64_t next_inode = 100;
  std::map<std::string, LiveFacts> facts_by_path;

  void write(const std::string& path, std::string content, bool new_inode = false) {
    files[path] = std::move(content);
    LiveFacts& f = facts_by_path[path];
    if (f.inode == 0 || new_inode) f.inode = ++next_inode;
    f.kind = EntryKind::kFile;
    f.size = files[path].size();
    f.mtime_ns += 1;
    f.mode = 0644;
  }
  Observation observe(const std::string& path) {
    auto it = facts_by_path.find(path);
    if (it == facts_by_path.end() || !files.count(path)) return {path, std::nullopt};
    return {path, it->second};
  }

  Result<std::optional<LiveFacts>> stat(const std::string& p) override { return observe(p).facts; }
  Result<std::vector<std::pair<std::string, LiveFacts>>> list(const std::string&) override {
    return std::vector<std::pair<std::string, LiveFacts>>{};
  }
  Result<std::string> read(const std::string& p, std::uint64_t offset, std::uint64_t max) override {
    if (!files.count(p)) return Error{"open", p, ENOENT, "", ""};
    const std::string& s = files[p];
    return offset >= s.size() ? std::string() : s.substr(offset, max);
  }
  Result<std::string> read_whole(const std::string& p, LiveFacts* facts) override {
    if (!files.count(p)) return Error{"open", p, ENOENT, "", ""};
    if (facts) *facts = facts_by_path[p];
    return files[p];
  }
  Result<int> open_regular(const std::string& p, LiveFacts* facts) override {
    if (!files.count(p)) return Error{"open", p, ENOENT, "", ""};
    if (facts) *facts = facts_by_path[p];
    int fd = ::memfd_create("live", MFD_CLOEXEC);
    if (fd < 0) return Error{"memfd_create", p, errno, "", ""};
    const std::string& s = files[p];
    if (::pwrite(fd, s.data(), s.size(), 0) != static_cast<ssize_t>(s.size())) {
      ::close(fd);
      return Error{"write", p, errno, "", ""};
    }
    return fd;
  }
};

class FakeOutbox final : public Outbox {
 public:
  std::map<std::string, std::string> tree;
  std::map<std::string, std::string> staged;
  std::vector<JournalRecord> journaled;
  int fail_errno = 0;  // every write fails with this when set
  int fail_sync_errno = 0;  // make_durable alone fails with this when set

  Status stage_put(const std::string& rel, std::string_view data, std::uint32_t) override {
    if (fail_errno) return Error{"write", rel, fail_errno, "", ""};
    std::lock_guard lock(mu);
    staged[rel] = std::string(data);
    ++puts_staged;
    return Ok{};
  }
  Result<std::string> stage_copy(const std::string& rel, int fd, std::uint64_t length, std::uint32_t,
                                 std::uint64_t* copied) override {
    if (fail_errno) return Error{"write", rel, fail_errno, "", ""};
    std::string data(length, '\0');
    ssize_t n = ::pread(fd, data.data(), length, 0);
    if (n < 0) return Error{"read", rel, errno, "", ""};
    data.resize(static_cast<std::size_t>(n));
    std::lock_guard lock(mu);
    staged[rel] = data;
    ++puts_staged;
    ++copies_staged;
    if (copied) *copied = data.size();
    return sha256_hex(data);
  }
  Status stage_symlink(const std::string& rel, const std::string& target) override {
    staged[rel] = "->" + target;
    return Ok{};
  }
  struct Set final : StagedSet {
    std::map<std::string, std::string> entries;
    void absorb(StagedSet& later) override {
      auto& more = static_cast<Set&>(later).entries;
      for (auto& [k, v] : more) entries[k] = std::move(v);
      more.clear();
    }
  };
  std::unique_ptr<StagedSet> take_staged() override {
    auto set = std::make_unique<Set>();
    std::lock_guard lock(mu);
    set->entries = std::move(staged);
    staged.clear();
    return set;
  }
  Status make_durable(StagedSet&) override {
    ++commits_started;
    if (std::latch* hold = hold_commits) hold->wait();
    if (fail_errno || fail_sync_errno) return Error{"sync", "", fail_errno ? fail_errno : fail_sync_errno, "", ""};
    return Ok{};
  }
  Status put_in_place(StagedSet& set, std::vector<std::string>* committed) override {
    ++links_started;
    if (std::latch* hold = hold_links) hold->wait();
    std::lock_guard lock(mu);
    for (auto& [k, v] : static_cast<Set&>(set).entries) {
      tree[k] = v;
      if (committed) committed->push_back(k);
    }
    return Ok{};
  }
  // When set, a commit waits for it in its sync (a batch held in flight), or before it
  // puts its files in place.
  std::atomic<std::latch*> hold_commits{nullptr};
  std::atomic<std::latch*> hold_links{nullptr};
  std::atomic<int> links_started{0};
  // tree and staged: a commit runs on the publisher's threads while the test stages.
  std::mutex mu;
  std::atomic<int> puts_staged{0};
  std::atomic<int> copies_staged{0};  // of them, through stage_copy
  std::atomic<int> commits_started{0};
  Status append(const std::string& rel, std::string_view data, std::uint64_t expected) override {
    if (fail_errno) return Error{"write", rel, fail_errno, "", ""};
    std::lock_guard lock(mu);
    if (!tree.count(rel)) return Error{"open", rel, ENOENT, "", ""};
    if (tree[rel].size() != expected) return Error{"append to", rel, 0, "size changed", ""};
    tree[rel] += data;
    return Ok{};
  }
  Status remove(const std::string& rel) override {
    if (fail_errno) return Error{"remove", rel, fail_errno, "", ""};
    tree.erase(rel);
    return Ok{};
  }
  Status rename(const std::string& from, const std::string& to) override {
    if (!tree.count(from)) return Error{"rename", from, ENOENT, "", ""};
    tree[to] = tree[from];
    tree.erase(from);
    return Ok{};
  }
  Status sync() override { return Ok{}; }
  Status journal(std::vector<JournalRecord>& records) override {
    if (fail_errno) return Error{"write", "journal.jsonl", fail_errno, "", ""};
    for (auto& r : records) {
      r.seq = journaled.size() + 1;
      journaled.push_back(r);
    }
    return Ok{};
  }
};

// A watcher whose events the test delivers: emit() as the loop would, or queue() them
// for the next drain() (a barrier). Folders in at_limit are past the watch limit.
class FakeWatcher final : public Watcher {
 public:
  std::set<std::string> watched;
  std::set<std::string> at_limit;
  std::vector<WatchEvent> queued;
  std::string failure_text;

  Result<AddResult> add(const std::string& rel_dir) override {
    if (at_limit.count(rel_dir)) return AddResult::kLimit;
    watched.insert(rel_dir);
    return AddResult::kWatched;
  }
  void remove_subtree(const std::string& rel_dir) override {
    for (auto it = watched.begin(); it != watched.end();) {
      it = under(*it, rel_dir) ? watched.erase(it) : std::next(it);
    }
  }
  void move_subtree(const std::string& from, const std::string& to) override {
    std::set<std::string> moved;
    for (auto it = watched.begin(); it != watched.end();) {
      if (under(*it, from)) {
        moved.insert(to + it->substr(from.size()));
        it = watched.erase(it);
      } else {
        ++it;
      }
    }
    watched.merge(moved);
  }
  std::size_t watch_count() const override { return watched.size(); }
  Status start(Sink s) override {
    sink = std::move(s);
    return Ok{};
  }
  std::size_t drain() override {
    std::vector<WatchEvent> events = std::move(queued);
    queued.clear();
    if (!events.empty() && sink) sink(events);
    return events.size();
  }
  const std::string& failure() const override { return failure_text; }

  void emit(std::vector<WatchEvent> events) {
    if (sink) sink(events);
  }
  void queue(WatchEvent event) { queued.push_back(std::move(event)); }
  bool started() const { return static_cast<bool>(sink); }

 private:
  static bool under(const std::string& path, const std::string& dir) {
    return dir.empty() || path == dir || (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
                                          path[dir.size()] == '/');
  }
  Sink sink;
};

}  // namespace claude
