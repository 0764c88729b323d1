#include "platform/beneath.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <vector>

#include "core/path_names.h"

namespace claude {

namespace {

// Splits rel into components, refusing empty, "." and ".." ones (an Error naming shown).
Result<std::vector<std::string>> components(const std::string& rel, const std::string& shown) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= rel.size()) {
    std::size_t slash = rel.find('/', start);
    std::string part =
        rel.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (part.empty() || part == "." || part == "..")
      return Error{"open", shown, EINVAL,
                   "not a plain relative path (empty, '.' or '..' component)", ""};
    parts.push_back(std::move(part));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return parts;
}

Error link_error(const std::string& shown, int err) {
  if (err == ELOOP)
    return Error{"open", shown, ELOOP,
                 "is a symlink (or lies below one); links are never followed here",
                 "remove the link; nothing was read through it"};
  return Error{"open", shown, err, "", ""};
}

bool g_no_openat2 = false;

}  // namespace

Result<UniqueFd> open_no_links(int dirfd, const std::string& rel, int flags,
                               const std::string& shown, mode_t mode) {
  auto parts = components(rel, shown);
  if (!parts.ok()) return parts.error();
  UniqueFd dir;
  int at = dirfd;
  for (std::size_t i = 0; i + 1 < parts->size(); ++i) {
    int fd = ::openat(at, (*parts)[i].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return link_error(shown, errno == ENOTDIR ? ELOOP : errno);
    dir = UniqueFd(fd);
    at = fd;
  }
  int fd = ::openat(at, parts->back().c_str(), flags | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0) {
    int err = errno;
    // O_DIRECTORY|O_NOFOLLOW on a link gives ENOTDIR on some kernels; tell the two apart.
    struct stat st {};
    if ((err == ENOTDIR || err == ELOOP) &&
        ::fstatat(at, parts->back().c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
      err = ELOOP;
    return link_error(shown, err);
  }
  return UniqueFd(fd);
}

Result<UniqueFd> open_beneath(int dirfd, const std::string& rel, int flags,
                              const std::string& shown, mode_t mode) {
  auto parts = components(rel, shown);
  if (!parts.ok()) return parts.error();
  if (!g_no_openat2) {
    open_how how{};
    how.flags = static_cast<std::uint64_t>(flags | O_CLOEXEC);
    how.mode = (flags & O_CREAT) ? mode : 0;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    long fd;
    do fd = ::syscall(SYS_openat2, dirfd, rel.c_str(), &how, sizeof how);
    while (fd < 0 && (errno == EAGAIN || errno == EINTR));
    if (fd >= 0) return UniqueFd(static_cast<int>(fd));
    if (errno == EXDEV)
      return Error{
          "open", shown, EXDEV, "leads out of the folder through a symlink",
          "nothing was read or written through the link; remove it or point it inside the folder"};
    if (errno != ENOSYS) return Error{"open", shown, errno, "", ""};
    g_no_openat2 = true;
  }
  return open_no_links(dirfd, rel, flags, shown, mode);
}

Result<std::pair<UniqueFd, std::string>> open_parent_beneath(int dirfd, const std::string& rel,
                                                             bool create, const std::string& shown,
                                                             mode_t mode) {
  auto parts = components(rel, shown);
  if (!parts.ok()) return parts.error();
  std::string leaf = parts->back();
  parts->pop_back();
  int dup = ::fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
  if (dup < 0) return Error{"open", shown, errno, "", ""};
  UniqueFd dir(dup);
  std::string sofar;
  for (const auto& part : *parts) {
    sofar += sofar.empty() ? part : "/" + part;
    auto next = open_beneath(dirfd, sofar, O_RDONLY | O_DIRECTORY, shown);
    if (!next.ok() && next.error().sys_errno == ENOENT && create) {
      if (::mkdirat(dir.get(), part.c_str(), mode) != 0 && errno != EEXIST)
        return Error{"create the folder", shown, errno, "", ""};
      next = open_beneath(dirfd, sofar, O_RDONLY | O_DIRECTORY, shown);
    }
    if (!next.ok()) return next.error();
    dir = std::move(*next);
  }
  return std::make_pair(std::move(dir), leaf);
}

Status read_chunks(int fd, std::uint64_t limit, const std::string& shown,
                   const std::function<void(std::string_view, std::uint64_t)>& sink) {
  constexpr std::size_t kChunk = 1 << 20;
  std::string buf(kChunk, '\0');
  std::uint64_t off = 0;
  while (off < limit) {
    ssize_t n = ::pread(fd, buf.data(),
                        static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, limit - off)),
                        static_cast<off_t>(off));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error{"read", shown, errno, "", ""};
    if (n == 0) break;
    sink(std::string_view(buf.data(), static_cast<std::size_t>(n)), off);
    off += static_cast<std::uint64_t>(n);
  }
  return Ok{};
}

namespace {

// One component at a time, each with O_NOFOLLOW: a folder replaced by a link fails with
// ELOOP or ENOTDIR instead of leading out of the tree. For kernels (or seccomp profiles)
// without openat2.
int open_dir_by_components(int root_fd, const std::string& rel_dir) {
  int fd = ::openat(root_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || rel_dir.empty()) return fd;
  std::size_t start = 0;
  while (start <= rel_dir.size()) {
    std::size_t end = rel_dir.find('/', start);
    if (end == std::string::npos) end = rel_dir.size();
    std::string part = rel_dir.substr(start, end - start);
    if (!part.empty() && part != ".") {
      int next = ::openat(fd, part.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      int e = errno;
      ::close(fd);
      if (next < 0) {
        errno = e;
        return -1;
      }
      fd = next;
    }
    start = end + 1;
  }
  return fd;
}

// Whether openat2 works here; cleared the first time it is missing (ENOSYS: before Linux
// 5.6) or refused (EPERM: a seccomp profile that predates it).
std::atomic<bool> g_openat2{true};

// openat2 with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS: one syscall that refuses a link in
// any component and any escape from root_fd, where the fallback walks every component.
// -2 when openat2 is unavailable (the caller falls back), else the fd or -1/errno.
int openat2_beneath(int root_fd, const std::string& rel, int flags) {
  if (!g_openat2.load(std::memory_order_relaxed)) return -2;
  open_how how{};
  how.flags = static_cast<std::uint64_t>(flags | O_NOFOLLOW | O_CLOEXEC);
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  long fd = ::syscall(SYS_openat2, root_fd, rel.c_str(), &how, sizeof how);
  if (fd >= 0) return static_cast<int>(fd);
  if (errno == ENOSYS || errno == EPERM) {
    // A read-only open of a folder or file has no EPERM of its own: this is the
    // syscall refused. Should it be a real answer, the fallback gives it again.
    g_openat2.store(false, std::memory_order_relaxed);
    return -2;
  }
  return -1;
}

}  // namespace

void set_openat2_allowed(bool allowed) { g_openat2.store(allowed, std::memory_order_relaxed); }

namespace {

// open_no_links_raw for a path short enough for one syscall.
int open_no_links_short(int root_fd, const std::string& rel, int flags);

}  // namespace

int open_no_links_raw(int root_fd, const std::string& rel, int flags) {
  if (has_dotdot(rel)) {
    errno = EXDEV;
    return -1;
  }
  if (rel.size() < kPathChunk) return open_no_links_short(root_fd, rel, flags);
  // Longer than the kernel takes in one path (PATH_MAX): a chain of opens, each of a part
  // below kPathChunk bytes ending at a '/', from the folder the one before opened.
  int dir = -1;
  std::size_t start = 0;
  while (rel.size() - start >= kPathChunk) {
    std::size_t cut = rel.rfind('/', start + kPathChunk - 1);
    if (cut == std::string::npos || cut <= start) {
      if (dir >= 0) ::close(dir);
      errno = ENAMETOOLONG;  // a single component longer than a chunk: no name is
      return -1;
    }
    int next = open_no_links_short(dir >= 0 ? dir : root_fd, rel.substr(start, cut - start), O_RDONLY | O_DIRECTORY);
    int e = errno;
    if (dir >= 0) ::close(dir);
    if (next < 0) {
      errno = e;
      return -1;
    }
    dir = next;
    start = cut + 1;
  }
  int fd = open_no_links_short(dir, rel.substr(start), flags);
  int e = errno;
  ::close(dir);
  errno = e;
  return fd;
}

namespace {

int open_no_links_short(int root_fd, const std::string& rel, int flags) {
  if (rel.empty()) return ::openat(root_fd, ".", flags | O_CLOEXEC);
  int fd = openat2_beneath(root_fd, rel, flags);
  if (fd != -2) return fd;
  std::string parent(parent_path(rel)), name(base_name(rel));
  UniqueFd dir{open_dir_by_components(root_fd, parent)};
  if (dir.get() < 0) return -1;
  return ::openat(dir.get(), name.c_str(), flags | O_NOFOLLOW | O_CLOEXEC);
}

}  // namespace

PathAt::PathAt(int root_fd, const std::string& rel) {
  if (rel.size() < kPathChunk) {
    dir = root_fd;
    name = rel;
    return;
  }
  auto slash = rel.rfind('/');
  owned = open_dir_no_links_raw(root_fd, rel.substr(0, slash));
  dir = owned;
  name = rel.substr(slash + 1);
}

int open_dir_no_links_raw(int root_fd, const std::string& rel_dir) {
  return open_no_links_raw(root_fd, rel_dir, O_RDONLY | O_DIRECTORY);
}

}  // namespace claude
