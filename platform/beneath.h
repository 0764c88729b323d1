// Opening paths beneath a folder descriptor, for trees that someone else controls (a
// container's outbox) or that must not be left through a link (the user's config folder).
// Never a whole path string handed to the kernel from the filesystem root.
#pragma once

#include <sys/types.h>

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

}  // namespace claude
