// Copying between open files in the kernel (copy_file_range), with a read/write fallback
// where the kernel refuses: across filesystems (EXDEV, e.g. a container's filesystem and
// a bind mount), and EINVAL/ENOSYS/EOPNOTSUPP on older kernels or special filesystems.
// Shared by claude-init (publishing, seeding) and claude-host (restores). Beside it, what
// a copy's destination needs: the sha256 of the bytes that landed there, and whether its
// mode must be set again after the create (the umask).
#pragma once

#include <cstdint>
#include <string>

#include "core/result.h"

namespace claude {

// Copies up to `length` bytes (UINT64_MAX: to the end) from src_fd at offset 0 to dst_fd
// at offset 0, neither fd's file offset used. Returns the bytes copied (fewer than
// `length` when the source is shorter). `what` names the copy in errors.
Result<std::uint64_t> copy_fd(int src_fd, int dst_fd, std::uint64_t length, const std::string& what);

// The process's umask from /proc/self/status (Linux 4.7+), read without changing it (a
// umask(2) round trip would briefly change it for every thread); -1 when unknown.
int current_umask();

// Whether a file created with permission bits `perms` under `umask` (-1: unknown) could
// come out with other bits, so that its mode must be set again on the fd after the create.
bool umask_may_spoil(std::uint32_t perms, int umask);

// Copies `length` bytes from src_fd (at its offset 0) to dst_fd (copy_fd) and returns
// the sha256 of the bytes that landed in dst_fd, read back from it.
Result<std::string> copy_fd_hashed(int src_fd, int dst_fd, std::uint64_t length,
                                   const std::string& what, std::uint64_t* copied = nullptr);

}  // namespace claude
