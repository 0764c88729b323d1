#include "hostside/credential_broker.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <random>

#include "core/formats.h"
#include "hostside/clock.h"
#include "hostside/file_tree.h"
#include "hostside/host_logs.h"
#include "hostside/run_state.h"
#include "platform/atomic_file.h"
#include "platform/beneath.h"
#include "platform/file_time.h"

namespace claude::host {

namespace {

constexpr std::int64_t kMaxCredentialBytes = 1 << 20;

std::int64_t wall_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// What a stat of one source looks like; a new version of a file published by rename has a
// new inode or mtime.
struct Seen {
  ino_t ino = 0;
  std::int64_t mtime = -1;
  off_t size = -1;
  bool operator==(const Seen&) const = default;
};

Seen stat_seen(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return {};
  return {st.st_ino, mtime_ns(st), st.st_size};
}

std::string random_hex16() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

}  // namespace

std::string CredentialCopy::where() const {
  switch (kind) {
    case Kind::kHost:
      return "the host store";
    case Kind::kOutbox:
      return "run " + run_id + "'s outbox";
    case Kind::kInbox:
      return "run " + run_id + "'s inbox";
    case Kind::kStage:
      return "run " + run_id + "'s stage";
  }
  return "?";
}

std::optional<CredentialCopy> read_credential_copy(const std::string& base,
                                                   const std::vector<std::string_view>& components) {
  UniqueFd dir{::open(base.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (!dir) return std::nullopt;
  std::string rel;
  for (std::string_view c : components) rel = rel.empty() ? std::string(c) : join_path(rel, c);
  // A copy a container wrote: no link followed anywhere, a regular file, bounded.
  auto fd = open_no_links(dir.get(), rel, O_RDONLY | O_NONBLOCK, join_path(base, rel));
  if (!fd.ok()) return std::nullopt;
  struct stat st {};
  if (::fstat(fd->get(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > kMaxCredentialBytes)
    return std::nullopt;
  CredentialCopy c;
  c.written_ns = mtime_ns(st);
  Status read = read_chunks(fd->get(), kMaxCredentialBytes + 1, rel,
                            [&](std::string_view chunk, std::uint64_t) { c.text.append(chunk); });
  if (!read.ok() || static_cast<std::int64_t>(c.text.size()) > kMaxCredentialBytes) return std::nullopt;
  c.info = describe_credentials(c.text);
  return c;
}

std::vector<std::string> running_runs(const HostLayout& layout) {
  std::vector<std::string> out;
  // Read once per call: a container started from compose.env is alive while its
  // claude-init holds its outbox.
  std::vector<LockedFile> held = flock_write_holders_now();
  for (const auto& id : list_runs(layout)) {
    auto st = load_run_state(layout, id);
    if (st.ok() && (run_is_attached(*st) || outbox_locked(layout, id, held))) out.push_back(id);
  }
  return out;
}

std::vector<CredentialCopy> running_run_copies(const HostLayout& layout) {
  return running_run_copies(layout, running_runs(layout));
}

std::vector<CredentialCopy> running_run_copies(const HostLayout& layout, const std::vector<std::string>& runs) {
  std::vector<CredentialCopy> out;
  for (const auto& id : runs) {
    if (auto c = read_credential_copy(layout.run_dir(id), {kOutboxDirName, kTreeDirName, kCredentialsFileName})) {
      c->kind = CredentialCopy::Kind::kOutbox;
      c->run_id = id;
      c->refused = implausible_container_login(c->info, wall_ns() / 1'000'000);
      out.push_back(std::move(*c));
    }
    if (auto c = read_credential_copy(layout.run_dir(id), {kInboxDirName, kCredentialsFileName})) {
      c->kind = CredentialCopy::Kind::kInbox;
      c->run_id = id;
      out.push_back(std::move(*c));
    }
  }
  return out;
}

const CredentialCopy* newest_copy(const std::vector<CredentialCopy>& copies) {
  const CredentialCopy* best = nullptr;
  for (const auto& c : copies) {
    if (!c.info.has_access_token || !c.refused.empty()) continue;
    if (!best || is_newer(c.info, c.written_ns, best->info, best->written_ns)) best = &c;
  }
  return best;
}

Status write_inbox_credentials(const std::string& inbox_dir, const std::string& text) {
  const std::string final_path = join_path(inbox_dir, kCredentialsFileName);
  const std::string tmp = final_path + std::string(kInboxTempMarker) + random_hex16();
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return Error{"write credentials into the inbox", tmp, errno, std::strerror(errno),
                 "make " + inbox_dir + " a folder you own (mode 0700)"};
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return Error{"write credentials into the inbox", tmp, e, std::strerror(e), "free disk space"};
    }
    done += static_cast<std::size_t>(n);
  }
  ::fchmod(fd, 0600);
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    return Error{"write credentials into the inbox", tmp, e, std::strerror(e), "free disk space"};
  }
  if (::rename(tmp.c_str(), final_path.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    return Error{"write credentials into the inbox", final_path, e, std::strerror(e),
                 "make " + inbox_dir + " a folder you own (mode 0700)"};
  }
  return fsync_dir(inbox_dir);
}

std::string credential_broker_holder(const HostLayout& layout) {
  int fd = ::open(layout.broker_lock_path().c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return {};
  std::string holder;
  if (::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK) {
    char buf[256];
    ssize_t n = ::pread(fd, buf, sizeof buf, 0);
    holder.assign(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
    while (!holder.empty() && (holder.back() == '\n' || holder.back() == '\r')) holder.pop_back();
    if (holder.empty()) holder = "held";
  }
  ::close(fd);  // a shared lock taken for the test is dropped at once
  return holder;
}

CredentialBroker::CredentialBroker(HostLayout layout, CredentialStore& store, bool keychain,
                                   std::string self_run_id, int tick_ms)
    : layout_(std::move(layout)),
      store_(store),
      keychain_(keychain),
      self_run_id_(std::move(self_run_id)),
      tick_ms_(tick_ms) {
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  thread_ = std::thread([this] { participate(); });
}

CredentialBroker::~CredentialBroker() {
  stop();
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

void CredentialBroker::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (wake_fd_ >= 0) {
    std::uint64_t one = 1;
    (void)!::write(wake_fd_, &one, sizeof one);
  }
  if (thread_.joinable()) thread_.join();
}

bool CredentialBroker::wait_stopping(int ms) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stopping_; });
}

void CredentialBroker::participate() {
  if (Status s = make_dirs(layout_.state_dir, 0700); !s.ok()) return;
  const std::string path = layout_.broker_lock_path();
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    log_error(layout_,
              Error{"open the credential broker's lock", path, errno, std::strerror(errno),
                    "make " + layout_.state_dir + " yours (chmod 700)"},
              "", self_run_id_);
    return;
  }
  // Waiting with LOCK_NB and a 50 ms pause keeps the wait stoppable and the take-over
  // within the 250 ms the design promises.
  while (!wait_stopping(0)) {
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) {
      std::string holder = "pid " + std::to_string(::getpid()) +
                           (self_run_id_.empty() ? std::string(" (claude-host broker)")
                                                 : " (claude-host run " + self_run_id_ + ")") +
                           "\n";
      if (::ftruncate(fd, 0) == 0) (void)!::pwrite(fd, holder.data(), holder.size(), 0);
      holding_ = true;
      (void)log_event(layout_, "credential_broker_start", "", self_run_id_, {{"pid", ::getpid()}});
      serve(fd);
      holding_ = false;
      break;
    }
    if (wait_stopping(50)) break;
  }
  ::close(fd);  // drops the lock for the next participant
}

void CredentialBroker::serve(int /*lock_fd*/) {
  int in_fd = -1;
  if (!keychain_) {
    in_fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (in_fd >= 0)
      ::inotify_add_watch(in_fd, layout_.config_dir.c_str(),
                          IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE | IN_ATTRIB);
  }
  std::map<std::string, Seen> seen;  // source path -> last stat
  std::vector<std::string> runs;
  auto sources = [&] {
    std::vector<std::string> paths;
    if (!keychain_) paths.push_back(layout_.credentials_file());
    for (const auto& id : runs) {
      paths.push_back(join_path(join_path(layout_.outbox_dir(id), kTreeDirName), kCredentialsFileName));
      paths.push_back(join_path(layout_.inbox_dir(id), kCredentialsFileName));
    }
    return paths;
  };
  auto snapshot = [&] {
    std::map<std::string, Seen> now;
    for (const auto& p : sources()) now[p] = stat_seen(p);
    return now;
  };
  runs = running_runs(layout_);
  rescan();
  seen = snapshot();
  auto last_list = std::chrono::steady_clock::now();
  while (true) {
    struct pollfd fds[2] = {{wake_fd_, POLLIN, 0}, {in_fd, POLLIN, 0}};
    int n = ::poll(fds, in_fd >= 0 ? 2 : 1, tick_ms_);
    if (wait_stopping(0)) break;
    bool changed = false;
    if (n > 0 && in_fd >= 0 && (fds[1].revents & POLLIN)) {
      alignas(struct inotify_event) char buf[4096];
      ssize_t len;
      while ((len = ::read(in_fd, buf, sizeof buf)) > 0) {
        for (char* p = buf; p < buf + len;) {
          auto* ev = reinterpret_cast<struct inotify_event*>(p);
          if (ev->len > 0 && std::string_view(ev->name) == kCredentialsFileName) changed = true;
          if (ev->mask & IN_Q_OVERFLOW) changed = true;
          p += sizeof(struct inotify_event) + ev->len;
        }
      }
    }
    auto now = std::chrono::steady_clock::now();
    if (now - last_list >= std::chrono::seconds(1)) {
      last_list = now;
      auto fresh = running_runs(layout_);
      if (fresh != runs) {
        runs = std::move(fresh);
        changed = true;
      }
      if (keychain_) changed = true;  // the Keychain has no watch: read it once a second
    }
    auto current = snapshot();
    if (current != seen) changed = true;
    if (changed) {
      rescan();
      seen = snapshot();
    }
  }
  if (in_fd >= 0) ::close(in_fd);
}

void CredentialBroker::rescan() {
  std::vector<CredentialCopy> copies;
  // The host store.
  auto host_text = store_.read();
  std::optional<CredentialCopy> host;
  if (host_text.ok() && *host_text) {
    CredentialCopy c;
    c.kind = CredentialCopy::Kind::kHost;
    c.text = **host_text;
    c.info = describe_credentials(c.text);
    if (keychain_) {
      if (keychain_seen_ != c.text) {
        keychain_seen_ = c.text;
        keychain_seen_ns_ = wall_ns();
      }
      c.written_ns = keychain_seen_ns_;
    } else {
      struct stat st {};
      if (::stat(layout_.credentials_file().c_str(), &st) == 0) c.written_ns = mtime_ns(st);
    }
    host = c;
    copies.push_back(std::move(c));
  } else if (!host_text.ok() && host_text.error().message() != last_error_) {
    last_error_ = host_text.error().message();
    log_error(layout_, host_text.error(), "", self_run_id_);
  }
  std::vector<std::string> runs = running_runs(layout_);
  for (auto& c : running_run_copies(layout_, runs)) {
    // A container's copy that no refresh wrote is named once and never passed on.
    if (!c.refused.empty() && c.info.fingerprint != last_refused_) {
      last_refused_ = c.info.fingerprint;
      std::fprintf(
          stderr,
          "claude-host: warning: the credentials in %s (fingerprint %s) are not passed on: %s\n",
          c.where().c_str(), c.info.fingerprint.c_str(), c.refused.c_str());
      (void)log_event(
          layout_, "credentials_refused", "", c.run_id,
          {{"from", c.where()}, {"fingerprint", c.info.fingerprint}, {"reason", c.refused}});
    }
    copies.push_back(std::move(c));
  }
  const CredentialCopy* best_ptr = newest_copy(copies);
  if (!best_ptr) return;
  const CredentialCopy best = *best_ptr;

  // The host store, when its copy is older. Read again just before writing so that a
  // refresh the host made meanwhile is not overwritten by an older copy.
  CredentialInfo host_info = host ? host->info : CredentialInfo{};
  std::int64_t host_ns = host ? host->written_ns : 0;
  if (is_newer(best.info, best.written_ns, host_info, host_ns)) {
    auto again = store_.read();
    bool still_older = again.ok() && (!*again || **again == (host ? host->text : std::string()) ||
                                      is_newer(best.info, best.written_ns,
                                               describe_credentials(**again), host_ns));
    if (still_older) {
      Status w = store_.write(best.text);
      if (w.ok()) {
        ++host_writes_;
        if (keychain_) {
          keychain_seen_ = best.text;
          keychain_seen_ns_ = best.written_ns;
        }
        (void)log_event(
            layout_, "credentials_synced", "", best.run_id,
            {{"to", "host"}, {"from", best.where()}, {"fingerprint", best.info.fingerprint}});
      } else if (w.error().message() != last_error_) {
        last_error_ = w.error().message();
        log_error(layout_, w.error(), "", self_run_id_);
      }
    }
  }
  // Every running run whose copies are all older.
  for (const auto& id : runs) {
    const CredentialCopy* outbox = nullptr;
    const CredentialCopy* inbox_copy = nullptr;
    for (const auto& c : copies) {
      if (c.run_id != id) continue;
      if (c.kind == CredentialCopy::Kind::kOutbox) outbox = &c;
      if (c.kind == CredentialCopy::Kind::kInbox) inbox_copy = &c;
    }
    const std::string& fp = best.info.fingerprint;
    bool has_it;
    if (outbox && outbox->info.fingerprint == fp) {
      has_it = true;  // the container's own last write is the newest
    } else if (inbox_copy && inbox_copy->info.fingerprint == fp) {
      // Given already, unless the container wrote an older copy over it since: then the
      // inbox is written again (a new file) so that the init installs the newest again.
      has_it = !outbox || outbox->written_ns <= inbox_copy->written_ns;
    } else if (!outbox && !inbox_copy) {
      auto staged = read_credential_copy(layout_.run_dir(id), {kStageDirName, kTreeDirName, kCredentialsFileName});
      has_it = staged && staged->info.fingerprint == fp;  // started with it
    } else {
      has_it = false;
    }
    if (has_it) continue;
    const std::string inbox = layout_.inbox_dir(id);
    struct stat st {};
    if (::lstat(inbox.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
      continue;  // staged before inboxes
    Status w = write_inbox_credentials(inbox, best.text);
    if (w.ok()) {
      ++inbox_writes_;
      (void)log_event(
          layout_, "credentials_synced", "", id,
          {{"to", "inbox"}, {"from", best.where()}, {"fingerprint", best.info.fingerprint}});
    } else if (w.error().message() != last_error_) {
      last_error_ = w.error().message();
      log_error(layout_, w.error(), "", id);
    }
  }
}

}  // namespace claude::host
