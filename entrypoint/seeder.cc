#include "entrypoint/seeder.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>
#include <random>
#include <set>
#include <vector>

#include "core/formats.h"
#include "core/path_names.h"
#include "core/sha256.h"
#include "entrypoint/outbox_tree.h"
#include "entrypoint/sync_live_tree.h"
#include "platform/copy_fd.h"
#include "platform/beneath.h"

namespace claude {
namespace {

constexpr const char* kRestage = "run `claude-host stage` again to make a fresh stage";

// Opens a staged file beneath the stage tree without following links.
int open_staged(int tree_fd, const std::string& rel) { return open_no_links_raw(tree_fd, rel, O_RDONLY | O_NONBLOCK); }

Result<std::string> read_fd(int fd, const std::string& what) {
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error{"read", what, errno, "", kRestage};
    }
    if (n == 0) return out;
    out.append(buf, static_cast<std::size_t>(n));
  }
}

// Creates the folders above `rel`; `made` remembers the ones already there, so a folder
// of many files is made once, not tried again for each of them.
Status make_parents(int root_fd, const std::string& rel, const std::string& root, std::set<std::string>& made) {
  std::string parent(parent_path(rel));
  if (parent.empty() || made.count(parent)) return Ok{};
  for (std::size_t pos = 0; pos <= parent.size();) {
    std::size_t end = parent.find('/', pos);
    if (end == std::string::npos) end = parent.size();
    std::string prefix = parent.substr(0, end);
    if (!made.insert(prefix).second) {
      pos = end + 1;
      continue;
    }
    PathAt at(root_fd, prefix);  // any depth
    if (at.dir < 0 || (::mkdirat(at.dir, at.c_name(), 0755) != 0 && errno != EEXIST)) {
      return Error{"create folder", root + "/" + prefix, errno, "", "make the live dir's parent writable"};
    }
    pos = end + 1;
  }
  return Ok{};
}

// Staged files up to this size are kept from the verifying read for the copy (while the
// kept bytes stay within the budget): the copy then neither opens nor reads nor hashes
// them again, and writes exactly the bytes that were verified.
constexpr std::uint64_t kKeepFileBytes = 256 << 10;
constexpr std::uint64_t kKeepBudgetBytes = 64 << 20;

std::string random_hex() {
  std::mt19937_64 rng{std::random_device{}()};
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

}  // namespace

bool dir_is_populated(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) return false;
  bool any = false;
  while (dirent* ent = ::readdir(d)) {
    if (std::strcmp(ent->d_name, ".") != 0 && std::strcmp(ent->d_name, "..") != 0) {
      any = true;
      break;
    }
  }
  ::closedir(d);
  return any;
}

Result<std::optional<Manifest>> load_stage_manifest(const std::string& stage_dir) {
  struct stat st{};
  if (::stat(stage_dir.c_str(), &st) != 0) {
    if (errno == ENOENT) return std::optional<Manifest>{};
    return Error{"open stage", stage_dir, errno, "", "check --stage"};
  }
  std::string path = join_path(stage_dir, kManifestFileName);
  UniqueFd fd{::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC)};
  if (fd.get() < 0) return Error{"open stage manifest", path, errno, "", kRestage};
  auto text = read_fd(fd.get(), path);
  if (!text) return text.error();
  auto manifest = Manifest::parse(*text, path);
  if (!manifest) {
    Error e = manifest.error();
    if (e.path.empty()) e.path = path;
    if (e.fix.empty()) e.fix = kRestage;
    return e;
  }
  return std::optional<Manifest>(std::move(manifest.value()));
}

Result<SeedOutcome> seed_live_dir(const std::string& stage_dir, const Manifest& manifest,
                                  const std::string& live_dir, ProjectDirMapper& mapper,
                                  const RewriteOptions& rewrite) {
  SeedOutcome out;
  std::string tree = join_path(stage_dir, kTreeDirName);
  UniqueFd tree_fd{::open(tree.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (tree_fd.get() < 0 && !(errno == ENOENT && manifest.files.empty() && manifest.symlinks.empty())) {
    return Error{"open stage tree", tree, errno, "", kRestage};
  }

  // Pass 1: verify everything before writing anything, and learn the working directories
  // (project folder names are mapped by encoding learned paths, never by decoding).
  std::vector<std::optional<std::string>> kept(manifest.files.size());
  std::uint64_t kept_bytes = 0;
  for (std::size_t i = 0; i < manifest.files.size(); ++i) {
    const ManifestFile& f = manifest.files[i];
    std::string where = tree + "/" + f.path;
    UniqueFd fd{open_staged(tree_fd.get(), f.path)};
    if (fd.get() < 0) return Error{"open staged file", where, errno, "", kRestage};
    struct stat st{};
    if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
      return Error{"check staged file", where, 0, "not a regular file", kRestage};
    }
    const auto staged_size = static_cast<std::uint64_t>(st.st_size);
    const bool keep = staged_size <= kKeepFileBytes && kept_bytes + staged_size <= kKeepBudgetBytes;
    const bool learn = f.path.ends_with(kClaudeJsonName) || is_append_only(f.path) || must_parse_as_json(f.path);
    if (learn || keep) {
      auto r = read_fd(fd.get(), where);
      if (!r) return r.error();
      std::string content = std::move(r.value());
      if (auto s = verify_entry(f, content.size(), sha256_hex(content)); !s) {
        Error e = s.error();
        e.path = where;
        return e;
      }
      if (learn) mapper.learn_from_content(f.path, content);
      // The host's spellings the map cannot give back (a "~" rule for a folder mounted
      // elsewhere), learnt from every start's stage: a restart keeps the live dir but
      // still publishes in the host's own words.
      if (rewrite.spellings && teaches_spellings(f.path)) {
        (void)rewrite_content(f.path, content, mapper.path_map(), Direction::kToContainer, rewrite);
      }
      if (keep) {
        kept_bytes += content.size();
        kept[i] = std::move(content);
      }
    } else {
      Sha256 sha;
      std::uint64_t size = 0;
      char buf[65536];
      for (;;) {
        ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return Error{"read", where, errno, "", kRestage};
        if (n == 0) break;
        sha.update(std::string_view(buf, static_cast<std::size_t>(n)));
        size += static_cast<std::uint64_t>(n);
      }
      if (auto s = verify_entry(f, size, sha.hex_digest()); !s) {
        Error e = s.error();
        e.path = where;
        return e;
      }
    }
    SyncedEntry base;
    base.outbox_path = f.path;
    base.sha256 = f.sha256;
    base.outbox_size = f.size;
    base.outbox_mode = f.mode & 07777;
    out.baseline[mapper.map_rel_path(f.path, Direction::kToContainer)] = std::move(base);
  }

  if (dir_is_populated(live_dir)) {
    // A restart of the same container: the live dir holds the container's own changes.
    out.warnings.push_back("live dir " + live_dir + " is already populated; not seeding over it");
    return out;
  }

  // Pass 2: copy. A missing live dir is built beside it and renamed into place; an existing
  // empty one (a mount point) is filled in place.
  struct stat live_st{};
  bool exists = ::stat(live_dir.c_str(), &live_st) == 0;
  std::string target = exists ? live_dir : live_dir + ".claude-init-seed." + random_hex();
  if (!exists && ::mkdir(target.c_str(), 0700) != 0) {
    return Error{"create live dir", target, errno, "", "make the live dir's parent writable (--live-dir)"};
  }
  UniqueFd live_fd{::open(target.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (live_fd.get() < 0) return Error{"open live dir", target, errno, "", "check --live-dir"};
  auto fail = [&](Error e) -> Result<SeedOutcome> {
    if (!exists) {
      std::error_code ignored;  // best effort: drop the half-built copy
      std::filesystem::remove_all(target, ignored);
    }
    return e;
  };

  RewriteOptions seed_rewrite = rewrite;
  seed_rewrite.spellings.reset();  // learnt in pass 1
  // Created with the final mode (the live dir is 0700 until it is in place); set again
  // on the fd only where the umask could take bits away.
  const int umask_now = current_umask();
  std::set<std::string> made;
  for (std::size_t i = 0; i < manifest.files.size(); ++i) {
    const ManifestFile& f = manifest.files[i];
    std::string where = tree + "/" + f.path;
    std::string rel = mapper.map_rel_path(f.path, Direction::kToContainer);
    if (auto s = make_parents(live_fd.get(), rel, target, made); !s) return fail(s.error());
    UniqueFd src{kept[i] ? -1 : open_staged(tree_fd.get(), f.path)};
    if (!kept[i] && src.get() < 0) return fail(Error{"open staged file", where, errno, "", kRestage});
    std::uint32_t mode = f.mode & 07777;
    if (is_credentials(f.path)) mode &= 0600;  // tokens never become readable by others
    const bool chmod_after = umask_may_spoil(mode, umask_now);
    PathAt at(live_fd.get(), rel);
    UniqueFd dst{at.dir < 0 ? -1
                            : ::openat(at.dir, at.c_name(), O_RDWR | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
                                       chmod_after ? 0600 : mode)};
    if (dst.get() < 0) return fail(Error{"create", target + "/" + rel, errno, "", "check --live-dir"});
    const bool rewritten = is_rewritable(f.path);
    if (kept[i] || rewritten) {
      if (!kept[i]) {
        auto content = read_fd(src.get(), where);
        if (!content) return fail(content.error());
        if (sha256_hex(*content) != f.sha256) {
          return fail(Error{"verify staged file", where, 0, "changed while seeding", kRestage});
        }
        kept[i] = std::move(content.value());
      }
      if (rewritten) {
        auto container = rewrite_content(f.path, *kept[i], mapper.path_map(), Direction::kToContainer, seed_rewrite);
        if (!container) return fail(container.error());
        kept[i] = std::move(container.value());
      }
      const std::string& container = *kept[i];
      std::string_view data = container;
      while (!data.empty()) {
        ssize_t n = ::write(dst.get(), data.data(), data.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return fail(Error{"write", target + "/" + rel, errno, "", "free space in the container"});
        data.remove_prefix(static_cast<std::size_t>(n));
      }
      out.bytes += container.size();
      kept[i].reset();  // written: its memory goes back
    } else {
      // Files nothing is rewritten in are copied by the kernel where it can.
      auto sha = copy_fd_hashed(src.get(), dst.get(), f.size, target + "/" + rel);
      if (!sha) return fail(sha.error());
      if (*sha != f.sha256) return fail(Error{"verify staged file", where, 0, "changed while seeding", kRestage});
      out.bytes += f.size;
    }
    if (chmod_after && ::fchmod(dst.get(), mode) != 0) return fail(Error{"chmod", target + "/" + rel, errno, "", ""});
    struct stat st{};
    if (::fstat(dst.get(), &st) == 0) out.baseline[rel].facts = facts_from_stat(st);
    ++out.files;
  }
  for (const ManifestSymlink& l : manifest.symlinks) {
    std::string rel = mapper.map_rel_path(l.path, Direction::kToContainer);
    if (auto s = make_parents(live_fd.get(), rel, target, made); !s) return fail(s.error());
    PathAt at(live_fd.get(), rel);
    if (at.dir < 0 || (::symlinkat(l.target.c_str(), at.dir, at.c_name()) != 0 && errno != EEXIST)) {
      return fail(Error{"create symlink", target + "/" + rel, errno, "", ""});
    }
    struct stat st{};
    if (::fstatat(at.dir, at.c_name(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
      SyncedEntry base;
      base.facts = facts_from_stat(st);
      base.facts->link_target = l.target;
      base.outbox_path = l.path;
      out.baseline[rel] = std::move(base);
    }
  }
  if (!exists && ::rename(target.c_str(), live_dir.c_str()) != 0) {
    return fail(Error{"move seeded live dir into place", live_dir, errno, "", "make the live dir's parent writable"});
  }
  out.copied = true;
  return out;
}

}  // namespace claude
