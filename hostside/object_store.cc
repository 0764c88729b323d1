#include "hostside/object_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <vector>

#include "core/sha256.h"
#include "hostside/file_tree.h"
#include "platform/atomic_file.h"
#include "platform/copy_fd.h"
#include "platform/unique_fd.h"

namespace claude::host {
namespace {

constexpr size_t kChunk = 1 << 20;

// Streams src through `sink` (called per chunk) and returns its digest.
template <class Sink>
Result<StoredObject> stream_file(const std::string& src, Sink&& sink) {
  UniqueFd in{::open(src.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)};
  if (in.get() < 0) return Error{"read", src, errno, "", ""};
  struct stat st{};
  if (::fstat(in.get(), &st) != 0) return Error{"inspect", src, errno, "", ""};
  if (!S_ISREG(st.st_mode))
    return Error{"read", src, 0, "is not a regular file", "remove it or add it to the excludes"};
  Sha256 sha;
  std::vector<char> buf(kChunk);
  for (;;) {
    ssize_t n = ::read(in.get(), buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error{"read", src, errno, "", ""};
    }
    if (n == 0) break;
    std::string_view chunk(buf.data(), static_cast<size_t>(n));
    sha.update(chunk);
    Status s = sink(chunk);
    if (!s.ok()) return s.error();
  }
  return StoredObject{sha.hex_digest(), sha.size(), src};
}

std::string mode_suffix(unsigned mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", mode & 07777);
  return buf;
}

}  // namespace

std::string ObjectStore::path_of(const std::string& sha256, unsigned mode) const {
  return root_ + "/" + sha256.substr(0, 2) + "/" + sha256 + "." + mode_suffix(mode);
}

bool ObjectStore::has(const std::string& sha256, unsigned mode, std::uint64_t size) const {
  struct stat st{};
  return ::stat(path_of(sha256, mode).c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
         static_cast<std::uint64_t>(st.st_size) == size;
}

Result<StoredObject> ObjectStore::publish(const std::string& temp, const std::string& sha, std::uint64_t size,
                                          unsigned mode) {
  std::string dest = path_of(sha, mode);
  if (has(sha, mode, size)) {
    ::unlink(temp.c_str());
    return StoredObject{sha, size, dest};
  }
  Status d = make_dirs(root_ + "/" + sha.substr(0, 2));
  if (!d.ok()) return d.error();
  if (::rename(temp.c_str(), dest.c_str()) != 0) {
    int e = errno;
    ::unlink(temp.c_str());
    return Error{"store", dest, e, "", "check free space and permissions under " + root_};
  }
  if (durable_) {
    Status s = fsync_dir(root_ + "/" + sha.substr(0, 2));
    if (!s.ok()) return s.error();
  }
  return StoredObject{sha, size, dest};
}

Result<StoredObject> ObjectStore::put_file(const std::string& src, unsigned mode) {
  Status d = make_dirs(root_);
  if (!d.ok()) return d.error();
  auto temp = AtomicFile::create(root_ + "/incoming", mode);
  if (!temp.ok()) return temp.error();
  auto digest = stream_file(src, [&](std::string_view chunk) { return temp->write(chunk); });
  if (!digest.ok()) return digest.error();
  if (durable_ && ::fsync(temp->fd()) != 0) return Error{"fsync", temp->temp_path(), errno, "", ""};
  // The AtomicFile removes its temp on destruction; hand the name to publish first by
  // linking it to a name we own.
  std::string own = temp->temp_path() + ".ready";
  if (::link(temp->temp_path().c_str(), own.c_str()) != 0) return Error{"store", own, errno, "", ""};
  return publish(own, digest->sha256, digest->size, mode);
}

Result<StoredObject> ObjectStore::put_bytes(std::string_view data, unsigned mode) {
  std::string sha = sha256_hex(data);
  if (has(sha, mode, data.size())) return StoredObject{sha, data.size(), path_of(sha, mode)};
  Status d = make_dirs(root_ + "/" + sha.substr(0, 2));
  if (!d.ok()) return d.error();
  Status w = write_file_atomically(path_of(sha, mode), data, mode);
  if (!w.ok()) return w.error();
  return StoredObject{sha, data.size(), path_of(sha, mode)};
}

Result<StoredObject> hash_file(const std::string& path) {
  return stream_file(path, [](std::string_view) -> Status { return Ok{}; });
}

Status copy_file_plain(const std::string& src, const std::string& dest, unsigned mode) {
  UniqueFd in{::open(src.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW)};
  if (in.get() < 0) return Error{"read", src, errno, "", ""};
  UniqueFd out{::open(dest.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode & 07777)};
  if (out.get() < 0) return Error{"create", dest, errno, "", "check free space and permissions"};
  ::fchmod(out.get(), mode & 07777);
  auto copied = copy_fd(in.get(), out.get(), UINT64_MAX, src + " -> " + dest);
  if (!copied) return copied.error();
  return Ok{};
}

Status sync_folder(const std::string& path) {
  UniqueFd d{::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (d.get() < 0) return Error{"open", path, errno, "", ""};
  if (::syncfs(d.get()) != 0) return Error{"syncfs", path, errno, "", ""};
  return Ok{};
}

Result<StoredObject> copy_file_atomically(const std::string& src, const std::string& dest, unsigned mode) {
  auto out = AtomicFile::create(dest, mode);
  if (!out.ok()) return out.error();
  auto digest = stream_file(src, [&](std::string_view chunk) { return out->write(chunk); });
  if (!digest.ok()) return digest.error();
  Status c = out->commit();
  if (!c.ok()) return c.error();
  digest->path = dest;
  return digest;
}

}  // namespace claude::host
