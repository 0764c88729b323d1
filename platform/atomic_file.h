// Crash-safe file publication: write to a temp file in the destination's folder, fsync
// it, rename it over the destination, fsync the folder. A reader (or a crash at any
// instant) sees the old content or the new, never a mix.
#pragma once

#include <string>
#include <string_view>

#include "core/formats.h"
#include "core/result.h"

namespace claude {

// The temp-name marker (kTempMarker) is defined once, in core/formats.h: every
// reader of a published tree ignores names containing it.

// Temp file for `dest` (".<name>.claude-init-tmp.<hex>" beside it), created with `mode`;
// removed on destruction unless commit() succeeded.
class AtomicFile {
 public:
  static Result<AtomicFile> create(const std::string& dest, unsigned mode = 0644);
  AtomicFile(AtomicFile&& other) noexcept;
  AtomicFile& operator=(AtomicFile&&) = delete;
  AtomicFile(const AtomicFile&) = delete;
  ~AtomicFile();

  int fd() const { return fd_; }
  const std::string& temp_path() const { return temp_; }
  // Writes all of `data` (retrying short writes and EINTR).
  Status write(std::string_view data);
  // fsync, close, rename over the destination, fsync the folder.
  Status commit();

 private:
  AtomicFile(std::string dest, std::string temp, int fd) : dest_(std::move(dest)), temp_(std::move(temp)), fd_(fd) {}
  std::string dest_, temp_;
  int fd_ = -1;
};

// Publishes `data` at `path` atomically with `mode`.
Status write_file_atomically(const std::string& path, std::string_view data, unsigned mode = 0644);

// Reads a whole regular file. A missing file is an Error with sys_errno == ENOENT.
Result<std::string> read_file(const std::string& path);

// fsyncs a folder so that a rename or create inside it survives power loss.
Status fsync_dir(const std::string& dir);

}  // namespace claude
