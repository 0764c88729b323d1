#include "entrypoint/outbox_tree.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <chrono>
#include <ctime>
#include <random>
#include <set>

#include "core/exclude_rules.h"
#include "core/path_names.h"
#include "core/rfc3339.h"
#include "core/sha256.h"
#include "platform/copy_fd.h"
#include "platform/beneath.h"

namespace claude {
namespace {

std::string random_hex() {
  static std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s(12, '0');
  std::uint64_t v = rng();
  for (char& c : s) {
    c = kDigits[v & 15];
    v >>= 4;
  }
  return s;
}

std::string parent_of(const std::string& rel) { return std::string(parent_path(rel)); }

std::string temp_name_for(const std::string& rel) {
  auto slash = rel.rfind('/');
  std::string dir = slash == std::string::npos ? "" : rel.substr(0, slash + 1);
  std::string base = slash == std::string::npos ? rel : rel.substr(slash + 1);
  return dir + temp_name(base, random_hex());
}


Status write_all(int fd, std::string_view data, const std::string& what) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error{"write", what, errno, "", "free space in the outbox or make it writable"};
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return Ok{};
}

bool g_tmpfile_allowed = true;

}  // namespace

void set_tmpfile_allowed(bool allowed) { g_tmpfile_allowed = allowed; }

std::string rfc3339_now() {
  using namespace std::chrono;
  return rfc3339_utc(duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count(), true);
}

OutboxOwner OutboxOwner::of(const std::string& outbox_dir) {
  OutboxOwner o;
  struct stat st{};
  if (::geteuid() != 0 || ::stat(outbox_dir.c_str(), &st) != 0 || st.st_uid == 0) return o;
  o.uid = st.st_uid;
  o.gid = st.st_gid;
  o.active = true;
  return o;
}

void OutboxOwner::adopt(int fd) const {
  if (active) (void)!::fchown(fd, uid, gid);
}

void OutboxOwner::adopt_at(int dir_fd, const std::string& name) const {
  if (active) (void)!::fchownat(dir_fd, name.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW);
}

Result<std::unique_ptr<PosixOutbox>> PosixOutbox::open(const std::string& outbox_dir, bool* in_use) {
  std::unique_ptr<PosixOutbox> out(new PosixOutbox(outbox_dir));
  out->lock_fd_ = ::open(outbox_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (out->lock_fd_ < 0) return Error{"open outbox", outbox_dir, errno, "", "mount the outbox folder (--outbox)"};
  if (::flock(out->lock_fd_, LOCK_EX | LOCK_NB) != 0 && errno != ENOLCK && errno != EOPNOTSUPP && errno != EINVAL) {
    // (A filesystem without flock — some network and FUSE mounts — goes unlocked.)
    if (in_use) *in_use = true;
    return Error{"lock outbox", outbox_dir, 0, "another claude-init is syncing into it",
                 "give each container an outbox folder of its own (claude-host run makes one per run)"};
  }
  out->owner_ = OutboxOwner::of(outbox_dir);
  out->umask_ = current_umask();
  std::string tree = join_path(outbox_dir, kTreeDirName);
  if (::mkdir(tree.c_str(), 0755) == 0) {
    out->owner_.adopt_at(AT_FDCWD, tree);
  } else if (errno != EEXIST) {
    return Error{"create outbox tree", tree, errno, "", "mount the outbox read-write (--outbox)"};
  }
  out->tree_fd_ = ::open(tree.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (out->tree_fd_ < 0) return Error{"open outbox tree", tree, errno, "", "check --outbox"};
  std::string journal = join_path(outbox_dir, kJournalFileName);
  int fd = ::open(journal.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return Error{"open journal", journal, errno, "", "mount the outbox read-write (--outbox)"};
  out->owner_.adopt(fd);
  ::close(fd);
  out->tmpfile_ = out->probe_tmpfile();
  return out;
}

PosixOutbox::TmpfileLink PosixOutbox::probe_tmpfile() {
  // One unnamed file, linked under a temp name and removed again: whatever fails here
  // (a filesystem without O_TMPFILE, such as some FUSE and 9p mounts; no CAP_DAC_READ_SEARCH
  // on an older kernel and no /proc) leaves the named temps in use.
  if (!g_tmpfile_allowed) return TmpfileLink::kNone;
  int fd = ::openat(tree_fd_, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0) return TmpfileLink::kNone;
  TmpfileLink how = TmpfileLink::kNone;
  const std::string probe = temp_name_for("probe");
  for (TmpfileLink candidate : {TmpfileLink::kEmptyPath, TmpfileLink::kProcFd}) {
    tmpfile_ = candidate;
    if (link_tmpfile(fd, probe) == 0) {
      ::unlinkat(tree_fd_, probe.c_str(), 0);
      how = candidate;
      break;
    }
  }
  ::close(fd);
  return how;
}

int PosixOutbox::link_tmpfile(int fd, const std::string& rel) const {
  PathAt to(tree_fd_, rel);
  if (to.dir < 0) return -1;
  if (tmpfile_ == TmpfileLink::kEmptyPath) return ::linkat(fd, "", to.dir, to.c_name(), AT_EMPTY_PATH);
  char proc[64];
  std::snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
  return ::linkat(AT_FDCWD, proc, to.dir, to.c_name(), AT_SYMLINK_FOLLOW);
}

// A batch's staged entries, owned by whoever commits them; what was not committed is
// closed and its named temps removed when the set goes.
struct PosixOutbox::PosixStaged final : StagedSet {
  PosixStaged(int tree_fd, std::vector<Staged> e) : tree_fd(tree_fd), entries(std::move(e)) {}
  ~PosixStaged() override {
    for (Staged& s : entries) {
      if (s.fd >= 0) ::close(s.fd);
      if (!s.temp.empty()) {
        PathAt temp(tree_fd, s.temp);
        if (temp.dir >= 0) ::unlinkat(temp.dir, temp.c_name(), 0);
      }
    }
  }
  PosixStaged(const PosixStaged&) = delete;
  PosixStaged& operator=(const PosixStaged&) = delete;
  void absorb(StagedSet& later) override {
    std::vector<Staged>& more = static_cast<PosixStaged&>(later).entries;
    entries.insert(entries.end(), more.begin(), more.end());
    more.clear();
  }
  int tree_fd;
  std::vector<Staged> entries;
};

PosixOutbox::~PosixOutbox() {
  abort();
  if (tree_fd_ >= 0) ::close(tree_fd_);
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

Status PosixOutbox::make_parents(const std::string& rel) {
  std::string parent = parent_of(rel);
  if (parent.empty()) return Ok{};
  std::lock_guard lock(dirs_mu_);
  if (made_dirs_.count(parent) != 0) return Ok{};
  std::size_t pos = 0;
  while (pos <= parent.size()) {
    std::size_t end = parent.find('/', pos);
    if (end == std::string::npos) end = parent.size();
    std::string prefix = parent.substr(0, end);
    PathAt at(tree_fd_, prefix);
    if (at.dir >= 0 && ::mkdirat(at.dir, at.c_name(), 0755) == 0) {
      owner_.adopt_at(at.dir, at.name);
    } else if (at.dir < 0 || errno != EEXIST) {
      return Error{"create folder", tree_path(prefix), errno, "", "free space in the outbox or make it writable"};
    }
    pos = end + 1;
  }
  made_dirs_.insert(parent);
  return Ok{};
}

void PosixOutbox::remove_empty_parents(const std::string& rel) {
  // rmdir fails harmlessly on a folder that is not empty.
  for (std::string dir = parent_of(rel); !dir.empty(); dir = parent_of(dir)) {
    PathAt at(tree_fd_, dir);
    if (at.dir < 0 || ::unlinkat(at.dir, at.c_name(), AT_REMOVEDIR) != 0) break;
    std::lock_guard lock(dirs_mu_);
    made_dirs_.clear();
  }
}

Status PosixOutbox::stage_put(const std::string& rel, std::string_view data, std::uint32_t mode) {
  return stage_filled(rel, mode, [&](int fd, const std::string& what) -> Result<std::uint64_t> {
    if (auto s = write_all(fd, data, what); !s) return s.error();
    return static_cast<std::uint64_t>(data.size());
  });
}

Result<std::string> PosixOutbox::stage_copy(const std::string& rel, int src_fd, std::uint64_t length,
                                            std::uint32_t mode, std::uint64_t* copied) {
  std::string sha;
  std::uint64_t n = 0;
  Status s = stage_filled(rel, mode, [&](int fd, const std::string& what) -> Result<std::uint64_t> {
    auto digest = copy_fd_hashed(src_fd, fd, length, what, &n);
    if (!digest) return digest.error();
    sha = std::move(digest.value());
    return n;
  });
  if (!s) return s.error();
  if (copied) *copied = n;
  return sha;
}

Status PosixOutbox::stage_filled(const std::string& rel, std::uint32_t mode,
                                 const std::function<Result<std::uint64_t>(int fd, const std::string& what)>& fill) {
  if (auto s = make_parents(rel); !s) return s;
  const bool unnamed = tmpfile_ != TmpfileLink::kNone;
  std::string temp = unnamed ? std::string() : temp_name_for(rel);
  // Created with its final mode; when the umask takes bits away (or is unknown, or the
  // mode has more than permission bits) the mode is set again on the fd, so the umask
  // can neither narrow a file's mode nor widen 0600 credentials.
  const mode_t perms = mode & 07777;
  const bool chmod_after = umask_may_spoil(perms, umask_);
  const mode_t create_mode = chmod_after ? 0600 : perms;
  // Read and write: stage_copy hashes what landed in the temp.
  auto create = [&] {
    if (unnamed) {
      std::string parent = parent_of(rel);
      if (parent.size() >= kPathChunk) {
        UniqueFd dir{open_dir_no_links_raw(tree_fd_, parent)};
        return dir.get() < 0 ? -1 : ::openat(dir.get(), ".", O_TMPFILE | O_RDWR | O_CLOEXEC, create_mode);
      }
      return ::openat(tree_fd_, parent.empty() ? "." : parent.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, create_mode);
    }
    PathAt at(tree_fd_, temp);
    if (at.dir < 0) return -1;
    return ::openat(at.dir, at.c_name(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, create_mode);
  };
  int fd = create();
  if (fd < 0 && errno == ENOENT) {
    // A folder this process made was removed behind its back: make the folders again.
    forget_dirs();
    if (auto s = make_parents(rel); !s) return s;
    fd = create();
  }
  if (fd < 0) return Error{"create temp file for", tree_path(rel), errno, "", "free space in the outbox or make it writable"};
  owner_.adopt(fd);
  const std::string what = tree_path(unnamed ? rel : temp);
  Result<std::uint64_t> filled = !chmod_after || ::fchmod(fd, perms) == 0
                                      ? fill(fd, what)
                                      : Result<std::uint64_t>(Error{"chmod", what, errno, "", ""});
  if (!filled) {
    // A full outbox must not keep the half-written temp around until the next commit.
    ::close(fd);
    if (!unnamed) {
      PathAt at(tree_fd_, temp);
      if (at.dir >= 0) ::unlinkat(at.dir, at.c_name(), 0);
    }
    return filled.error();
  }
  // No write-back of its own: the batch's one syncfs writes every staged temp together.
  // (Starting each temp's write-back at once, with sync_file_range, submits one block
  // request per file: a 1000-file burst took 20-40% more CPU and was published later.)
  staged_.push_back(Staged{rel, std::move(temp), fd});
  bytes_written_ += *filled;
  return Ok{};
}

Status PosixOutbox::stage_symlink(const std::string& rel, const std::string& target) {
  if (auto s = make_parents(rel); !s) return s;
  std::string temp = temp_name_for(rel);
  PathAt at(tree_fd_, temp);
  if (at.dir < 0 || ::symlinkat(target.c_str(), at.dir, at.c_name()) != 0) {
    return Error{"create symlink for", tree_path(rel), errno, "", "free space in the outbox or make it writable"};
  }
  owner_.adopt_at(at.dir, at.name);
  staged_.push_back(Staged{rel, temp, -1});
  return Ok{};
}

std::unique_ptr<Outbox::StagedSet> PosixOutbox::take_staged() {
  auto set = std::make_unique<PosixStaged>(tree_fd_, std::move(staged_));
  staged_.clear();
  return set;
}

Status PosixOutbox::make_durable(StagedSet& set) {
  const std::vector<Staged>& staged = static_cast<PosixStaged&>(set).entries;
  // One syncfs for a batch costs about as much as one fsync; per-file fdatasync is cheaper
  // only for one or two files.
  std::size_t files = 0;
  for (const Staged& s : staged) files += s.fd >= 0 ? 1 : 0;
  if (files > 1) {
    if (::syncfs(tree_fd_) != 0)
      return Error{"sync outbox", dir_, errno, "", "check the outbox's filesystem"};
    return Ok{};
  }
  for (const Staged& s : staged) {
    if (s.fd >= 0 && ::fdatasync(s.fd) != 0) {
      return Error{"fdatasync", tree_path(s.temp.empty() ? s.rel : s.temp), errno, "",
                   "free space in the outbox or make it writable"};
    }
  }
  return Ok{};
}

Status PosixOutbox::put_in_place(StagedSet& set, std::vector<std::string>* committed) {
  std::vector<Staged>& staged = static_cast<PosixStaged&>(set).entries;
  Status result = Ok{};
  for (std::size_t i = 0; result.ok() && i < staged.size(); ++i) {
    result = commit_one(staged[i]);
    if (result.ok() && committed) committed->push_back(staged[i].rel);
  }
  // The folders are not fsynced here: a rename that is lost with power is lost together
  // with its journal line (ext4 commits them in order), so the outbox stays consistent; the
  // next batch's sync or a barrier's makes it durable. That saves a device flush per batch.
  // What is left uncommitted is removed with the set.
  return result;
}

void PosixOutbox::forget_dirs() {
  std::lock_guard lock(dirs_mu_);
  made_dirs_.clear();
}

Status PosixOutbox::commit_one(Staged& s) {
  const bool unnamed = s.fd >= 0 && s.temp.empty();
  if (unnamed) {
    // A new name takes the file in one link; a name that exists is replaced by linking
    // under a temp name and renaming that over it.
    int linked = link_tmpfile(s.fd, s.rel);
    if (linked != 0 && errno == ENOENT) {
      // Its folder went while the file waited: an unnamed file holds no name in it, so a
      // remove earlier in the batch (or a person) could empty it and take it away.
      forget_dirs();
      if (auto made = make_parents(s.rel); !made) return made;
      linked = link_tmpfile(s.fd, s.rel);
    }
    if (linked == 0) {
      ::close(s.fd);
      s.fd = -1;
      return Ok{};
    }
    if (errno != EEXIST) return Error{"link into place", tree_path(s.rel), errno, "", "free space in the outbox or make it writable"};
    std::string temp = temp_name_for(s.rel);
    if (link_tmpfile(s.fd, temp) != 0) return Error{"link", tree_path(temp), errno, "", "free space in the outbox or make it writable"};
    s.temp = std::move(temp);
  }
  if (s.fd >= 0) {
    ::close(s.fd);
    s.fd = -1;
  }
  PathAt from(tree_fd_, s.temp), to(tree_fd_, s.rel);
  if (from.dir < 0 || to.dir < 0 || ::renameat(from.dir, from.c_name(), to.dir, to.c_name()) != 0) {
    return Error{"rename into place", tree_path(s.rel), errno, "", "free space in the outbox or make it writable"};
  }
  s.temp.clear();
  return Ok{};
}

Status PosixOutbox::append(const std::string& rel, std::string_view data, std::uint64_t expected_size) {
  PathAt at(tree_fd_, rel);
  int fd = at.dir < 0 ? -1 : ::openat(at.dir, at.c_name(), O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return Error{"open for append", tree_path(rel), errno, "", ""};
  struct stat st{};
  Status result = Ok{};
  if (::fstat(fd, &st) != 0) {
    result = Error{"stat", tree_path(rel), errno, "", ""};
  } else if (static_cast<std::uint64_t>(st.st_size) != expected_size) {
    result = Error{"append to", tree_path(rel), 0, "size changed", ""};
  } else {
    result = write_all(fd, data, tree_path(rel));
    if (!result.ok()) {
      // Cut a partial append back so the file still matches its journal.
      (void)!::ftruncate(fd, static_cast<off_t>(expected_size));
    } else {
      bytes_written_ += data.size();
    }
  }
  ::close(fd);
  return result;
}

Status PosixOutbox::remove(const std::string& rel) {
  PathAt at(tree_fd_, rel);
  if ((at.dir < 0 || ::unlinkat(at.dir, at.c_name(), 0) != 0) && errno != ENOENT) {
    return Error{"remove", tree_path(rel), errno, "", "make the outbox writable"};
  }
  remove_empty_parents(rel);  // folders left empty go too
  return Ok{};
}

Status PosixOutbox::rename(const std::string& from, const std::string& to) {
  if (auto s = make_parents(to); !s) return s;
  PathAt src(tree_fd_, from), dst(tree_fd_, to);
  if (src.dir < 0 || dst.dir < 0 || ::renameat(src.dir, src.c_name(), dst.dir, dst.c_name()) != 0) {
    return Error{"rename", tree_path(from), errno, "to " + to, ""};
  }
  remove_empty_parents(from);
  return Ok{};
}

Status PosixOutbox::journal(std::vector<JournalRecord>& records) {
  if (records.empty()) return Ok{};
  std::string lines;
  std::string now = rfc3339_now();
  for (JournalRecord& r : records) {
    r.seq = next_seq_++;
    if (r.time.empty()) r.time = now;
    lines += to_line(r);
  }
  std::string path = join_path(dir_, kJournalFileName);
  // Opened per write, not held: an fd held open for writing would keep the outbox from
  // being remounted read-only (or unmounted) by the host while the run goes on.
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    next_seq_ -= records.size();
    return Error{"open journal", path, errno, "", "free space in the outbox or make it writable"};
  }
  struct stat st{};
  off_t before = ::fstat(fd, &st) == 0 ? st.st_size : -1;
  Status s = write_all(fd, lines, path);
  if (!s.ok()) {
    // Never leave a torn line behind: cut the journal back to where it was.
    if (before >= 0) (void)!::ftruncate(fd, before);
    ::close(fd);
    next_seq_ -= records.size();
    return s;
  }
  ::close(fd);
  bytes_written_ += lines.size();
  return Ok{};
}

Status PosixOutbox::sync() {
  if (::syncfs(tree_fd_) != 0) return Error{"sync outbox", dir_, errno, "", "check the outbox's filesystem"};
  return Ok{};
}

}  // namespace claude
