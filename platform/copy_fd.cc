#include "platform/copy_fd.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "core/sha256.h"

namespace claude {

Result<std::uint64_t> copy_fd(int src_fd, int dst_fd, std::uint64_t length, const std::string& what) {
  loff_t in_off = 0, out_off = 0;
  while (static_cast<std::uint64_t>(out_off) < length) {
    const std::uint64_t left = length - static_cast<std::uint64_t>(out_off);
    ssize_t n = ::copy_file_range(src_fd, &in_off, dst_fd, &out_off, std::min<std::uint64_t>(left, 1U << 30), 0);
    if (n > 0) continue;
    if (n == 0) return static_cast<std::uint64_t>(out_off);  // the end of the source
    if (errno == EINTR) continue;
    if (out_off != 0 || (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)) {
      return Error{"copy", what, errno, "", "check free space"};
    }
    break;  // the kernel will not copy between these two: by hand, from the start
  }
  char buf[65536];
  while (static_cast<std::uint64_t>(out_off) < length) {
    const std::uint64_t left = length - static_cast<std::uint64_t>(out_off);
    ssize_t n = ::pread(src_fd, buf, std::min<std::uint64_t>(sizeof buf, left), out_off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error{"read", what, errno, "", ""};
    if (n == 0) break;
    for (ssize_t off = 0; off < n;) {
      ssize_t w = ::pwrite(dst_fd, buf + off, static_cast<std::size_t>(n - off), out_off + off);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) return Error{"write", what, errno, "", "check free space"};
      off += w;
    }
    out_off += n;
  }
  return static_cast<std::uint64_t>(out_off);
}

int current_umask() {
  FILE* f = std::fopen("/proc/self/status", "re");
  if (!f) return -1;
  char line[256];
  int mask = -1;
  while (std::fgets(line, sizeof line, f)) {
    if (std::strncmp(line, "Umask:", 6) == 0) {
      mask = static_cast<int>(std::strtol(line + 6, nullptr, 8));
      break;
    }
  }
  std::fclose(f);
  return mask;
}

bool umask_may_spoil(std::uint32_t perms, int umask) {
  return umask < 0 || (perms & ~0777u) != 0 || (perms & static_cast<std::uint32_t>(umask)) != 0;
}

Result<std::string> copy_fd_hashed(int src_fd, int dst_fd, std::uint64_t length, const std::string& what,
                                   std::uint64_t* copied_out) {
  auto copied = copy_fd(src_fd, dst_fd, length, what);
  if (!copied) return copied.error();
  if (copied_out) *copied_out = *copied;
  // Hash what landed in the destination, so the digest describes the published bytes.
  Sha256 sha;
  char buf[65536];
  for (std::uint64_t off = 0; off < *copied;) {
    ssize_t n = ::pread(dst_fd, buf, std::min<std::uint64_t>(sizeof buf, *copied - off), static_cast<off_t>(off));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Error{"read back", what, n < 0 ? errno : EIO, "", ""};
    sha.update(std::string_view(buf, static_cast<std::size_t>(n)));
    off += static_cast<std::uint64_t>(n);
  }
  return sha.hex_digest();
}

}  // namespace claude
