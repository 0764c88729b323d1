// Copying between open files in the kernel (copy_file_range), with a read/write fallback
// where the kernel refuses: across filesystems (EXDEV, e.g. a container's filesystem and
// a bind mount), and EINVAL/ENOSYS/EOPNOTSUPP on older kernels or special filesystems.
// Shared by claude-init (publishing, seeding) and claude-host (restores).
#pragma once

#include <cstdint>
#include <string>

#include "core/result.h"

namespace claude {

// Copies up to `length` bytes (UINT64_MAX: to the end) from src_fd at offset 0 to dst_fd
// at offset 0, neither fd's file offset used. Returns the bytes copied (fewer than
// `length` when the source is shorter). `what` names the copy in errors.
Result<std::uint64_t> copy_fd(int src_fd, int dst_fd, std::uint64_t length, const std::string& what);

}  // namespace claude
