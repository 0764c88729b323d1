// Snapshots of the user's Claude state (~/.claude or $CLAUDE_CONFIG_DIR, and
// ~/.claude.json) under ~/.claude-docker/backups/:
//   objects/<2 hex>/<sha256>.0600   each distinct content once, shared by every snapshot
//   snapshots/<id>.json             {"format":"claude-backup/2","id","created_at","created_ms",
//                                    "reason","entries":[{"path","kind","size","sha256","mode",
//                                    "mtime_ns","target"}]}
// Entry paths are "config" for the config folder itself, "config/<rel>" for what is in it
// and "claude.json" for ~/.claude.json. Every entry keeps its permission bits and its
// mtime in nanoseconds (a symlink's own, lstat), so that a restore gives back the tree
// exactly: Claude Code orders sessions by mtime. claude-backup/1 snapshots (no "config"
// entry, no mtime_ns) are still read; restoring one gives the folder 0700 and the
// restore time as mtimes.
// An optional mirror folder gets the same layout. Everything is verified by checksum.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "hostside/clock.h"
#include "hostside/file_tree.h"
#include "hostside/host_layout.h"

namespace claude::host {

struct SnapshotEntry {
  std::string path;
  EntryKind kind = EntryKind::kFile;
  std::uint64_t size = 0;
  std::string sha256;  // files
  std::uint32_t mode = 0600;
  std::string target;  // symlinks
  std::optional<std::int64_t> mtime_ns;  // nullopt: not recorded (claude-backup/1)
};

struct Snapshot {
  std::string id;
  std::int64_t created_ms = 0;
  std::string reason;
  std::vector<SnapshotEntry> entries;
  std::uint64_t total_bytes() const;
  std::size_t file_count() const;
  nlohmann::json to_json() const;
  static Result<Snapshot> from_json(const nlohmann::json& j, const std::string& file);
};

struct SnapshotCheck {
  std::string id;
  bool ok = true;
  std::vector<std::string> problems;  // "config/x: sha256 abc… != recorded def…", "…: missing"
};

struct PruneReport {
  std::vector<std::string> removed;  // snapshot ids
  std::size_t objects_removed = 0;
  std::uint64_t bytes_freed = 0;
};

struct RestoreReport {
  std::string snapshot_id;
  std::vector<SnapshotCheck> rejected;  // newer snapshots that did not verify
  std::string safety_snapshot_id;       // what was there before, snapshotted first
  std::size_t files = 0;
  std::uint64_t bytes = 0;
  double seconds = 0;
};

class BackupStore {
 public:
  // mirror: a second folder that gets a copy of every snapshot and object ("": none).
  BackupStore(HostLayout layout, std::string mirror, const Clock& clock)
      : layout_(std::move(layout)), mirror_(std::move(mirror)), clock_(clock) {}

  // A new snapshot of the config folder and ~/.claude.json (hashing only files whose
  // size/mtime/inode changed since the last one), copied to the mirror when set.
  // The caller holds the host lock.
  Result<Snapshot> create(const std::string& reason);
  // Every snapshot, newest first; unreadable snapshot files are reported in `broken`.
  std::vector<Snapshot> list(std::vector<std::string>* broken = nullptr) const;
  // Checks that every file of the snapshot is present with its recorded sha256 (in the
  // main store, or else in the mirror).
  // sources (optional) receives, per sha256, the path of the copy that verified.
  SnapshotCheck verify(const Snapshot& snapshot, std::map<std::string, std::string>* sources = nullptr) const;
  // Removes snapshots older than keep_days (always keeping the newest one) from the store
  // and the mirror, then every object no snapshot uses.
  Result<PruneReport> prune(int keep_days);
  // Restores the newest snapshot (created at or before at_s when given, or exactly `id`)
  // whose files all verify: builds it beside the config folder, swaps it in with one
  // atomic rename (the old content is snapshotted first), writes ~/.claude.json
  // atomically under Claude Code's lock, then re-verifies what is in place.
  Result<RestoreReport> restore(std::optional<std::int64_t> at_s, std::optional<std::string> id);

  std::string dir() const { return layout_.backups_dir(); }

 private:
  std::string object_path(const std::string& root, const std::string& sha) const;
  // The path of a verified copy of the object (main store or mirror); "" if none verifies.
  std::string verified_object(const std::string& sha, std::uint64_t size) const;
  Status mirror_snapshot(const Snapshot& snapshot);
  HostLayout layout_;
  std::string mirror_;
  const Clock& clock_;
};

// Age in seconds of the newest snapshot; std::nullopt when there is none.
std::optional<std::int64_t> newest_backup_age_s(const BackupStore& store, const Clock& clock);

}  // namespace claude::host
