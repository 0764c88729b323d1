#include "hostside/backup_store.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <map>
#include <set>

#include "core/formats.h"
#include "core/journal.h"
#include "core/manifest.h"
#include "hostside/claude_json_lock.h"
#include "hostside/hash_cache.h"
#include "hostside/object_store.h"
#include "hostside/run_state.h"
#include "platform/atomic_file.h"

namespace claude::host {
namespace fs = std::filesystem;

namespace {

constexpr unsigned kObjectMode = 0600;
constexpr const char* kConfigPrefix = "config/";
constexpr const char* kClaudeJson = "claude.json";
constexpr const char* kConfigRoot = "config";  // the config folder itself (claude-backup/2)

const char* kind_name(EntryKind k) {
  switch (k) {
    case EntryKind::kFile: return "file";
    case EntryKind::kDir: return "dir";
    case EntryKind::kSymlink: return "symlink";
  }
  return "file";
}

std::string snapshot_dir(const std::string& root) { return root + "/snapshots"; }
std::string objects_dir(const std::string& root) { return root + "/objects"; }

// Entries of the config folder worth keeping: everything but our temp files and the
// CLI's lock folders (a restore must not bring back a stale lock).
bool backup_keeps(const std::string& rel, bool is_dir) {
  if (is_temp_name(rel)) return false;
  if (is_dir && rel.size() > 5 && rel.compare(rel.size() - 5, 5, ".lock") == 0) return false;
  return true;
}

// Sets path's mtime (never following a last-component symlink), leaving its atime alone.
Status set_mtime(const std::string& path, std::int64_t mtime_ns) {
  std::int64_t sec = mtime_ns / 1'000'000'000;
  std::int64_t nsec = mtime_ns % 1'000'000'000;
  if (nsec < 0) {  // before 1970: the seconds round down, the nanoseconds stay positive
    nsec += 1'000'000'000;
    --sec;
  }
  struct timespec times[2] = {{0, UTIME_OMIT}, {static_cast<time_t>(sec), static_cast<long>(nsec)}};
  if (::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0)
    return Error{"restore the modification time of", path, errno, "", "check that the file system supports utimensat"};
  return Ok{};
}

SnapshotEntry entry_of(const std::string& path, const TreeEntry& e) {
  SnapshotEntry se;
  se.path = path;
  se.kind = e.kind;
  se.mode = e.mode;
  se.mtime_ns = e.mtime_ns;
  if (e.kind == EntryKind::kSymlink) se.target = e.target;
  if (e.kind == EntryKind::kFile) se.size = e.size;
  return se;
}

Status copy_if_missing(const std::string& src, const std::string& dest, unsigned mode) {
  struct stat st{};
  if (::stat(dest.c_str(), &st) == 0) return Ok{};
  Status d = make_dirs(fs::path(dest).parent_path().string());
  if (!d.ok()) return d;
  auto c = copy_file_atomically(src, dest, mode);
  if (!c.ok()) return c.error();
  return Ok{};
}

}  // namespace

std::uint64_t Snapshot::total_bytes() const {
  std::uint64_t n = 0;
  for (const auto& e : entries) n += e.size;
  return n;
}

std::size_t Snapshot::file_count() const {
  return static_cast<std::size_t>(std::count_if(entries.begin(), entries.end(),
                                                [](const SnapshotEntry& e) { return e.kind == EntryKind::kFile; }));
}

nlohmann::json Snapshot::to_json() const {
  nlohmann::json entries_json = nlohmann::json::array();
  for (const auto& e : entries) {
    nlohmann::json j = {{"path", e.path}, {"kind", kind_name(e.kind)}, {"mode", e.mode}};
    if (e.mtime_ns) j["mtime_ns"] = *e.mtime_ns;
    if (e.kind == EntryKind::kFile) {
      j["size"] = e.size;
      j["sha256"] = e.sha256;
    }
    if (e.kind == EntryKind::kSymlink) j["target"] = e.target;
    entries_json.push_back(std::move(j));
  }
  return {{"format", kBackupFormat},  {"id", id},         {"created_at", rfc3339_utc(created_ms, true)},
          {"created_ms", created_ms}, {"reason", reason}, {"entries", entries_json}};
}

Result<Snapshot> Snapshot::from_json(const nlohmann::json& j, const std::string& file) {
  auto bad = [&](const std::string& what) {
    return Error{"read the backup", file, 0, what, "run `claude-host backup verify`; remove this snapshot if it stays broken"};
  };
  if (!j.is_object()) return bad("not a claude-backup snapshot");
  const std::string format = j.value("format", "");
  if (format != kBackupFormat && format != kBackupFormatV1)
    return bad("format '" + format + "' is not " + std::string(kBackupFormat) + " or " + std::string(kBackupFormatV1));
  try {
    Snapshot s;
    s.id = j.at("id").get<std::string>();
    s.created_ms = j.at("created_ms").get<std::int64_t>();
    s.reason = j.value("reason", "");
    for (const auto& e : j.at("entries")) {
      SnapshotEntry se;
      se.path = e.at("path").get<std::string>();
      std::string kind = e.at("kind").get<std::string>();
      se.kind = kind == "dir" ? EntryKind::kDir : kind == "symlink" ? EntryKind::kSymlink : EntryKind::kFile;
      se.mode = e.value("mode", 0600u) & 07777;
      if (se.kind == EntryKind::kFile) {
        se.size = e.at("size").get<std::uint64_t>();
        se.sha256 = e.at("sha256").get<std::string>();
      }
      se.target = e.value("target", "");
      if (e.contains("mtime_ns")) se.mtime_ns = e.at("mtime_ns").get<std::int64_t>();
      if (se.path == kConfigRoot && se.kind != EntryKind::kDir) return bad("entry 'config' is not a folder");
      if (se.path != kClaudeJson && se.path != kConfigRoot &&
          (se.path.rfind(kConfigPrefix, 0) != 0 ||
           !check_rel_path(se.path.substr(std::string(kConfigPrefix).size()), "backup entry").ok()))
        return bad("entry '" + se.path + "' is not a safe path");
      s.entries.push_back(std::move(se));
    }
    return s;
  } catch (const nlohmann::json::exception& e) {
    return bad(e.what());
  }
}

std::string BackupStore::object_path(const std::string& root, const std::string& sha) const {
  return ObjectStore(objects_dir(root), true).path_of(sha, kObjectMode);
}

std::string BackupStore::verified_object(const std::string& sha, std::uint64_t size) const {
  for (const std::string& root : {dir(), mirror_}) {
    if (root.empty()) continue;
    std::string p = object_path(root, sha);
    auto h = hash_file(p);
    if (h.ok() && h->sha256 == sha && h->size == size) return p;
  }
  return {};
}

Result<Snapshot> BackupStore::create(const std::string& reason) {
  ObjectStore store(objects_dir(dir()), /*durable=*/true);
  HashCache cache = HashCache::load(layout_.state_dir + "/hash-cache-backup.json");
  Snapshot snap;
  snap.created_ms = clock_.now_ms();
  snap.id = new_run_id(snap.created_ms) + "-" + std::to_string(snap.created_ms % 1000);
  snap.reason = reason;

  auto add_file = [&](const std::string& abs, const TreeEntry& e, const std::string& path) -> Status {
    SnapshotEntry se = entry_of(path, e);
    auto cached = cache.lookup(abs, e);
    if (cached && store.has(*cached, kObjectMode, e.size)) {
      se.sha256 = *cached;
    } else {
      auto obj = store.put_file(abs, kObjectMode);
      if (!obj.ok()) {
        if (obj.error().sys_errno == ENOENT) return Ok{};  // vanished meanwhile: not there to back up
        return obj.error();
      }
      se.sha256 = obj->sha256;
      se.size = obj->size;
      cache.remember(abs, e, obj->sha256);
    }
    snap.entries.push_back(std::move(se));
    return Ok{};
  };

  // The folder's own mode and mtime first (a missing folder has none).
  if (auto root = stat_entry(layout_.config_dir); root.ok() && root->kind == EntryKind::kDir)
    snap.entries.push_back(entry_of(kConfigRoot, *root));
  auto tree = scan_tree(layout_.config_dir, backup_keeps, ScanOptions{.strict = false});
  if (!tree.ok()) return tree.error();
  for (const auto& e : *tree) {
    std::string path = kConfigPrefix + e.rel;
    if (e.kind != EntryKind::kFile) {
      snap.entries.push_back(entry_of(path, e));
    } else {
      Status s = add_file(layout_.config_dir + "/" + e.rel, e, path);
      if (!s.ok()) return s.error();
    }
  }
  if (!layout_.custom_config_dir) {
    auto st = stat_entry(layout_.claude_json);
    if (st.ok() && st->kind == EntryKind::kFile) {
      Status s = add_file(layout_.claude_json, *st, kClaudeJson);
      if (!s.ok()) return s.error();
    }
  }
  Status d = make_dirs(snapshot_dir(dir()));
  if (!d.ok()) return d.error();
  Status w = write_file_atomically(snapshot_dir(dir()) + "/" + snap.id + ".json", snap.to_json().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n", 0600);
  if (!w.ok()) return w.error();
  (void)cache.save();  // only a cache: losing it costs time, not data
  if (!mirror_.empty()) {
    Status m = mirror_snapshot(snap);
    if (!m.ok()) return m.error();
  }
  return snap;
}

Status BackupStore::mirror_snapshot(const Snapshot& snap) {
  for (const auto& e : snap.entries) {
    if (e.kind != EntryKind::kFile) continue;
    Status s = copy_if_missing(object_path(dir(), e.sha256), object_path(mirror_, e.sha256), kObjectMode);
    if (!s.ok()) {
      Error err = s.error();
      err.fix = "check that the mirror folder " + mirror_ + " is mounted and writable";
      return err;
    }
  }
  Status d = make_dirs(snapshot_dir(mirror_));
  if (!d.ok()) return d;
  return write_file_atomically(snapshot_dir(mirror_) + "/" + snap.id + ".json", snap.to_json().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n", 0600);
}

std::vector<Snapshot> BackupStore::list(std::vector<std::string>* broken) const {
  std::vector<Snapshot> out;
  std::error_code ec;
  std::set<std::string> seen;
  for (const std::string& root : {dir(), mirror_}) {
    if (root.empty()) continue;
    for (const auto& item : fs::directory_iterator(snapshot_dir(root), ec)) {
      std::string name = item.path().filename().string();
      if (name.size() < 6 || name.substr(name.size() - 5) != ".json" || is_temp_name(name)) continue;
      std::string id = name.substr(0, name.size() - 5);
      if (seen.count(id)) continue;
      auto text = read_file(item.path().string());
      auto j = text.ok() ? nlohmann::json::parse(*text, nullptr, false) : nlohmann::json();
      auto snap = Snapshot::from_json(j, item.path().string());
      if (!snap.ok()) {
        if (broken) broken->push_back(snap.error().message());
        continue;
      }
      seen.insert(id);
      out.push_back(std::move(*snap));
    }
  }
  std::sort(out.begin(), out.end(), [](const Snapshot& a, const Snapshot& b) {
    return a.created_ms != b.created_ms ? a.created_ms > b.created_ms : a.id > b.id;
  });
  return out;
}

SnapshotCheck BackupStore::verify(const Snapshot& snapshot, std::map<std::string, std::string>* sources) const {
  SnapshotCheck check{snapshot.id, true, {}};
  std::map<std::string, std::string> verified;  // sha -> a verified copy ("" if none); each content checked once
  for (const auto& e : snapshot.entries) {
    if (e.kind != EntryKind::kFile) continue;
    auto it = verified.find(e.sha256);
    if (it == verified.end()) it = verified.emplace(e.sha256, verified_object(e.sha256, e.size)).first;
    if (it->second.empty()) {
      check.ok = false;
      check.problems.push_back(e.path + ": no copy with sha256 " + e.sha256.substr(0, 12) + "… and " +
                               std::to_string(e.size) + " bytes (missing or corrupt)");
    }
  }
  if (sources) *sources = std::move(verified);
  return check;
}

Result<PruneReport> BackupStore::prune(int keep_days) {
  PruneReport report;
  auto snaps = list();
  const std::int64_t cutoff = clock_.now_ms() - static_cast<std::int64_t>(keep_days) * 86'400'000;
  std::set<std::string> keep_shas;
  for (size_t i = 0; i < snaps.size(); ++i) {
    if (i > 0 && snaps[i].created_ms < cutoff) {
      for (const std::string& root : {dir(), mirror_})
        if (!root.empty()) ::unlink((snapshot_dir(root) + "/" + snaps[i].id + ".json").c_str());
      report.removed.push_back(snaps[i].id);
      continue;
    }
    for (const auto& e : snaps[i].entries)
      if (e.kind == EntryKind::kFile) keep_shas.insert(e.sha256);
  }
  for (const std::string& root : {dir(), mirror_}) {
    if (root.empty()) continue;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(objects_dir(root), ec); it != fs::recursive_directory_iterator();
         it.increment(ec)) {
      if (ec) break;
      if (!it->is_regular_file(ec)) continue;
      std::string name = it->path().filename().string();
      std::string sha = name.substr(0, name.find('.'));
      // Temp files of a create that is running right now are not ours to remove (the
      // caller holds the lock, so there is none; a crash's leftovers go too).
      if (keep_shas.count(sha) && !is_temp_name(name)) continue;
      report.bytes_freed += it->file_size(ec);
      fs::remove(it->path(), ec);
      ++report.objects_removed;
    }
  }
  return report;
}

Result<RestoreReport> BackupStore::restore(std::optional<std::int64_t> at_s, std::optional<std::string> id) {
  auto started = std::chrono::steady_clock::now();
  RestoreReport report;
  std::optional<Snapshot> chosen;
  std::map<std::string, std::string> sources;  // sha -> verified object
  for (const auto& snap : list()) {
    if (id && snap.id != *id) continue;
    if (at_s && snap.created_ms > *at_s * 1000) continue;
    SnapshotCheck check = verify(snap, &sources);
    if (check.ok) {
      chosen = snap;
      break;
    }
    report.rejected.push_back(std::move(check));
  }
  if (!chosen) {
    std::string why = id ? "snapshot " + *id + " is missing or does not verify"
                         : std::string("no snapshot") + (at_s ? " at or before that time" : "") + " verifies";
    return Error{"restore", dir(), 0, why, "run `claude-host backup list` and `claude-host backup verify` to see what is there"};
  }
  report.snapshot_id = chosen->id;

  // What is there now is kept as a snapshot first: a restore never loses anything.
  auto safety = create("before restoring " + chosen->id);
  if (!safety.ok()) return safety.error();
  report.safety_snapshot_id = safety->id;

  const std::string target = layout_.config_dir;
  const std::string staging = target + ".restore-" + new_trace_id().substr(0, 8);
  Status d = make_dirs(staging, 0700);
  if (!d.ok()) return d.error();
  auto cleanup = [&] {
    std::error_code ec;
    fs::remove_all(staging, ec);
  };
  const SnapshotEntry* claude_json = nullptr;
  const SnapshotEntry* root = nullptr;
  std::vector<std::pair<std::string, const SnapshotEntry*>> dirs;
  std::vector<std::pair<std::string, std::int64_t>> mtimes;  // files and symlinks
  for (const auto& e : chosen->entries) {
    if (e.path == kClaudeJson) {
      claude_json = &e;
      continue;
    }
    if (e.path == kConfigRoot) {
      root = &e;
      continue;
    }
    std::string dest = staging + "/" + e.path.substr(std::string(kConfigPrefix).size());
    Status s = Ok{};
    if (e.kind == EntryKind::kDir) {
      s = make_dirs(dest, 0700);
      dirs.emplace_back(dest, &e);
    } else if (e.kind == EntryKind::kSymlink) {
      s = make_dirs(fs::path(dest).parent_path().string(), 0700);
      if (s.ok() && ::symlink(e.target.c_str(), dest.c_str()) != 0) s = Error{"restore the symlink", dest, errno, "", ""};
    } else {
      s = make_dirs(fs::path(dest).parent_path().string(), 0700);
      if (s.ok()) {
        // A plain kernel copy: the whole tree is synced once and verified before the swap.
        s = copy_file_plain(sources[e.sha256], dest, e.mode);
        report.bytes += e.size;
        ++report.files;
      }
    }
    if (s.ok() && e.kind != EntryKind::kDir && e.mtime_ns) mtimes.emplace_back(dest, *e.mtime_ns);
    if (!s.ok()) {
      cleanup();
      return s.error();
    }
  }
  // Verify the restored tree before it replaces anything, then make it durable.
  for (const auto& e : chosen->entries) {
    if (e.kind != EntryKind::kFile || e.path == kClaudeJson) continue;
    std::string path = staging + "/" + e.path.substr(std::string(kConfigPrefix).size());
    auto h = hash_file(path);
    if (!h.ok() || h->sha256 != e.sha256 || h->size != e.size) {
      cleanup();
      return Error{"verify the restored file", path, 0, "its checksum does not match the snapshot",
                   "nothing was changed; check the disk and retry"};
    }
  }
  // Times last, once nothing more is created: a new name inside a folder changes the
  // folder's mtime. Folders deepest first, so that a mode without u+x never blocks a
  // folder below it.
  for (const auto& [path, ns] : mtimes) {
    if (Status s = set_mtime(path, ns); !s.ok()) {
      cleanup();
      return s.error();
    }
  }
  for (auto it = dirs.rbegin(); it != dirs.rend(); ++it) {
    ::chmod(it->first.c_str(), it->second->mode);
    if (it->second->mtime_ns) {
      if (Status s = set_mtime(it->first, *it->second->mtime_ns); !s.ok()) {
        cleanup();
        return s.error();
      }
    }
  }
  ::chmod(staging.c_str(), root ? root->mode : 0700);
  if (Status s = sync_folder(staging); !s.ok()) {
    cleanup();
    return s.error();
  }

  // The swap: one rename, so that a reader sees the old tree or the new, never a mix.
  struct stat st{};
  if (::lstat(target.c_str(), &st) == 0) {
    if (::renameat2(AT_FDCWD, staging.c_str(), AT_FDCWD, target.c_str(), RENAME_EXCHANGE) != 0) {
      int e = errno;
      cleanup();
      return Error{"swap in the restored folder", target, e, "", "nothing was changed; check that " + target + " is a folder on a local file system"};
    }
  } else if (::rename(staging.c_str(), target.c_str()) != 0) {
    int e = errno;
    cleanup();
    return Error{"move the restored folder into place", target, e, "", ""};
  }
  cleanup();  // now holds the old tree, which the safety snapshot keeps
  (void)fsync_dir(fs::path(target).parent_path().string());
  // After the swap: a file system may count the exchange as a change of either folder.
  if (root && root->mtime_ns) {
    if (Status s = set_mtime(target, *root->mtime_ns); !s.ok()) return s.error();
  }

  if (claude_json) {
    auto lock = ClaudeJsonLock::acquire(layout_.claude_json);
    if (!lock.ok()) return lock.error();
    auto copied = copy_file_atomically(sources[claude_json->sha256], layout_.claude_json,
                                       claude_json->mode);
    if (!copied.ok()) return copied.error();
    if (claude_json->mtime_ns) {
      if (Status s = set_mtime(layout_.claude_json, *claude_json->mtime_ns); !s.ok()) return s.error();
    }
    report.bytes += claude_json->size;
    ++report.files;
  }

  // What is in place now: the same files (sizes; their content was verified before the
  // swap, which moved the folder without copying) and ~/.claude.json by checksum.
  for (const auto& e : chosen->entries) {
    if (e.kind != EntryKind::kFile) continue;
    std::string path = e.path == kClaudeJson ? layout_.claude_json : target + "/" + e.path.substr(std::string(kConfigPrefix).size());
    auto st = stat_entry(path);
    bool ok = st.ok() && st->kind == EntryKind::kFile && st->size == e.size;
    if (ok && e.path == kClaudeJson) {
      auto h = hash_file(path);
      ok = h.ok() && h->sha256 == e.sha256;
    }
    if (!ok)
      return Error{"verify the restored file", path, 0, "its checksum does not match the snapshot",
                   "run `claude-host restore " + report.safety_snapshot_id + "` to go back, then check the disk"};
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return report;
}

std::optional<std::int64_t> newest_backup_age_s(const BackupStore& store, const Clock& clock) {
  auto snaps = store.list();
  if (snaps.empty()) return std::nullopt;
  return (clock.now_ms() - snaps.front().created_ms) / 1000;
}

}  // namespace claude::host
