#include "hostside/home_tree.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <dirent.h>

#include <cerrno>
#include <cstring>
#include <random>
#include <vector>

#include "core/formats.h"
#include "core/sha256.h"
#include "platform/copy_fd.h"
#include "platform/file_time.h"

namespace claude::host {

namespace {

std::string temp_name() {
  static std::mt19937_64 rng{std::random_device{}()};
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(rng()));
  // Short whatever the destination's name (a 255-byte name still gets a temp that fits),
  // and marked so that every reader of the folder ignores it.
  return "." + std::string(kTempMarker) + hex;
}

Status write_all(int fd, std::string_view data, const std::string& shown) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      return Error{"write", shown, errno, "", "free disk space or fix the folder's permissions"};
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return Ok{};
}

// The chunks of fd up to `limit` bytes, without their offsets.
Status read_to(int fd, std::uint64_t limit, const std::string& shown,
               const std::function<void(std::string_view)>& sink) {
  return read_chunks(fd, limit, shown, [&](std::string_view b, std::uint64_t) { sink(b); });
}

// A temp file in `dir`, removed unless committed by renaming it to `leaf`.
class Temp {
 public:
  static Result<Temp> create(int dir, unsigned mode, const std::string& shown) {
    std::string name = temp_name();
    int fd = ::openat(dir, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                      mode & 07777);
    if (fd < 0)
      return Error{"create a temp file for", shown, errno, "",
                   "free disk space or fix the folder's permissions"};
    // The umask may have taken bits the file had: give them back.
    ::fchmod(fd, mode & 0777);
    return Temp(dir, std::move(name), UniqueFd(fd), shown);
  }
  Temp(Temp&& o) noexcept
      : dir_(o.dir_),
        name_(std::move(o.name_)),
        fd_(std::move(o.fd_)),
        shown_(std::move(o.shown_)) {
    o.dir_ = -1;
  }
  ~Temp() {
    if (dir_ >= 0) ::unlinkat(dir_, name_.c_str(), 0);
  }
  int fd() const { return fd_.get(); }
  Status commit(const std::string& leaf) {
    if (::fsync(fd_.get()) != 0) return Error{"sync", shown_, errno, "", ""};
    if (::renameat(dir_, name_.c_str(), dir_, leaf.c_str()) != 0)
      return Error{"rename into place", shown_, errno, "", ""};
    dir_ = -1;
    return Ok{};
  }

 private:
  Temp(int dir, std::string name, UniqueFd fd, std::string shown)
      : dir_(dir), name_(std::move(name)), fd_(std::move(fd)), shown_(std::move(shown)) {}
  int dir_;
  std::string name_;
  UniqueFd fd_;
  std::string shown_;
};

}  // namespace

void HomeTree::remove_stale_temps(int dir) const {
  struct stat st {};
  if (::fstat(dir, &st) != 0 || !swept_.insert({st.st_dev, st.st_ino}).second) return;
  int dup = ::fcntl(dir, F_DUPFD_CLOEXEC, 0);
  if (dup < 0) return;
  DIR* d = ::fdopendir(dup);
  if (!d) {
    ::close(dup);
    return;
  }
  // Only read-back's own names (".claude-init-tmp." and 16 hex digits); the host lock
  // keeps any other read-back from writing one meanwhile.
  const std::string prefix = "." + std::string(kTempMarker);
  std::vector<std::string> stale;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name.size() == prefix.size() + 16 && name.compare(0, prefix.size(), prefix) == 0)
      stale.push_back(name);
  }
  ::closedir(d);
  for (const auto& name : stale) ::unlinkat(dir, name.c_str(), 0);
}

Result<HomeTree> HomeTree::open(const std::string& root) {
  if (::mkdir(root.c_str(), 0700) != 0 && errno != EEXIST)
    return Error{"create", root, errno, "", ""};
  int fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Error{"open", root, errno, "", "fix the folder's permissions"};
  return HomeTree(root, UniqueFd(fd));
}

Result<HostEntry> HomeTree::look(const std::string& rel) const {
  HostEntry h;
  auto parent = open_parent_beneath(fd_.get(), rel, false, shown(rel));
  if (!parent.ok()) {
    int err = parent.error().sys_errno;
    if (err == ENOENT) return h;
    if (err == ENOTDIR) {
      h.kind = HostEntry::kOther;
      h.other = "a file where a folder of the path should be";
      return h;
    }
    if (err == EXDEV || err == ELOOP) {
      h.kind = HostEntry::kOther;
      h.other = "a symlink leading out of " + root_ + " on the way";
      return h;
    }
    return parent.error();
  }
  auto& [dir, leaf] = *parent;
  struct stat st {};
  if (::fstatat(dir.get(), leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return h;
    return Error{"look at", shown(rel), errno, "", ""};
  }
  if (S_ISLNK(st.st_mode)) {
    char buf[4096];
    ssize_t n = ::readlinkat(dir.get(), leaf.c_str(), buf, sizeof buf);
    h.kind = HostEntry::kOther;
    h.other = "a symlink to " + std::string(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
    return h;
  }
  if (!S_ISREG(st.st_mode)) {
    h.kind = HostEntry::kOther;
    h.other = S_ISDIR(st.st_mode) ? "a folder" : "a special file";
    return h;
  }
  int fd = ::openat(dir.get(), leaf.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return Error{"read", shown(rel), errno, "", ""};
  UniqueFd file(fd);
  Sha256 sha;
  Status r = read_to(fd, UINT64_MAX, shown(rel), [&](std::string_view b) { sha.update(b); });
  if (!r.ok()) return r.error();
  h.kind = HostEntry::kFile;
  h.size = sha.size();
  h.sha256 = sha.hex_digest();
  h.mtime_ns = mtime_ns(st);
  h.mode = st.st_mode & 07777;
  return h;
}

Result<std::string> HomeTree::read(const std::string& rel, std::uint64_t max_bytes) const {
  auto fd = open_beneath(fd_.get(), rel, O_RDONLY | O_NOFOLLOW | O_NONBLOCK, shown(rel));
  if (!fd.ok()) return fd.error();
  struct stat st {};
  if (::fstat(fd->get(), &st) != 0 || !S_ISREG(st.st_mode))
    return Error{"read", shown(rel), 0, "not a regular file", ""};
  if (static_cast<std::uint64_t>(st.st_size) > max_bytes)
    return Error{"read", shown(rel), 0, "larger than " + std::to_string(max_bytes) + " bytes", ""};
  std::string out;
  Status r =
      read_to(fd->get(), max_bytes + 1, shown(rel), [&](std::string_view b) { out.append(b); });
  if (!r.ok()) return r.error();
  if (out.size() > max_bytes)
    return Error{"read", shown(rel), 0, "larger than " + std::to_string(max_bytes) + " bytes", ""};
  return out;
}

Result<std::string> HomeTree::prefix_sha256(const std::string& rel, std::uint64_t n) const {
  auto fd = open_beneath(fd_.get(), rel, O_RDONLY | O_NOFOLLOW | O_NONBLOCK, shown(rel));
  if (!fd.ok()) return fd.error();
  Sha256 sha;
  Status r = read_to(fd->get(), n, shown(rel), [&](std::string_view b) { sha.update(b); });
  if (!r.ok()) return r.error();
  return sha.size() == n ? sha.hex_digest() : std::string();
}

Status HomeTree::write(const std::string& rel, std::string_view data, unsigned mode) const {
  auto parent = open_parent_beneath(fd_.get(), rel, true, shown(rel));
  if (!parent.ok()) return parent.error();
  auto& [dir, leaf] = *parent;
  remove_stale_temps(dir.get());
  auto temp = Temp::create(dir.get(), mode, shown(rel));
  if (!temp.ok()) return temp.error();
  if (Status w = write_all(temp->fd(), data, shown(rel)); !w.ok()) return w;
  return temp->commit(leaf);
}

Status HomeTree::append(const std::string& rel, std::string_view addition,
                        std::uint64_t expected_size) const {
  auto parent = open_parent_beneath(fd_.get(), rel, false, shown(rel));
  if (!parent.ok()) return parent.error();
  auto& [dir, leaf] = *parent;
  remove_stale_temps(dir.get());
  int fd = ::openat(dir.get(), leaf.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return Error{"read", shown(rel), errno, "", ""};
  UniqueFd src(fd);
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
    return Error{"read", shown(rel), 0, "not a regular file", ""};
  if (static_cast<std::uint64_t>(st.st_size) != expected_size)
    return Error{"append to", shown(rel), EAGAIN, "it changed while read-back planned", ""};
  auto temp = Temp::create(dir.get(), st.st_mode & 0777, shown(rel));
  if (!temp.ok()) return temp.error();
  auto copied = copy_fd(fd, temp->fd(), expected_size, shown(rel));
  if (!copied.ok()) return copied.error();
  if (*copied != expected_size)
    return Error{"append to", shown(rel), EAGAIN, "it shrank while copied", ""};
  if (::lseek(temp->fd(), static_cast<off_t>(expected_size), SEEK_SET) < 0)
    return Error{"seek", shown(rel), errno, "", ""};
  if (Status w = write_all(temp->fd(), addition, shown(rel)); !w.ok()) return w;
  // A writer on the host (the CLI appending to the same log) may have added bytes while we
  // copied: then ours would drop them. Checked last, just before the rename.
  struct stat now {};
  if (::fstatat(dir.get(), leaf.c_str(), &now, AT_SYMLINK_NOFOLLOW) != 0 ||
      now.st_ino != st.st_ino || static_cast<std::uint64_t>(now.st_size) != expected_size)
    return Error{"append to", shown(rel), EAGAIN, "it changed while read-back wrote", ""};
  return temp->commit(leaf);
}

Status HomeTree::copy(const std::string& from, const std::string& to) const {
  auto src = open_beneath(fd_.get(), from, O_RDONLY | O_NOFOLLOW | O_NONBLOCK, shown(from));
  if (!src.ok()) return src.error();
  struct stat st {};
  if (::fstat(src->get(), &st) != 0 || !S_ISREG(st.st_mode))
    return Error{"copy", shown(from), 0, "not a regular file", ""};
  auto parent = open_parent_beneath(fd_.get(), to, true, shown(to));
  if (!parent.ok()) return parent.error();
  auto& [dir, leaf] = *parent;
  remove_stale_temps(dir.get());
  auto temp = Temp::create(dir.get(), st.st_mode & 0777, shown(to));
  if (!temp.ok()) return temp.error();
  auto copied = copy_fd(src->get(), temp->fd(), UINT64_MAX, shown(from));
  if (!copied.ok()) return copied.error();
  return temp->commit(leaf);
}

Status HomeTree::remove(const std::string& rel) const {
  auto parent = open_parent_beneath(fd_.get(), rel, false, shown(rel));
  if (!parent.ok())
    return parent.error().sys_errno == ENOENT ? Status(Ok{}) : Status(parent.error());
  auto& [dir, leaf] = *parent;
  if (::unlinkat(dir.get(), leaf.c_str(), 0) != 0 && errno != ENOENT)
    return Error{"delete", shown(rel), errno, "", ""};
  return Ok{};
}

Status HomeTree::symlink(const std::string& rel, const std::string& target) const {
  if (target.empty() || target[0] == '/')
    return Error{"create the symlink", shown(rel), 0, "its target '" + target + "' is absolute",
                 ""};
  std::string folder = rel.find('/') == std::string::npos ? "" : rel.substr(0, rel.rfind('/'));
  // Where the link would lead, resolved by the kernel beneath the folder through every
  // link already there; a target that does not exist cannot be judged and is refused.
  // openat2 refuses ".." components only when they climb above the folder.
  std::string through = folder.empty() ? target : folder + "/" + target;
  open_how how{};
  how.flags = O_PATH | O_CLOEXEC;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  long fd = ::syscall(SYS_openat2, fd_.get(), through.c_str(), &how, sizeof how);
  if (fd < 0) {
    int err = errno;
    return Error{"create the symlink", shown(rel), 0,
                 err == EXDEV ? "its target '" + target + "' resolves outside " + root_
                 : err == ENOENT
                     ? "its target '" + target +
                           "' does not exist on the host, so where it leads cannot be judged"
                     : "its target '" + target + "' cannot be resolved beneath " + root_ + " (" +
                           std::strerror(err) + ")",
                 "the link was not created"};
  }
  ::close(static_cast<int>(fd));
  auto parent = open_parent_beneath(fd_.get(), rel, true, shown(rel));
  if (!parent.ok()) return parent.error();
  auto& [dir, leaf] = *parent;
  if (::symlinkat(target.c_str(), dir.get(), leaf.c_str()) != 0)
    return Error{"create the symlink", shown(rel), errno, "", ""};
  return Ok{};
}

}  // namespace claude::host
