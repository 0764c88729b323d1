// Walking a folder of Claude state safely: what is there, as regular files, folders and
// symlinks. FIFOs, sockets and devices are refused (reading one would block or read a
// device), as are symlinks that lead out of the folder; the caller decides per entry what
// to skip, and skipped folders are not entered.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/result.h"

namespace claude::host {

enum class EntryKind { kFile, kDir, kSymlink };

struct TreeEntry {
  std::string rel;  // '/'-separated, relative to the root
  EntryKind kind = EntryKind::kFile;
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
  std::uint64_t inode = 0;
  std::uint32_t mode = 0;  // permission bits
  std::string target;      // symlinks
};

// Returns true to include rel (and, for a folder, to enter it).
using EntryFilter = std::function<bool(const std::string& rel, bool is_dir)>;

// strict: refuse FIFOs, sockets, devices and symlinks leading out of root (staging);
// otherwise skip the special files and record every symlink as it is (backups).
struct ScanOptions {
  bool strict = true;
};

// Every entry under root accepted by `keep`, sorted by rel. A missing root gives an empty
// list. Errors name the offending path and the fix: a FIFO, socket or device; a symlink
// whose target is absolute or climbs out of root (strict only); an unreadable folder.
Result<std::vector<TreeEntry>> scan_tree(const std::string& root, const EntryFilter& keep,
                                         ScanOptions options = {});

// lstat of one path as a TreeEntry (rel = path); ENOENT as an Error with that errno.
Result<TreeEntry> stat_entry(const std::string& path);

// Makes dir and its parents with `mode` for the ones it creates.
Status make_dirs(const std::string& dir, unsigned mode = 0700);

}  // namespace claude::host
