// A file's modification time as both binaries compare and record it: nanoseconds since the
// epoch, from a stat's st_mtim (journal entries, snapshots, credential freshness, backups).
#pragma once

#include <sys/stat.h>

#include <cstdint>

namespace claude {

inline std::int64_t mtime_ns(const struct stat& st) {
  return static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}

}  // namespace claude
