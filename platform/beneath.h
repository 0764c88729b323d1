// Opening paths beneath a folder descriptor, for trees that someone else controls (a
// container's outbox) or that must not be left through a link (the user's config folder,
// the container's live config tree and its outbox). Never a whole path string handed to
// the kernel from the filesystem root.
#pragma once

#include <sys/types.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>

#include "core/result.h"
#include "platform/unique_fd.h"

namespace claude {

// Opens `rel` ('/'-separated, relative, no '.' or '..' components) beneath dirfd without
// following a link in any component: every folder is opened O_NOFOLLOW|O_DIRECTORY and
// the last component with flags|O_NOFOLLOW. A link anywhere is an Error with ELOOP whose
// detail says "is a symlink" and names `shown` (the path as the user knows it); a missing
// component is ENOENT.
Result<UniqueFd> open_no_links(int dirfd, const std::string& rel, int flags,
                               const std::string& shown, mode_t mode = 0);

// Opens `rel` beneath dirfd following only links that resolve inside dirfd's folder
// (openat2 with RESOLVE_BENEATH: a link whose target, resolved through every other link,
// leaves the folder is an Error with EXDEV whose detail says "leads out of"). Where the
// kernel has no openat2, no link is followed at all (as open_no_links).
Result<UniqueFd> open_beneath(int dirfd, const std::string& rel, int flags,
                              const std::string& shown, mode_t mode = 0);

// The folder holding rel, opened with open_beneath; missing folders are made with `mode`
// when `create`. Also returns rel's last component.
Result<std::pair<UniqueFd, std::string>> open_parent_beneath(int dirfd, const std::string& rel,
                                                             bool create, const std::string& shown,
                                                             mode_t mode = 0700);

// Reads fd from offset 0 (pread: its file offset is not used) up to `limit` bytes or its
// end, in 1 MiB chunks, handing each to `sink` with its offset. A read error is an Error
// with errno naming `shown`.
Status read_chunks(int fd, std::uint64_t limit, const std::string& shown,
                   const std::function<void(std::string_view, std::uint64_t)>& sink);

// Paths at least this long are opened part by part (each part shorter, from the folder
// the part before opened): the kernel refuses a path of PATH_MAX (4096) bytes or more.
inline constexpr std::size_t kPathChunk = 3072;

// Opens rel ("" = the root itself) under root_fd with `flags` (O_CLOEXEC and O_NOFOLLOW
// added) without following a link in any component: openat2 RESOLVE_BENEATH |
// RESOLVE_NO_SYMLINKS, or one component at a time with O_NOFOLLOW where openat2 is
// missing. Any length: a path of kPathChunk bytes or more is opened as a chain of
// shorter parts. A ".." component is refused (EXDEV). -1 with errno set on failure; the
// caller closes the fd.
// Unlike open_no_links, it takes any length and "" and has no Error to build: for the
// sync engine's hot paths, which read errno.
int open_no_links_raw(int root_fd, const std::string& rel, int flags);

// open_no_links_raw for a folder.
int open_dir_no_links_raw(int root_fd, const std::string& rel_dir);

// rel (relative to root_fd) as the *at calls take it: root_fd and rel itself while rel is
// shorter than kPathChunk, else rel's parent folder opened beneath root_fd part by part
// (open_dir_no_links_raw) and rel's last component — deep trees are reached this way, never by
// one path of PATH_MAX bytes or more, which the kernel refuses. dir is -1 (errno set) when
// that parent cannot be opened.
struct PathAt {
  int dir = -1;
  std::string name;
  int owned = -1;
  PathAt(int root_fd, const std::string& rel);
  ~PathAt() {
    if (owned >= 0) ::close(owned);
  }
  PathAt(const PathAt&) = delete;
  PathAt& operator=(const PathAt&) = delete;
  const char* c_name() const { return name.c_str(); }
};

// Whether open_no_links_raw (and PathAt) may try openat2 (the default; it turns itself
// off where the kernel lacks it). The tests turn it off to run the one-component-at-a-time
// walk as well. open_beneath has no such switch.
void set_openat2_allowed(bool allowed);

}  // namespace claude
