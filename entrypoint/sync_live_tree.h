// Read access to the live config tree, never through a symlink: paths are opened relative
// to the root's fd with no link allowed in any component (openat2, or O_NOFOLLOW on each
// component), so a link (or a folder swapped for a link) can never make the sync engine
// read or list anything outside the tree.
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/link_resolution.h"
#include "core/result.h"
#include "core/sync_planner.h"
#include "platform/unique_fd.h"

namespace claude {

class LiveTree {
 public:
  virtual ~LiveTree() = default;
  // lstat of rel_path ("" is the root): nullopt when it (or a parent) does not exist or a
  // parent is not a folder; an Error for other failures.
  virtual Result<std::optional<LiveFacts>> stat(const std::string& rel_path) = 0;
  // The entries of a folder with their lstat facts, "." and ".." left out. A folder that
  // vanished is an empty list.
  virtual Result<std::vector<std::pair<std::string, LiveFacts>>> list(const std::string& rel_dir) = 0;
  // Up to max_bytes of a regular file from offset. ENOENT (sys_errno) when it vanished;
  // ELOOP when a component is a symlink.
  virtual Result<std::string> read(const std::string& rel_path, std::uint64_t offset,
                                   std::uint64_t max_bytes) = 0;
  // The whole regular file, and in facts_out the fstat of the same open file taken before
  // reading: a write during the read makes the next look see different facts and publish
  // again, so a publish never records facts newer than the bytes it sent.
  virtual Result<std::string> read_whole(const std::string& rel_path, LiveFacts* facts_out) = 0;
  // The regular file opened for reading (never through a link), and in facts_out the
  // fstat of that open file: for copying a file kernel-side or in chunks without holding
  // it in memory. The caller closes the fd. Errors as read().
  virtual Result<int> open_regular(const std::string& rel_path, LiveFacts* facts_out) = 0;
  // Ends a batch of looks: folders kept open for it are closed, so the next batch opens
  // them again by path and sees any folder renamed or replaced in between.
  virtual void end_batch() {}

  enum class RootCheck { kSame, kReplaced, kMissing };
  // Whether the root path still names the folder open as the root, another folder, or
  // nothing. A tree that is not a folder on disk (the tests' fakes) is always the same.
  virtual RootCheck check_root() const { return RootCheck::kSame; }
  // Opens the root path again (after a check said it changed): true when it names a
  // folder now, false when it is missing. A tree that is not on disk is always there.
  virtual Result<bool> reopen() { return true; }
};

// The live tree's links as core/link_resolution.h asks for them: the target when the entry
// is a symbolic link (looked at beneath the root, never through a link); a folder, a file,
// nothing, or an error reading it is "not a link".
class LiveLinks final : public LinkLookup {
 public:
  explicit LiveLinks(LiveTree& live) : live_(live) {}
  std::optional<std::string> link_target(std::string_view rel_path) const override;

 private:
  LiveTree& live_;
};

// The real tree under `root` (which must exist and be a folder).
class PosixLiveTree final : public LiveTree {
 public:
  static Result<std::unique_ptr<PosixLiveTree>> open(const std::string& root);
  ~PosixLiveTree() override;
  PosixLiveTree(const PosixLiveTree&) = delete;
  PosixLiveTree& operator=(const PosixLiveTree&) = delete;

  Result<std::optional<LiveFacts>> stat(const std::string& rel_path) override;
  Result<std::vector<std::pair<std::string, LiveFacts>>> list(const std::string& rel_dir) override;
  Result<std::string> read(const std::string& rel_path, std::uint64_t offset,
                           std::uint64_t max_bytes) override;
  Result<std::string> read_whole(const std::string& rel_path, LiveFacts* facts_out) override;
  Result<int> open_regular(const std::string& rel_path, LiveFacts* facts_out) override;
  void end_batch() override;

  // Whether the root path still names the folder open as the root (same device and
  // inode), another folder, or nothing (or not a folder).
  RootCheck check_root() const override;
  // Opens the root path again (after a check said it changed): true when it names a
  // folder now, false when it is missing — then the tree is empty (stat finds nothing,
  // lists are empty, reads fail with ENOENT) until a reopen finds it.
  Result<bool> reopen() override;

  const std::string& root() const { return root_; }
  int root_fd() const { return root_fd_; }

 private:
  PosixLiveTree(std::string root, int fd) : root_(std::move(root)), root_fd_(fd) {}
  // The folder rel_dir ("" = the root), opened beneath the root without links and kept
  // open until end_batch: a burst in one folder walks its path once, not once per file.
  // The fd is borrowed; -1 with errno set on failure.
  int folder(const std::string& rel_dir);
  // An open regular file rel_path with its fstat in *st; -1/errno (ELOOP for a link,
  // EINVAL for anything but a regular file).
  int open_file(const std::string& rel_path, struct stat* st);

  std::string root_;
  int root_fd_ = -1;
  std::unordered_map<std::string, int> folders_;
};

// lstat-style facts from a struct stat (exposed for the seeder and the tests).
LiveFacts facts_from_stat(const struct stat& st);

}  // namespace claude
