#include "hostside/outbox_reader.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <set>

#include "core/formats.h"
#include "core/journal.h"
#include "core/manifest.h"
#include "core/sha256.h"
#include "platform/file_time.h"

namespace claude::host {

namespace {

const char* kind_of(mode_t m) {
  if (S_ISFIFO(m)) return "a FIFO";
  if (S_ISSOCK(m)) return "a socket";
  if (S_ISCHR(m) || S_ISBLK(m)) return "a device";
  return "not a regular file";
}

Error unreadable(const std::string& path, int err) {
  if (err == EACCES || err == EPERM)
    return Error{
        "read the outbox", path, err, "you cannot read what the container left there",
        "give it back to yourself (sudo chown -R \"$(id -u):$(id -g)\" on the run's outbox "
        "folder), "
        "then run `claude-host readback` again; nothing was merged and the run stays pending"};
  return Error{"read the outbox", path, err, "", ""};
}

// Reads fd from offset 0 to its end (at most `limit` bytes), feeding `sink` chunk by chunk.
// read_chunks, with a refusal to read named as such (the fix says whose files they are).
Status read_all(int fd, std::uint64_t limit, const std::string& shown,
                const std::function<void(std::string_view, std::uint64_t)>& sink) {
  Status r = read_chunks(fd, limit, shown, sink);
  if (!r.ok()) return unreadable(shown, r.error().sys_errno);
  return r;
}

// Opens a regular file beneath the outbox with no link followed, refusing anything else.
Result<std::pair<UniqueFd, struct stat>> open_regular(int outbox_fd, const std::string& rel,
                                                      const std::string& shown) {
  auto fd = open_no_links(outbox_fd, rel, O_RDONLY | O_NONBLOCK, shown);
  if (!fd.ok()) {
    if (fd.error().sys_errno == EACCES) return unreadable(shown, EACCES);
    return fd.error();
  }
  struct stat st {};
  if (::fstat(fd->get(), &st) != 0) return unreadable(shown, errno);
  if (!S_ISREG(st.st_mode))
    return Error{"read the outbox", shown, 0, std::string("is ") + kind_of(st.st_mode), ""};
  return std::make_pair(std::move(*fd), st);
}

std::string symlink_identity(const std::string& target) {
  return sha256_hex("symlink\n" + target);
}

struct Walk {
  const OutboxLimits& limits;
  const TreeState& state;
  std::string tree_shown;
  std::vector<ObservedEntry> observed;
  std::map<std::string, struct stat> stats;
  std::vector<std::string> unverifiable;
  std::set<std::string> present;  // entries there but not readable as files: never deletions
  std::size_t entries = 0;

  Status folder(int dirfd, const std::string& prefix, std::size_t depth) {
    if (depth > limits.depth)
      return Error{"read the outbox", tree_shown + "/" + prefix, 0,
                   "folders nested deeper than " + std::to_string(limits.depth) + " levels", ""};
    int dup = ::fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
    if (dup < 0) return unreadable(tree_shown + "/" + prefix, errno);
    DIR* d = ::fdopendir(dup);
    if (!d) {
      ::close(dup);
      return unreadable(tree_shown + "/" + prefix, errno);
    }
    std::vector<std::string> names;
    while (dirent* e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name == "." || name == "..") continue;
      if (++entries > limits.paths) {
        ::closedir(d);
        return Error{"read the outbox", tree_shown, 0,
                     "more than " + std::to_string(limits.paths) + " entries", ""};
      }
      names.push_back(std::move(name));
    }
    ::closedir(d);
    for (const auto& name : names) {
      std::string rel = prefix + name;
      std::string shown = tree_shown + "/" + rel;
      struct stat st {};
      if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) continue;
        return unreadable(shown, errno);
      }
      if (S_ISDIR(st.st_mode)) {
        int fd = ::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) return unreadable(shown, errno);
        UniqueFd sub(fd);
        if (Status s = folder(sub.get(), rel + "/", depth + 1); !s.ok()) return s;
        continue;
      }
      ObservedEntry o;
      o.path = rel;
      o.mode = st.st_mode & 07777;
      if (S_ISLNK(st.st_mode)) {
        char buf[4096];
        ssize_t n = ::readlinkat(dirfd, name.c_str(), buf, sizeof buf);
        if (n < 0 || n == static_cast<ssize_t>(sizeof buf)) {
          unverifiable.push_back(rel + ": a symlink whose target cannot be read");
          continue;
        }
        o.is_symlink = true;
        o.target.assign(buf, static_cast<std::size_t>(n));
      } else if (!S_ISREG(st.st_mode)) {
        unverifiable.push_back(rel + ": " + kind_of(st.st_mode) + ", not a file");
        present.insert(rel);  // there, not deleted
        continue;
      } else if (st.st_nlink > 1) {
        // The init publishes every file under one name; a second name could be a file
        // that lives elsewhere on the host.
        unverifiable.push_back(rel + ": has " + std::to_string(st.st_nlink) +
                               " hard links; not read");
        present.insert(rel);
        continue;
      } else if (!is_temp_name(rel)) {
        if (Status s = observe_file(dirfd, name, rel, st, o); !s.ok()) {
          if (s.error().sys_errno == EACCES || s.error().sys_errno == EPERM) return s;
          unverifiable.push_back(rel + ": " + s.error().message());
          present.insert(rel);
          continue;
        }
      }
      stats[rel] = st;
      observed.push_back(std::move(o));
    }
    return Ok{};
  }

  // Hashes the file as it streams by, keeping the hash state at the journaled size and,
  // for a log that grew past it, the bytes after it (the whole lines a kill left).
  Status observe_file(int dirfd, const std::string& name, const std::string& rel,
                      const struct stat& st, ObservedEntry& o) {
    std::string shown = tree_shown + "/" + rel;
    if (static_cast<std::uint64_t>(st.st_size) > limits.file_bytes)
      return Error{"read the outbox", shown, 0,
                   "larger than " + std::to_string(limits.file_bytes) + " bytes", ""};
    int fd = ::openat(dirfd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return unreadable(shown, errno);
    UniqueFd file(fd);
    struct stat now {};
    if (::fstat(fd, &now) != 0 || !S_ISREG(now.st_mode))
      return Error{"read the outbox", shown, 0, "changed while read", ""};
    const ExpectedEntry* e = state.find(rel);
    std::optional<std::uint64_t> cut;
    if (e && !e->is_symlink) cut = e->size;
    // Only an appended log's bytes past its journaled size are worth keeping (whole lines).
    const std::uint64_t keep_tail = e && is_appended_log(rel, *e) ? limits.in_memory : 0;
    Sha256 whole, at_prefix;
    bool prefix_taken = cut && *cut == 0;
    std::string tail;
    Status r =
        read_all(fd, limits.file_bytes, shown, [&](std::string_view bytes, std::uint64_t off) {
          if (cut && !prefix_taken && off + bytes.size() >= *cut) {
            std::size_t head = static_cast<std::size_t>(*cut - off);
            whole.update(bytes.substr(0, head));
            at_prefix = whole;
            prefix_taken = true;
            bytes.remove_prefix(head);
            whole.update(bytes);
            if (tail.size() < keep_tail)
              tail.append(bytes.substr(0, static_cast<std::size_t>(keep_tail - tail.size())));
            return;
          }
          whole.update(bytes);
          if (prefix_taken && cut && tail.size() < keep_tail)
            tail.append(bytes.substr(0, static_cast<std::size_t>(keep_tail - tail.size())));
        });
    if (!r.ok()) return r;
    o.size = whole.size();
    o.whole_sha256 = whole.hex_digest();
    if (cut && prefix_taken) {
      o.prefix_sha256 = at_prefix.hex_digest();
      observe_log_tail(*e, at_prefix, tail, o);
    }
    return Ok{};
  }
};

}  // namespace

Result<OutboxReader> OutboxReader::open(const std::string& run_dir) {
  int dirfd = ::open(run_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0) return unreadable(run_dir, errno);
  UniqueFd run(dirfd);
  std::string shown = join_path(run_dir, kOutboxDirName);
  auto fd = open_no_links(run.get(), std::string(kOutboxDirName), O_RDONLY | O_DIRECTORY, shown);
  if (!fd.ok()) {
    if (fd.error().sys_errno == EACCES) return unreadable(shown, EACCES);
    return fd.error();
  }
  return OutboxReader(shown, std::move(*fd));
}

Result<bool> OutboxReader::has_journal() const {
  struct stat st {};
  if (::fstatat(fd_.get(), std::string(kJournalFileName).c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) return true;
  if (errno == ENOENT) return false;
  return unreadable(join_path(path_, kJournalFileName), errno);
}

Result<VerifiedOutbox> OutboxReader::verify(const OutboxLimits& limits) const {
  VerifiedOutbox v;
  const std::string journal_shown = join_path(path_, kJournalFileName);
  auto journal = open_regular(fd_.get(), std::string(kJournalFileName), journal_shown);
  if (!journal.ok()) return journal.error();
  if (static_cast<std::uint64_t>(journal->second.st_size) > limits.journal_bytes)
    return Error{"read the outbox", journal_shown, 0,
                 "larger than " + std::to_string(limits.journal_bytes >> 20) + " MiB (" +
                     std::to_string(journal->second.st_size) + " bytes)",
                 ""};

  v.journal_mtime_ns = mtime_ns(journal->second);
  // The journal, streamed: each line is parsed and replayed at once, so memory follows the
  // number of paths, not the journal's size.
  TreeState state;
  JournalParser parser(journal_shown);
  std::string carry;
  std::optional<Error> failed;
  Status read = read_all(
      journal->first.get(), limits.journal_bytes, journal_shown,
      [&](std::string_view bytes, std::uint64_t) {
        if (failed) return;
        while (!bytes.empty() && !failed) {
          std::size_t nl = bytes.find('\n');
          std::string_view part = bytes.substr(0, nl == std::string_view::npos ? bytes.size() : nl);
          if (carry.size() + part.size() > limits.journal_line) {
            failed =
                Error{"read the outbox", journal_shown, 0,
                      "a record longer than " + std::to_string(limits.journal_line) + " bytes", ""};
            return;
          }
          carry.append(part);
          if (nl == std::string_view::npos) return;
          bytes.remove_prefix(nl + 1);
          auto r = parser.next(carry);
          carry.clear();
          if (!r.ok()) {
            failed = r.error();
            return;
          }
          if (r->op == JournalOp::kBegin && v.trace_id.empty()) v.trace_id = r->trace_id;
          if (r->op == JournalOp::kDelete) v.deleted.insert(r->path);
          if (r->op == JournalOp::kRename) v.deleted.insert(r->from);
          state.apply(*r);
          ++v.journal_records;
          if (state.entries().size() > limits.paths || v.deleted.size() > limits.paths)
            failed = Error{"read the outbox", journal_shown, 0,
                           "names more than " + std::to_string(limits.paths) + " paths", ""};
        }
      });
  if (!read.ok()) return read.error();
  if (failed) return *failed;
  // A last line without its '\n' was torn by a kill: what it would record is found again below.

  Walk walk{limits, state, join_path(path_, kTreeDirName), {}, {}, {}, {}, 0};
  auto tree = open_no_links(fd_.get(), std::string(kTreeDirName), O_RDONLY | O_DIRECTORY, walk.tree_shown);
  if (tree.ok()) {
    if (Status s = walk.folder(tree->get(), "", 0); !s.ok()) return s.error();
  } else if (tree.error().sys_errno != ENOENT) {
    if (tree.error().sys_errno == EACCES) return unreadable(walk.tree_shown, EACCES);
    return tree.error();
  }
  v.unverifiable = std::move(walk.unverifiable);

  std::map<std::string, const ObservedEntry*> observed;
  for (const auto& ob : walk.observed) observed[ob.path] = &ob;
  for (const auto& step : plan_recovery(state, walk.observed)) {
    auto found = observed.find(step.path);
    const ObservedEntry* o = found == observed.end() ? nullptr : found->second;
    switch (step.action) {
      case RecoveryAction::kStaleTemp:
        continue;
      case RecoveryAction::kJournalAsDelete:
        if (!walk.present.count(step.path)) v.deleted.insert(step.path);
        continue;
      case RecoveryAction::kCorrupt:
        v.unverifiable.push_back(step.path + ": " + step.detail);
        continue;
      case RecoveryAction::kJournalAsPut:
      case RecoveryAction::kJournalAsSymlink: {
        const struct stat& st = walk.stats[step.path];
        std::int64_t ctime_ns =
            static_cast<std::int64_t>(st.st_ctim.tv_sec) * 1000000000 + st.st_ctim.tv_nsec;
        const ExpectedEntry* exp = state.find(step.path);
        if (o && o->is_symlink && !(exp && exp->is_symlink)) {
          // Never what a kill leaves of a file the journal records: a link put in its place.
          v.unverifiable.push_back(
              step.path + ": is a symlink (to '" + o->target + "') where " +
              (exp ? "its journal records a file" : "no journal record names it"));
        } else if (o && ctime_ns >= v.journal_mtime_ns &&
                   check_rel_name(step.path, "outbox entry").ok()) {
          TheirEntry t;
          t.mode = st.st_mode & 0777;
          t.mtime_ns =
              mtime_ns(st);
          t.is_symlink = o->is_symlink;
          t.target = o->target;
          t.size = o->size;
          t.sha256 = o->is_symlink ? symlink_identity(o->target) : o->whole_sha256;
          v.unjournaled[step.path] = std::move(t);
        } else {
          v.unverifiable.push_back(
              step.path +
              (exp ? ": its bytes are not the ones its journal records" : ": not in the journal"));
        }
        continue;
      }
      default:
        break;
    }
    if (!o) continue;
    Status safe = check_rel_name(step.path, "outbox entry");
    if (!safe.ok()) {
      v.unverifiable.push_back(step.path + ": " + safe.error().detail);
      continue;
    }
    const ExpectedEntry* exp = state.find(step.path);
    TheirEntry t;
    const struct stat& st = walk.stats[step.path];
    t.mode = st.st_mode & 0777;
    t.mtime_ns = mtime_ns(st);
    if (o->is_symlink) {
      t.is_symlink = true;
      t.target = o->target;
      t.sha256 = symlink_identity(o->target);
    } else if (step.action == RecoveryAction::kJournalAsAppend) {
      t.size =
          step.truncate_to;  // the whole lines past the journaled size count, a torn rest does not
      t.sha256 = step.record.sha256;
    } else if (exp) {  // kOk, kTruncate: the journaled bytes
      t.size = exp->size;
      t.sha256 = exp->sha256;
    } else {
      continue;
    }
    v.entries[step.path] = std::move(t);
  }
  return v;
}

Result<std::string> OutboxReader::read_verified(const std::string& rel, const TheirEntry& entry,
                                                std::uint64_t from,
                                                const OutboxLimits& limits) const {
  std::string shown = join_path(join_path(path_, kTreeDirName), rel);
  if (entry.size < from)
    return Error{"read the outbox", shown, 0, "asked for bytes past its end", ""};
  if (entry.size - from > limits.in_memory)
    return Error{"read the outbox", shown, 0,
                 "larger than " + std::to_string(limits.in_memory >> 20) +
                     " MiB; it stays in the outbox, not merged",
                 ""};
  auto file = open_regular(fd_.get(), join_path(kTreeDirName, rel), shown);
  if (!file.ok()) return file.error();
  Sha256 h;
  std::string out;
  out.reserve(static_cast<std::size_t>(entry.size - from));
  Status r = read_all(
      file->first.get(), entry.size, shown, [&](std::string_view bytes, std::uint64_t off) {
        h.update(bytes);
        if (off + bytes.size() > from)
          out.append(bytes.substr(off >= from ? 0 : static_cast<std::size_t>(from - off)));
      });
  if (!r.ok()) return r.error();
  if (h.size() != entry.size || h.hex_digest() != entry.sha256)
    return Error{"read the outbox", shown, 0, "changed after it was verified; not merged", ""};
  return out;
}

Result<std::string> OutboxReader::read_tree_file(const std::string& rel,
                                                 std::uint64_t max_bytes) const {
  std::string shown = join_path(join_path(path_, kTreeDirName), rel);
  auto file = open_regular(fd_.get(), join_path(kTreeDirName, rel), shown);
  if (!file.ok()) return file.error();
  if (static_cast<std::uint64_t>(file->second.st_size) > max_bytes)
    return Error{"read the outbox", shown, 0, "larger than " + std::to_string(max_bytes) + " bytes",
                 ""};
  std::string out;
  Status r = read_all(file->first.get(), max_bytes, shown,
                      [&](std::string_view bytes, std::uint64_t) { out.append(bytes); });
  if (!r.ok()) return r.error();
  return out;
}

Result<std::string> OutboxReader::prefix_sha256(const std::string& rel, std::uint64_t n) const {
  std::string shown = join_path(join_path(path_, kTreeDirName), rel);
  auto file = open_regular(fd_.get(), join_path(kTreeDirName, rel), shown);
  if (!file.ok()) return file.error();
  Sha256 h;
  Status r = read_all(file->first.get(), n, shown,
                      [&](std::string_view bytes, std::uint64_t) { h.update(bytes); });
  if (!r.ok()) return r.error();
  return h.size() == n ? h.hex_digest() : std::string();
}

Result<OutboxReader::Chunk> OutboxReader::read_report(std::string_view name, std::uint64_t offset,
                                                      std::uint64_t cap) const {
  Chunk c;
  std::string shown = join_path(join_path(path_, kReportsDirName), name);
  auto file = open_regular(fd_.get(), join_path(kReportsDirName, name), shown);
  if (!file.ok()) {
    if (file.error().sys_errno == ENOENT) return c;
    return file.error();
  }
  c.file_size = static_cast<std::uint64_t>(file->second.st_size);
  if (offset >= c.file_size) return c;
  std::uint64_t want = std::min<std::uint64_t>(cap, c.file_size - offset);
  c.bytes.resize(static_cast<std::size_t>(want));
  std::size_t got = 0;
  while (got < want) {
    ssize_t n = ::pread(file->first.get(), c.bytes.data() + got,
                        static_cast<std::size_t>(want - got), static_cast<off_t>(offset + got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return unreadable(shown, errno);
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  c.bytes.resize(got);
  return c;
}

}  // namespace claude::host
