// The stage manifest (claude-stage/1): what claude-host staged, with sizes, sha256 and
// modes, the path mapping and the run's ids. Written by the host, verified by the init.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/formats.h"
#include "core/path_map.h"
#include "core/result.h"

namespace claude {

struct ManifestFile {
  std::string path;    // relative to tree/, '/'-separated, any bytes
  std::uint64_t size = 0;
  std::string sha256;  // 64 lowercase hex digits
  std::uint32_t mode = 0600;  // permission bits (0 .. 07777)
  bool operator==(const ManifestFile&) const = default;
};

struct ManifestSymlink {
  std::string path;    // relative to tree/
  std::string target;  // relative, and resolves inside the tree
  bool operator==(const ManifestSymlink&) const = default;
};

struct Manifest {
  std::string run_id;
  std::string trace_id;
  std::string created_at;  // RFC 3339 UTC
  PathMap mapping;
  std::vector<ManifestFile> files;
  std::vector<ManifestSymlink> symlinks;

  // {"format":"claude-stage/1","run_id",...} as in ARCHITECTURE.md.
  nlohmann::json to_json() const;

  // Parses and validates manifest text. Errors name file_name and say what is wrong:
  // not JSON, a format whose major version is not 1, a missing or mistyped field, a bad
  // path (absolute, "..", "." or empty components, NUL), a path listed twice or both as a
  // file and as a parent folder, a bad sha256, or a symlink resolving outside the tree
  // (through the manifest's other links, core/link_resolution.h). A name that is not
  // UTF-8 is "path_b64" / "target_b64" (core/byte_names.h), both ways.
  static Result<Manifest> parse(std::string_view text, std::string_view file_name);
};

// Ok when the observed size and sha256 of a staged file match its entry; otherwise an Error
// naming the file and both values, telling the user to re-run `claude-host stage`.
Status verify_entry(const ManifestFile& entry, std::uint64_t observed_size,
                    std::string_view observed_sha256);

// True when format ("family/major[.minor]") has the family and major version of current
// ("claude-stage/1" reads "claude-stage/1.4", not "claude-stage/2"); shared by every
// versioned format here.
bool reads_format(std::string_view format, std::string_view current);

// Ok when path is a safe relative path: not empty, not absolute, no NUL, no empty, "." or
// ".." component — any other bytes (names are bytes; core/byte_names.h carries them in
// JSON). The Error says what (operation) and names the path.
Status check_rel_name(std::string_view path, std::string_view what);

// check_rel_name, and valid UTF-8 too (for callers that write the path as a JSON string).
Status check_rel_path(std::string_view path, std::string_view what);

// True when a symlink at link_path (relative to the tree root) with this target resolves,
// lexically, to a place inside the tree: a relative target whose ".." never climbs above
// the root.
bool symlink_stays_inside(std::string_view link_path, std::string_view target);

}  // namespace claude
