#include "platform/beneath.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

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

}  // namespace claude
