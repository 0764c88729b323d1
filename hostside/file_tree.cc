#include "hostside/file_tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>

#include "core/manifest.h"
#include "platform/file_time.h"

namespace claude::host {
namespace {

struct DirCloser {
  void operator()(DIR* d) const { ::closedir(d); }
};

TreeEntry from_stat(const std::string& rel, const struct stat& st) {
  TreeEntry e;
  e.rel = rel;
  e.size = static_cast<std::uint64_t>(st.st_size);
  e.mtime_ns = mtime_ns(st);
  e.inode = st.st_ino;
  e.mode = st.st_mode & 07777;
  e.kind = S_ISDIR(st.st_mode) ? EntryKind::kDir : S_ISLNK(st.st_mode) ? EntryKind::kSymlink : EntryKind::kFile;
  return e;
}

Status walk(const std::string& root, const std::string& rel_dir, const EntryFilter& keep, ScanOptions options,
            std::vector<TreeEntry>& out) {
  std::string dir_path = rel_dir.empty() ? root : root + "/" + rel_dir;
  std::unique_ptr<DIR, DirCloser> dir(::opendir(dir_path.c_str()));
  if (!dir) {
    if (errno == ENOENT && rel_dir.empty()) return Ok{};
    return Error{"read the folder", dir_path, errno, "", "make it readable (chmod u+rx) or add it to the excludes"};
  }
  std::vector<std::string> names;
  while (dirent* d = ::readdir(dir.get())) {
    std::string name = d->d_name;
    if (name != "." && name != "..") names.push_back(std::move(name));
  }
  std::sort(names.begin(), names.end());
  for (const auto& name : names) {
    std::string rel = rel_dir.empty() ? name : rel_dir + "/" + name;
    std::string full = root + "/" + rel;
    struct stat st{};
    if (::lstat(full.c_str(), &st) != 0) {
      if (errno == ENOENT) continue;  // vanished while we looked: not an error
      return Error{"inspect", full, errno, "", ""};
    }
    bool is_dir = S_ISDIR(st.st_mode);
    if (!keep(rel, is_dir)) continue;
    if (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) || S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
      if (!options.strict) continue;
      return Error{"stage", full, 0, "is a FIFO, socket or device, not a regular file",
                   "remove it, or add its name to \"exclude\" in ~/.claude-docker/config.json"};
    }
    TreeEntry e = from_stat(rel, st);
    if (S_ISLNK(st.st_mode)) {
      char buf[4096];
      ssize_t n = ::readlink(full.c_str(), buf, sizeof buf);
      if (n < 0) return Error{"read the symlink", full, errno, "", ""};
      e.target.assign(buf, static_cast<size_t>(n));
      if (options.strict && !symlink_stays_inside(rel, e.target))
        return Error{"stage", full, 0, "is a symlink to '" + e.target + "', outside the folder being staged",
                     "replace the link with a copy of what it points to, or add its name to \"exclude\" in "
                     "~/.claude-docker/config.json"};
    }
    out.push_back(e);
    if (is_dir) {
      Status s = walk(root, rel, keep, options, out);
      if (!s.ok()) return s;
    }
  }
  return Ok{};
}

}  // namespace

Result<std::vector<TreeEntry>> scan_tree(const std::string& root, const EntryFilter& keep, ScanOptions options) {
  std::vector<TreeEntry> out;
  Status s = walk(root, "", keep, options, out);
  if (!s.ok()) return s.error();
  std::sort(out.begin(), out.end(), [](const TreeEntry& a, const TreeEntry& b) { return a.rel < b.rel; });
  return out;
}

Result<TreeEntry> stat_entry(const std::string& path) {
  struct stat st{};
  if (::lstat(path.c_str(), &st) != 0) return Error{"inspect", path, errno, "", ""};
  TreeEntry e = from_stat(path, st);
  if (e.kind == EntryKind::kSymlink) {
    char buf[4096];
    ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
    if (n >= 0) e.target.assign(buf, static_cast<size_t>(n));
  }
  return e;
}

Status make_dirs(const std::string& dir, unsigned mode) {
  if (dir.empty()) return Ok{};
  std::string partial;
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = dir.find('/', pos + 1);
    partial = dir.substr(0, pos);
    if (partial.empty()) continue;
    if (::mkdir(partial.c_str(), mode) != 0 && errno != EEXIST)
      return Error{"make the folder", partial, errno, "", "check the permissions of its parent"};
  }
  struct stat st{};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return Error{"make the folder", dir, ENOTDIR, "", "something that is not a folder is in the way; move it"};
  return Ok{};
}

}  // namespace claude::host
