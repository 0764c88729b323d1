#include "platform/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <random>

namespace claude {
namespace {

std::string random_hex() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s(12, '0');
  uint64_t v = rng();
  for (char& c : s) { c = kDigits[v & 15]; v >>= 4; }
  return s;
}

std::string parent_of(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

Result<AtomicFile> AtomicFile::create(const std::string& dest, unsigned mode) {
  auto slash = dest.rfind('/');
  std::string dir = slash == std::string::npos ? "" : dest.substr(0, slash + 1);
  std::string base = slash == std::string::npos ? dest : dest.substr(slash + 1);
  for (int attempt = 0; attempt < 8; ++attempt) {
    std::string temp = dir + "." + base + std::string(kTempMarker) + random_hex();
    int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode & 07777);
    if (fd >= 0) {
      // The umask must not widen or narrow the mode we were asked for (0600 credentials).
      ::fchmod(fd, mode & 07777);
      return AtomicFile(dest, temp, fd);
    }
    if (errno != EEXIST) return Error{"create temp file for", dest, errno, "", ""};
  }
  return Error{"create temp file for", dest, EEXIST, "", ""};
}

AtomicFile::AtomicFile(AtomicFile&& other) noexcept
    : dest_(std::move(other.dest_)), temp_(std::move(other.temp_)), fd_(other.fd_) {
  other.fd_ = -1;
  other.temp_.clear();
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!temp_.empty()) ::unlink(temp_.c_str());
}

Status AtomicFile::write(std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd_, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error{"write", dest_, errno, "", ""};
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Ok{};
}

Status AtomicFile::commit() {
  if (::fsync(fd_) != 0) return Error{"fsync", temp_, errno, "", ""};
  int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) return Error{"close", temp_, errno, "", ""};
  if (::rename(temp_.c_str(), dest_.c_str()) != 0) return Error{"rename into place", dest_, errno, "", ""};
  temp_.clear();
  return fsync_dir(parent_of(dest_));
}

Status write_file_atomically(const std::string& path, std::string_view data, unsigned mode) {
  auto file = AtomicFile::create(path, mode);
  if (!file) return file.error();
  if (auto s = file->write(data); !s) return s;
  return file->commit();
}

Result<std::string> read_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error{"open", path, errno, "", ""};
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      return Error{"read", path, e, "", ""};
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

Status fsync_dir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Error{"open folder", dir, errno, "", ""};
  int rc = ::fsync(fd);
  int e = errno;
  ::close(fd);
  if (rc != 0 && e != EINVAL) return Error{"fsync folder", dir, e, "", ""};
  return Ok{};
}

}  // namespace claude
