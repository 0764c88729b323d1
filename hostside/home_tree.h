// The user's Claude config folder (~/.claude, or $CLAUDE_CONFIG_DIR) as read-back writes
// it: every path is reached beneath the folder, through a link only when the link
// resolves inside it (judged by the kernel, against the folder as it is, through every
// other link), and every write is a temp file beside the destination, synced and renamed
// into place. So nothing a container left can make read-back write outside the folder.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "core/readback_plan.h"
#include "core/result.h"
#include "platform/beneath.h"

namespace claude::host {

class HomeTree {
 public:
  // Opens root (following it: the user chose where it is); made 0700 when missing.
  static Result<HomeTree> open(const std::string& root);

  const std::string& root() const { return root_; }

  // What is at rel now: absent; a regular file (size, sha256, mtime); or something that is
  // never written through (a folder, a link, a special file, a path through a link that
  // leads out), with `other` saying what.
  Result<HostEntry> look(const std::string& rel) const;

  // The whole file, refused above max_bytes; an Error with ENOENT when absent.
  Result<std::string> read(const std::string& rel, std::uint64_t max_bytes) const;

  // The sha256 of the first n bytes of rel (empty when it is shorter).
  Result<std::string> prefix_sha256(const std::string& rel, std::uint64_t n) const;

  // Replaces (or creates, with missing folders 0700) rel with data, atomically, mode `mode`.
  Status write(const std::string& rel, std::string_view data, unsigned mode) const;

  // Appends `addition` to rel as one atomic replacement (rel's bytes then addition, renamed
  // over it), keeping rel's mode. Refused with EAGAIN when rel is no longer `expected_size`
  // bytes when the copy is done (someone appended meanwhile: plan again).
  Status append(const std::string& rel, std::string_view addition,
                std::uint64_t expected_size) const;

  // Copies the file at `from` to `to` (atomically, same mode).
  Status copy(const std::string& from, const std::string& to) const;

  // Removes the file at rel (absent is fine).
  Status remove(const std::string& rel) const;

  // Creates the symlink rel -> target, only when target resolves to something that exists
  // inside the folder (through every link there); otherwise an Error naming the link.
  Status symlink(const std::string& rel, const std::string& target) const;

 private:
  HomeTree(std::string root, UniqueFd fd) : root_(std::move(root)), fd_(std::move(fd)) {}
  std::string shown(const std::string& rel) const { return root_ + "/" + rel; }
  // Removes the temps a killed read-back left in `dir` (once per folder and instance).
  void remove_stale_temps(int dir) const;
  mutable std::set<std::pair<dev_t, ino_t>> swept_;
  std::string root_;
  UniqueFd fd_;
};

}  // namespace claude::host
