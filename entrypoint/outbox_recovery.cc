#include "entrypoint/outbox_recovery.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <optional>
#include <string>

#include "core/formats.h"
#include "core/sha256.h"
#include "platform/atomic_file.h"
#include "platform/beneath.h"

namespace claude {
namespace {

Status observe_dir(int dir_fd, const std::string& rel_dir, const TreeState& expected,
                   const std::string& root, std::vector<ObservedEntry>& out) {
  // Beneath the tree, part by part when the path is longer than the kernel takes in one.
  int fd = open_dir_no_links_raw(dir_fd, rel_dir);
  if (fd < 0) return Error{"open folder", root + "/" + rel_dir, errno, "", ""};
  DIR* d = ::fdopendir(fd);
  if (!d) {
    ::close(fd);
    return Error{"list folder", root + "/" + rel_dir, errno, "", ""};
  }
  std::vector<std::string> subdirs;
  while (dirent* ent = ::readdir(d)) {
    if (std::strcmp(ent->d_name, ".") == 0 || std::strcmp(ent->d_name, "..") == 0) continue;
    std::string rel = rel_dir.empty() ? ent->d_name : rel_dir + "/" + ent->d_name;
    struct stat st{};
    if (::fstatat(::dirfd(d), ent->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      subdirs.push_back(rel);
      continue;
    }
    ObservedEntry e;
    e.path = rel;
    e.mode = st.st_mode & 07777;
    e.size = static_cast<std::uint64_t>(st.st_size);
    if (S_ISLNK(st.st_mode)) {
      e.is_symlink = true;
      char buf[4096];
      ssize_t n = ::readlinkat(::dirfd(d), ent->d_name, buf, sizeof buf);
      if (n >= 0) e.target.assign(buf, static_cast<std::size_t>(n));
      out.push_back(std::move(e));
      continue;
    }
    if (!S_ISREG(st.st_mode)) continue;
    UniqueFd f{::openat(::dirfd(d), ent->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)};
    if (f.get() < 0) continue;
    const ExpectedEntry* want = expected.find(rel);
    std::uint64_t prefix = want && !want->is_symlink ? want->size : UINT64_MAX;
    // A log's bytes past its journaled size are kept (up to a bound) to find the whole
    // lines among them: appends whose record a kill took.
    const bool log_tail = prefix != UINT64_MAX && is_appended_log(rel, *want);
    constexpr std::size_t kMaxTail = 16u << 20;
    Sha256 whole;
    std::optional<Sha256> at_prefix;
    if (prefix == 0) at_prefix.emplace();
    std::string tail;
    std::uint64_t offset = 0;
    char buf[65536];
    for (;;) {
      ssize_t n = ::read(f.get(), buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      std::string_view chunk(buf, static_cast<std::size_t>(n));
      if (prefix != UINT64_MAX && offset < prefix && offset + chunk.size() >= prefix) {
        at_prefix = whole;
        at_prefix->update(chunk.substr(0, static_cast<std::size_t>(prefix - offset)));
      }
      if (log_tail && offset + chunk.size() > prefix && tail.size() < kMaxTail) {
        std::size_t from = offset >= prefix ? 0 : static_cast<std::size_t>(prefix - offset);
        tail.append(chunk.substr(from, std::min(chunk.size() - from, kMaxTail - tail.size())));
      }
      whole.update(chunk);
      offset += chunk.size();
    }
    if (at_prefix) {
      e.prefix_sha256 = at_prefix->hex_digest();
      if (log_tail) observe_log_tail(*want, *at_prefix, tail, e);
    }
    e.whole_sha256 = whole.hex_digest();
    e.size = offset;
    out.push_back(std::move(e));
  }
  ::closedir(d);
  for (const std::string& sub : subdirs) {
    if (auto s = observe_dir(dir_fd, sub, expected, root, out); !s) return s;
  }
  return Ok{};
}

// Cuts tree/rel to `size` (any depth: opened beneath the tree part by part).
int truncate_beneath(const std::string& tree, const std::string& rel, std::uint64_t size) {
  UniqueFd root{::open(tree.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (root.get() < 0) return -1;
  UniqueFd f{open_no_links_raw(root.get(), rel, O_WRONLY)};
  if (f.get() < 0) return -1;
  return ::ftruncate(f.get(), static_cast<off_t>(size));
}

// Removes the file tree/rel (any depth).
void unlink_beneath(const std::string& tree, const std::string& rel) {
  UniqueFd root{::open(tree.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (root.get() < 0) return;
  auto slash = rel.rfind('/');
  UniqueFd dir{slash == std::string::npos ? ::dup(root.get()) : open_dir_no_links_raw(root.get(), rel.substr(0, slash))};
  if (dir.get() >= 0) ::unlinkat(dir.get(), rel.substr(slash == std::string::npos ? 0 : slash + 1).c_str(), 0);
}

}  // namespace

Result<std::vector<ObservedEntry>> observe_outbox_tree(const std::string& outbox_dir,
                                                       const TreeState& expected) {
  std::string root = join_path(outbox_dir, kTreeDirName);
  std::vector<ObservedEntry> out;
  UniqueFd tree{::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (tree.get() < 0) {
    if (errno == ENOENT) return out;
    return Error{"open outbox tree", root, errno, "", ""};
  }
  if (auto s = observe_dir(tree.get(), "", expected, root, out); !s) return s.error();
  return out;
}

Result<OutboxRecovery> recover_outbox(const std::string& outbox_dir, PosixOutbox& outbox,
                                      const std::string& run_id, const std::string& trace_id) {
  OutboxRecovery rec;
  const std::string root = join_path(outbox_dir, kTreeDirName);
  std::string journal_path = join_path(outbox_dir, kJournalFileName);
  std::string text;
  if (auto r = read_file(journal_path); r.ok()) {
    text = std::move(r.value());
  } else if (r.error().sys_errno != ENOENT) {
    return r.error();
  }
  bool torn = false;
  auto records = parse_journal(text, &torn, journal_path);
  if (!records) {
    Error e = records.error();
    if (e.fix.empty()) e.fix = "move the outbox aside and restart; the live config is intact";
    return e;
  }
  if (torn) {
    // The init was killed in the middle of a journal line: the operation it described is
    // handled below like any unjournaled one.
    std::size_t keep = text.rfind('\n');
    keep = keep == std::string::npos ? 0 : keep + 1;
    if (::truncate(journal_path.c_str(), static_cast<off_t>(keep)) != 0) {
      return Error{"cut torn line of", journal_path, errno, "", "make the outbox writable"};
    }
    rec.notes.push_back("cut a torn last line of journal.jsonl");
  }
  rec.state.replay(*records);
  outbox.set_next_seq(next_seq(*records));

  JournalRecord begin;
  begin.op = JournalOp::kBegin;
  begin.format = std::string(kOutboxFormat);
  begin.run_id = run_id;
  begin.trace_id = trace_id;
  std::vector<JournalRecord> begin_batch{begin};
  if (auto s = outbox.journal(begin_batch); !s) return s.error();

  auto observed = observe_outbox_tree(outbox_dir, rec.state);
  if (!observed) return observed.error();
  std::map<std::string_view, const ObservedEntry*> observed_at;
  for (const ObservedEntry& o : *observed) observed_at.emplace(o.path, &o);
  std::vector<JournalRecord> fixes;
  for (const RecoveryStep& step : plan_recovery(rec.state, *observed)) {
    std::string where = join_path(root, step.path);
    switch (step.action) {
      case RecoveryAction::kOk:
        break;
      case RecoveryAction::kJournalAsPut:
      case RecoveryAction::kJournalAsSymlink:
      case RecoveryAction::kJournalAsDelete:
        fixes.push_back(step.record);
        rec.notes.push_back(std::string(action_name(step.action)) + " " + step.path);
        ++rec.journaled;
        break;
      case RecoveryAction::kJournalAsAppend:
        // The whole lines stay and are journaled; a torn rest after them is cut first.
        if (observed_at.at(step.path)->size > step.truncate_to &&
            truncate_beneath(root, step.path, step.truncate_to) != 0) {
          return Error{"cut torn append of", where, errno, "", "make the outbox writable"};
        }
        fixes.push_back(step.record);
        rec.notes.push_back("journaled " + step.path + ": " + step.detail);
        ++rec.journaled;
        break;
      case RecoveryAction::kTruncate:
        if (truncate_beneath(root, step.path, step.truncate_to) != 0) {
          return Error{"cut torn append of", where, errno, "", "make the outbox writable"};
        }
        rec.notes.push_back("truncated " + step.path + " to " + std::to_string(step.truncate_to));
        ++rec.truncated;
        break;
      case RecoveryAction::kStaleTemp:
        unlink_beneath(root, step.path);
        ++rec.temps_removed;
        break;
      case RecoveryAction::kCorrupt: {
        // Only a log put by rename (a full copy after a rewrite) and killed before its
        // record gets here: the file is complete, so it is journaled as that put; the
        // start-up diff republishes it from the live dir if it is not current.
        const ObservedEntry& o = *observed_at.at(step.path);
        JournalRecord put;
        put.op = JournalOp::kPut;
        put.path = o.path;
        put.size = o.size;
        put.sha256 = o.whole_sha256;
        put.mode = o.mode;
        fixes.push_back(put);
        rec.notes.push_back("journaled a log put whose record was lost: " + step.path + " (" + step.detail + ")");
        ++rec.journaled;
        break;
      }
    }
  }
  if (auto s = outbox.journal(fixes); !s) return s.error();
  for (const JournalRecord& r : fixes) rec.state.apply(r);
  return rec;
}

}  // namespace claude
