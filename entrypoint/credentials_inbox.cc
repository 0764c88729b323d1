#include "entrypoint/credentials_inbox.h"

#include <fcntl.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>

#include "core/credential_freshness.h"
#include "core/sha256.h"
#include "entrypoint/cli_write_lock.h"
#include "platform/atomic_file.h"
#include "platform/file_time.h"

namespace claude {
namespace {

// How often a lock held by a refreshing CLI is tried again.
constexpr std::uint64_t kLockRetryMs = 50;
// The live copy is read whole up to this (it is Claude Code's own file, normally < 4 KiB).
constexpr std::size_t kLiveMaxBytes = 1 << 20;

struct FileRead {
  bool exists = false;
  bool regular = false;
  bool too_large = false;
  int error = 0;  // a read error other than "missing"
  std::string bytes;
  std::int64_t mtime_ns = 0;
};

// Reads a regular file, never through a link, up to `max` bytes (too_large past it).
FileRead read_bounded(const std::string& path, std::size_t max) {
  FileRead r;
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    if (errno != ENOENT) {
      r.exists = true;
      r.error = errno;
    }
    return r;
  }
  r.exists = true;
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    r.error = errno;
    ::close(fd);
    return r;
  }
  r.regular = S_ISREG(st.st_mode);
  r.mtime_ns = mtime_ns(st);
  if (!r.regular) {
    ::close(fd);
    return r;
  }
  r.bytes.resize(max + 1);
  std::size_t got = 0;
  while (got < r.bytes.size()) {
    ssize_t n = ::read(fd, r.bytes.data() + got, r.bytes.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      r.error = errno;
      break;
    }
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  ::close(fd);
  r.too_large = got > max;
  r.bytes.resize(std::min(got, max));
  return r;
}

}  // namespace

CredentialsInbox::CredentialsInbox(uv_loop_t* loop, const InitOptions& options, MetricsRegistry& metrics, Hooks hooks)
    : loop_(loop),
      inbox_dir_(options.inbox_dir),
      live_dir_(options.live_dir),
      hooks_(std::move(hooks)),
      installs_(metrics.counter("claude_init_inbox_installs_total",
                                "credentials installed into the live dir from the host's inbox")) {
  if (options.user) {
    has_user_ = true;
    uid_ = options.user->uid;
    gid_ = options.user->gid;
  }
  retry_ = new uv_timer_t;
  uv_timer_init(loop_, retry_);
  retry_->data = this;
  uv_unref(reinterpret_cast<uv_handle_t*>(retry_));
}

std::unique_ptr<CredentialsInbox> CredentialsInbox::open(uv_loop_t* loop, const InitOptions& options,
                                                         MetricsRegistry& metrics, Hooks hooks) {
  struct stat st {};
  if (options.inbox_dir.empty() || ::stat(options.inbox_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    spdlog::info("no inbox at {}: credentials from the host are not installed while this runs",
                 options.inbox_dir.empty() ? std::string("(none)") : options.inbox_dir);
    return nullptr;
  }
  return std::unique_ptr<CredentialsInbox>(new CredentialsInbox(loop, options, metrics, std::move(hooks)));
}

CredentialsInbox::~CredentialsInbox() {
  if (poll_) {
    uv_close(reinterpret_cast<uv_handle_t*>(poll_), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
  }
  if (fd_ >= 0) ::close(fd_);
  uv_timer_stop(retry_);
  uv_close(reinterpret_cast<uv_handle_t*>(retry_), [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
}

Status CredentialsInbox::start() {
  fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd_ < 0) {
    return Error{"watch the inbox", inbox_dir_, errno, "inotify_init1 failed",
                 "raise fs.inotify.max_user_instances on the host"};
  }
  // Close-after-write and rename-into: a file is looked at once it is whole.
  inbox_wd_ = ::inotify_add_watch(fd_, inbox_dir_.c_str(), IN_CLOSE_WRITE | IN_MOVED_TO | IN_ONLYDIR);
  if (inbox_wd_ < 0) {
    int err = errno;
    ::close(fd_);
    fd_ = -1;
    return Error{"watch the inbox", inbox_dir_, err, "", "raise fs.inotify.max_user_watches on the host"};
  }
  // The live copy too: a CLI's refresh may land over an install (it refreshed before the
  // install and writes after it); the inbox is then looked at again, and a newer login
  // there goes back in.
  if (::inotify_add_watch(fd_, live_dir_.c_str(), IN_CLOSE_WRITE | IN_MOVED_TO | IN_ONLYDIR) < 0) {
    spdlog::warn("inbox: cannot watch {} ({}): a login the session writes over a newer one from the host is "
                 "replaced only when the host sends it again",
                 live_dir_, std::strerror(errno));
  }
  poll_ = new uv_poll_t;
  int rc = uv_poll_init(loop_, poll_, fd_);
  if (rc == 0) {
    poll_->data = this;
    rc = uv_poll_start(poll_, UV_READABLE, &CredentialsInbox::on_poll);
  }
  if (rc != 0) {
    delete poll_;
    poll_ = nullptr;
    return Error{"poll the inbox's inotify fd", inbox_dir_, -rc, uv_strerror(rc), ""};
  }
  uv_unref(reinterpret_cast<uv_handle_t*>(poll_));
  spdlog::info("inbox: watching {} for {}", inbox_dir_, kCredentialsFileName);
  return Ok{};
}

void CredentialsInbox::on_poll(uv_poll_t* handle, int status, int /*events*/) {
  auto* self = static_cast<CredentialsInbox*>(handle->data);
  if (status < 0) return;
  alignas(inotify_event) char buf[4096];
  bool relevant = false;
  for (;;) {
    ssize_t n = ::read(self->fd_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    for (ssize_t off = 0; off < n;) {
      const auto* ev = reinterpret_cast<const inotify_event*>(buf + off);
      off += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
      if (ev->mask & IN_Q_OVERFLOW) relevant = true;
      if ((ev->mask & IN_IGNORED) && ev->wd == self->inbox_wd_) {
        spdlog::warn("inbox: {} is no longer watched (removed or unmounted): credentials from the host are "
                     "not installed from now on",
                     self->inbox_dir_);
      }
      if (ev->len && std::string_view(ev->name, ::strnlen(ev->name, ev->len)) == kCredentialsFileName) relevant = true;
    }
  }
  if (relevant) self->check();
}

void CredentialsInbox::on_retry(uv_timer_t* timer) {
  auto* self = static_cast<CredentialsInbox*>(timer->data);
  if (self->attempt()) uv_timer_stop(timer);
}

void CredentialsInbox::check() {
  if (uv_is_active(reinterpret_cast<uv_handle_t*>(retry_))) return;  // the retry looks again
  if (!attempt()) uv_timer_start(retry_, &CredentialsInbox::on_retry, kLockRetryMs, kLockRetryMs);
}

bool CredentialsInbox::live_matches_inbox(std::string* sha256) const {
  FileRead in = read_bounded(join_path(inbox_dir_, kCredentialsFileName), kInboxMaxBytes);
  FileRead live = read_bounded(join_path(live_dir_, kCredentialsFileName), kLiveMaxBytes);
  if (!in.regular || in.too_large || in.error || !live.regular || live.too_large || live.error) return false;
  if (in.bytes != live.bytes) return false;
  *sha256 = sha256_hex(live.bytes);
  return true;
}

void CredentialsInbox::refuse(const std::string& fingerprint, const std::string& why) {
  const std::string path = join_path(inbox_dir_, kCredentialsFileName);
  if (last_refused_ == fingerprint + why) return;  // the same file, said once
  last_refused_ = fingerprint + why;
  spdlog::warn("inbox: not installing {} (fingerprint {}): {}; the live credentials are kept", path,
               fingerprint.empty() ? "-" : fingerprint, why);
  nlohmann::json fields = {{"file", path}, {"reason", why}};
  if (!fingerprint.empty()) fields["fingerprint"] = fingerprint;
  if (hooks_.event) hooks_.event("inbox_refused", std::move(fields));
}

bool CredentialsInbox::attempt() {
  const std::string in_path = join_path(inbox_dir_, kCredentialsFileName);
  const std::string live_path = join_path(live_dir_, kCredentialsFileName);
  FileRead in = read_bounded(in_path, kInboxMaxBytes);
  if (!in.exists) return true;  // nothing to install
  if (in.error) {
    refuse("", std::string("cannot read it: ") + std::strerror(in.error));
    return true;
  }
  if (!in.regular) {
    refuse("", "not a regular file");
    return true;
  }
  if (in.too_large) {
    refuse("", "larger than " + std::to_string(kInboxMaxBytes / 1024) + " KiB");
    return true;
  }
  CredentialInfo incoming = describe_credentials(in.bytes);
  if (!incoming.parsed) {
    refuse(incoming.fingerprint, "not a JSON object");
    return true;
  }
  if (!incoming.has_access_token && !incoming.has_refresh_token) {
    refuse(incoming.fingerprint, "no claudeAiOauth access or refresh token in it");
    return true;
  }
  bool same_bytes = false;
  auto newer_than_live = [&] {
    FileRead live = read_bounded(live_path, kLiveMaxBytes);
    same_bytes = live.regular && !live.error && !live.too_large && live.bytes == in.bytes;
    CredentialInfo current;  // absent, unreadable or too large: the oldest
    if (live.regular && !live.error && !live.too_large) current = describe_credentials(live.bytes);
    return is_newer(incoming, in.mtime_ns, current, live.regular ? live.mtime_ns : 0);
  };
  if (!newer_than_live()) {
    if (!same_bytes)  // the same bytes: an install seen again, or the live copy's own write
      spdlog::info("inbox: {} (fingerprint {}) is not newer than the live copy; kept the live one", in_path,
                   incoming.fingerprint);
    return true;
  }
  auto lock = CliWriteLock::try_acquire(live_dir_);
  if (!lock) {
    spdlog::error("inbox: {}", lock.error().message());
    return true;  // tried again when the inbox changes
  }
  if (!*lock) return false;  // a CLI is writing its credentials: tried again shortly
  // Under the lock, against what the CLI may have written just before it.
  if (!newer_than_live()) {
    spdlog::info("inbox: {} (fingerprint {}) is not newer than the live copy written meanwhile; kept the live one",
                 in_path, incoming.fingerprint);
    return true;
  }
  auto temp = AtomicFile::create(live_path, 0600);
  Status written = temp ? temp->write(in.bytes) : Status(temp.error());
  if (written && has_user_ && ::fchown(temp->fd(), uid_, gid_) != 0) {
    written = Error{"give the installed credentials to the session user", temp->temp_path(), errno, "",
                    "check that claude-init runs as root"};
  }
  if (written) {
    if (hooks_.installing) hooks_.installing(sha256_hex(in.bytes));
    written = temp->commit();
  }
  if (!written) {
    spdlog::error("inbox: installing {}: {}", live_path, written.error().message());
    return true;
  }
  installs_.inc();
  last_refused_.clear();
  spdlog::info("inbox: installed {} (fingerprint {}) into {}", in_path, incoming.fingerprint, live_path);
  if (hooks_.event)
    hooks_.event("inbox_install", {{"file", in_path}, {"fingerprint", incoming.fingerprint}, {"live", live_path}});
  return true;
}

}  // namespace claude
