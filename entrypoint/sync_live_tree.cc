#include "entrypoint/sync_live_tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "core/path_names.h"
#include "platform/beneath.h"
#include "platform/file_time.h"

namespace claude {
namespace {

std::pair<std::string, std::string> split_parent(const std::string& rel_path) {
  return {std::string(parent_path(rel_path)), std::string(base_name(rel_path))};
}

bool vanished(int e) { return e == ENOENT || e == ENOTDIR; }

}  // namespace

LiveFacts facts_from_stat(const struct stat& st) {
  LiveFacts f;
  f.size = static_cast<std::uint64_t>(st.st_size);
  f.mtime_ns = mtime_ns(st);
  f.ctime_ns = static_cast<std::int64_t>(st.st_ctim.tv_sec) * 1000000000 + st.st_ctim.tv_nsec;
  f.inode = static_cast<std::uint64_t>(st.st_ino);
  f.mode = static_cast<std::uint32_t>(st.st_mode & 07777);
  if (S_ISREG(st.st_mode)) {
    f.kind = EntryKind::kFile;
  } else if (S_ISDIR(st.st_mode)) {
    f.kind = EntryKind::kDirectory;
  } else if (S_ISLNK(st.st_mode)) {
    f.kind = EntryKind::kSymlink;
  } else {
    f.kind = EntryKind::kOther;
    f.other_type = S_ISFIFO(st.st_mode) ? "FIFO" : S_ISSOCK(st.st_mode) ? "socket" : "device";
  }
  return f;
}

std::optional<std::string> LiveLinks::link_target(std::string_view rel_path) const {
  auto facts = live_.stat(std::string(rel_path));
  if (!facts || !*facts || (*facts)->kind != EntryKind::kSymlink) return std::nullopt;
  return std::move((*facts)->link_target);
}

Result<std::unique_ptr<PosixLiveTree>> PosixLiveTree::open(const std::string& root) {
  int fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Error{"open live folder", root, errno, "", "check --live-dir"};
  return std::unique_ptr<PosixLiveTree>(new PosixLiveTree(root, fd));
}

PosixLiveTree::RootCheck PosixLiveTree::check_root() const {
  struct stat now{}, open{};
  if (::lstat(root_.c_str(), &now) != 0) return RootCheck::kMissing;
  if (S_ISLNK(now.st_mode)) {
    // A link is followed only when it leads to the folder already open (a live dir
    // configured through a link): a live dir replaced by a link (to ~/.ssh, say) is never
    // read through; until a real folder is back it counts as missing.
    struct stat target{};
    return ::stat(root_.c_str(), &target) == 0 && root_fd_ >= 0 && ::fstat(root_fd_, &open) == 0 &&
                   target.st_dev == open.st_dev && target.st_ino == open.st_ino
               ? RootCheck::kSame
               : RootCheck::kMissing;
  }
  if (!S_ISDIR(now.st_mode)) return RootCheck::kMissing;
  if (root_fd_ < 0 || ::fstat(root_fd_, &open) != 0) return RootCheck::kReplaced;
  return now.st_dev == open.st_dev && now.st_ino == open.st_ino ? RootCheck::kSame : RootCheck::kReplaced;
}

Result<bool> PosixLiveTree::reopen() {
  end_batch();
  // Never through a link: a live dir replaced by one stays missing (check_root).
  int fd = ::open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 && errno == ELOOP) errno = ENOENT;
  if (fd < 0 && !vanished(errno)) return Error{"open live folder", root_, errno, "", "check --live-dir"};
  if (root_fd_ >= 0) ::close(root_fd_);
  root_fd_ = fd;
  return fd >= 0;
}

PosixLiveTree::~PosixLiveTree() {
  end_batch();
  if (root_fd_ >= 0) ::close(root_fd_);
}

int PosixLiveTree::folder(const std::string& rel_dir) {
  if (root_fd_ < 0) {
    errno = ENOENT;  // the root is missing: so is everything under it
    return -1;
  }
  if (rel_dir.empty()) return root_fd_;
  if (auto it = folders_.find(rel_dir); it != folders_.end()) return it->second;
  // Bounded: a batch over many folders keeps at most this many open.
  constexpr std::size_t kMaxFolders = 64;
  if (folders_.size() >= kMaxFolders) end_batch();
  int fd = open_dir_no_links_raw(root_fd_, rel_dir);
  if (fd >= 0) folders_.emplace(rel_dir, fd);
  return fd;
}

void PosixLiveTree::end_batch() {
  for (auto& [dir, fd] : folders_) ::close(fd);
  folders_.clear();
}

int PosixLiveTree::open_file(const std::string& rel_path, struct stat* st) {
  if (has_dotdot(rel_path)) {
    errno = EXDEV;
    return -1;
  }
  auto [parent, name] = split_parent(rel_path);
  int dir_fd = folder(parent);
  if (dir_fd < 0) return -1;
  // O_NONBLOCK: opening a FIFO that replaced the file must not block the loop.
  int fd = ::openat(dir_fd, name.c_str(), O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return -1;
  if (::fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
    ::close(fd);
    errno = EINVAL;
    return -1;
  }
  return fd;
}

Result<std::optional<LiveFacts>> PosixLiveTree::stat(const std::string& rel_path) {
  if (has_dotdot(rel_path)) return std::optional<LiveFacts>{};  // never anything above the root
  auto [parent, name] = split_parent(rel_path);
  const int dir_fd = folder(parent);
  if (dir_fd < 0) {
    if (vanished(errno) || errno == ELOOP) return std::optional<LiveFacts>{};
    return Error{"open folder", root_ + "/" + parent, errno, "", ""};
  }
  struct stat st{};
  if (::fstatat(dir_fd, name.empty() ? "." : name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (vanished(errno)) return std::optional<LiveFacts>{};
    return Error{"stat", root_ + "/" + rel_path, errno, "", ""};
  }
  LiveFacts facts = facts_from_stat(st);
  if (facts.kind == EntryKind::kSymlink) {
    char buf[4096];
    ssize_t n = ::readlinkat(dir_fd, name.c_str(), buf, sizeof buf);
    if (n < 0) {
      if (vanished(errno)) return std::optional<LiveFacts>{};
      return Error{"read link", root_ + "/" + rel_path, errno, "", ""};
    }
    facts.link_target.assign(buf, static_cast<std::size_t>(n));
  }
  return std::optional<LiveFacts>(std::move(facts));
}

Result<std::vector<std::pair<std::string, LiveFacts>>> PosixLiveTree::list(const std::string& rel_dir) {
  std::vector<std::pair<std::string, LiveFacts>> out;
  if (root_fd_ < 0) return out;
  int fd = open_dir_no_links_raw(root_fd_, rel_dir);
  if (fd < 0) {
    if (vanished(errno) || errno == ELOOP) return out;
    return Error{"open folder", root_ + "/" + rel_dir, errno, "", ""};
  }
  DIR* d = ::fdopendir(fd);
  if (!d) {
    int e = errno;
    ::close(fd);
    return Error{"list folder", root_ + "/" + rel_dir, e, "", ""};
  }
  while (dirent* ent = ::readdir(d)) {
    if (std::strcmp(ent->d_name, ".") == 0 || std::strcmp(ent->d_name, "..") == 0) continue;
    struct stat st{};
    if (::fstatat(::dirfd(d), ent->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;  // vanished
    LiveFacts facts = facts_from_stat(st);
    if (facts.kind == EntryKind::kSymlink) {
      char buf[4096];
      ssize_t n = ::readlinkat(::dirfd(d), ent->d_name, buf, sizeof buf);
      if (n < 0) continue;
      facts.link_target.assign(buf, static_cast<std::size_t>(n));
    }
    out.emplace_back(ent->d_name, std::move(facts));
  }
  ::closedir(d);
  return out;
}

Result<std::string> PosixLiveTree::read(const std::string& rel_path, std::uint64_t offset,
                                        std::uint64_t max_bytes) {
  struct stat st{};
  UniqueFd f{open_file(rel_path, &st)};
  if (f.get() < 0) return Error{"open", root_ + "/" + rel_path, errno, "", ""};
  std::string out;
  // Sized for what the file holds now, so a large read never doubles its buffer.
  if (static_cast<std::uint64_t>(st.st_size) > offset) {
    out.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(max_bytes, static_cast<std::uint64_t>(st.st_size) - offset)));
  }
  char buf[65536];
  while (out.size() < max_bytes) {
    std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(sizeof buf, max_bytes - out.size()));
    ssize_t n = ::pread(f.get(), buf, want, static_cast<off_t>(offset + out.size()));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error{"read", root_ + "/" + rel_path, errno, "", ""};
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

Result<int> PosixLiveTree::open_regular(const std::string& rel_path, LiveFacts* facts_out) {
  struct stat st{};
  int fd = open_file(rel_path, &st);
  if (fd < 0) return Error{"open", root_ + "/" + rel_path, errno, "", ""};
  if (facts_out) *facts_out = facts_from_stat(st);
  return fd;
}

Result<std::string> PosixLiveTree::read_whole(const std::string& rel_path, LiveFacts* facts_out) {
  // The facts are taken before reading: if the file changes while it is read, the next
  // event sees facts different from these and publishes again.
  struct stat st{};
  UniqueFd f{open_file(rel_path, &st)};
  if (f.get() < 0) return Error{"open", root_ + "/" + rel_path, errno, "", ""};
  if (facts_out) *facts_out = facts_from_stat(st);
  const auto size = static_cast<std::size_t>(st.st_size);
  // Read straight into the result, one byte more than the size: a short read that has
  // all st_size bytes is the end of the file, without another read to see it.
  std::string out(size + 1, '\0');
  std::size_t got = 0;
  for (;;) {
    if (got == out.size()) out.resize(out.size() * 2);  // it grew after the fstat
    const std::size_t want = out.size() - got;
    ssize_t n = ::read(f.get(), out.data() + got, want);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error{"read", root_ + "/" + rel_path, errno, "", ""};
    }
    got += static_cast<std::size_t>(n);
    if (n == 0 || (got >= size && static_cast<std::size_t>(n) < want)) break;
  }
  out.resize(got);
  return out;
}

}  // namespace claude
