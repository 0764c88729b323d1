// Remembers the sha256 of files by (path, size, mtime, inode), so that re-staging and
// backing up hash only what changed. A file whose stat matches is trusted to be unchanged
// (the same rule rsync and git use); anything else is hashed again.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "core/result.h"
#include "hostside/file_tree.h"

namespace claude::host {

class HashCache {
 public:
  // Loads the cache at path; a missing or unreadable cache starts empty (it is only a
  // cache), but remembers the path for save().
  static HashCache load(const std::string& path);

  // The remembered digest when abs_path's stat still matches `e`.
  std::optional<std::string> lookup(const std::string& abs_path, const TreeEntry& e);
  void remember(const std::string& abs_path, const TreeEntry& e, const std::string& sha256);
  // Writes the cache atomically (only the entries looked up or remembered since load, so
  // files that are gone drop out).
  Status save() const;

  std::size_t hits() const { return hits_; }

 private:
  struct Key {
    std::uint64_t size;
    std::int64_t mtime_ns;
    std::uint64_t inode;
    std::string sha256;
  };
  std::string path_;
  std::map<std::string, Key> old_;
  std::map<std::string, Key> used_;
  std::size_t hits_ = 0;
};

}  // namespace claude::host
