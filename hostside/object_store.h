// A content-addressed folder of files: <root>/<first 2 hex>/<sha256>.<mode in octal>.
// Staging and backups keep each distinct content once and hard-link or reference it, so
// an unchanged file costs nothing the second time. Objects are never modified in place.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace claude::host {

struct StoredObject {
  std::string sha256;
  std::uint64_t size = 0;
  std::string path;  // where it sits in the store
};

class ObjectStore {
 public:
  // durable: fsync every new object and its folder (backups); off for stages, which are
  // rebuilt if lost.
  ObjectStore(std::string root, bool durable) : root_(std::move(root)), durable_(durable) {}

  // Copies src into the store, hashing what it copies (so the digest describes exactly
  // the stored bytes, even if src changes meanwhile). If that content is stored already,
  // the copy is dropped. mode: the object's permission bits.
  Result<StoredObject> put_file(const std::string& src, unsigned mode);
  Result<StoredObject> put_bytes(std::string_view data, unsigned mode);

  // Where content `sha256` with `mode` is (or would be) stored.
  std::string path_of(const std::string& sha256, unsigned mode) const;
  // True when that object exists with `size` bytes.
  bool has(const std::string& sha256, unsigned mode, std::uint64_t size) const;

  const std::string& root() const { return root_; }

 private:
  Result<StoredObject> publish(const std::string& temp, const std::string& sha, std::uint64_t size, unsigned mode);
  std::string root_;
  bool durable_;
};

// sha256 and size of a file's content, read in chunks.
Result<StoredObject> hash_file(const std::string& path);

// Copies src to a new file dest (created exclusively, with mode) in the kernel
// (copy_file_range), without hashing or fsync: for restores, which build a whole folder
// aside, sync it once (sync_folder) and verify it before swapping it in.
Status copy_file_plain(const std::string& src, const std::string& dest, unsigned mode);

// syncfs(2) on the file system holding path: one flush for a whole restored tree.
Status sync_folder(const std::string& path);

// Copies src to dest with temp + fsync + rename (dest's mode = mode), returning the
// digest of what was written.
Result<StoredObject> copy_file_atomically(const std::string& src, const std::string& dest, unsigned mode);

}  // namespace claude::host
