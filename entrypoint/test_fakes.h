// Fakes shared by the publisher's tests and the commit pipeline's: an Outbox kept in
// memory whose commits can be held (latches) and made to fail, and that counts what it did.
#pragma once

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <latch>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/sha256.h"
#include "entrypoint/outbox_tree.h"

namespace claude::test_fakes {

class FakeOutbox final : public Outbox {
 public:
  std::map<std::string, std::string> tree;
  std::map<std::string, std::string> staged;
  std::vector<JournalRecord> journaled;
  int fail_errno = 0;       // every write fails with this when set
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

}  // namespace claude::test_fakes
