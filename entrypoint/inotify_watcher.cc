#include "entrypoint/inotify_watcher.h"

#include <fcntl.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "platform/beneath.h"

namespace claude {

std::uint32_t watch_mask() {
  // IN_ONLYDIR and IN_DONT_FOLLOW: a folder swapped for a link is never watched through it.
  return IN_MODIFY | IN_CLOSE_WRITE | IN_ATTRIB | IN_CREATE | IN_DELETE | IN_MOVED_FROM |
         IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | IN_DONT_FOLLOW | IN_EXCL_UNLINK;
}

InotifyWatcher::InotifyWatcher(uv_loop_t* loop, std::string root, int fd)
    : loop_(loop), root_(std::move(root)), fd_(fd) {}

Result<std::unique_ptr<InotifyWatcher>> InotifyWatcher::create(uv_loop_t* loop, std::string root_path) {
  int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) {
    return Error{"inotify_init1", root_path, errno, "",
                 "raise fs.inotify.max_user_instances on the host"};
  }
  std::unique_ptr<InotifyWatcher> w(new InotifyWatcher(loop, std::move(root_path), fd));
  w->watch_parent();
  return w;
}

void InotifyWatcher::watch_parent() {
  std::string root = root_;
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  auto slash = root.rfind('/');
  if (slash == std::string::npos || slash + 1 >= root.size()) return;  // "/" has no parent
  root_name_ = root.substr(slash + 1);
  const std::string parent = slash == 0 ? "/" : root.substr(0, slash);
  // Only the entries that can be the root: created, moved in or out, deleted.
  parent_wd_ = ::inotify_add_watch(fd_, parent.c_str(), IN_CREATE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE | IN_ONLYDIR);
}

InotifyWatcher::~InotifyWatcher() {
  if (poll_) {
    uv_poll_stop(poll_);
    uv_close(reinterpret_cast<uv_handle_t*>(poll_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
  }
  if (fd_ >= 0) ::close(fd_);
}

Result<InotifyWatcher::AddResult> InotifyWatcher::add(const std::string& rel_dir) {
  std::string abs = rel_dir.empty() ? root_ : root_ + "/" + rel_dir;
  int wd = -1;
  if (abs.size() < kPathChunk) {
    wd = ::inotify_add_watch(fd_, abs.c_str(), watch_mask());
  } else {
    // Too long for one path (PATH_MAX): the folder is opened part by part beneath the
    // root and watched through its descriptor's /proc name.
    UniqueFd root{::open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
    UniqueFd dir{root.get() < 0 ? -1 : open_dir_no_links_raw(root.get(), rel_dir)};
    if (dir.get() >= 0) {
      char proc[64];
      std::snprintf(proc, sizeof proc, "/proc/self/fd/%d", dir.get());
      // The /proc name is a link to the folder, opened with no link on the way: followed.
      wd = ::inotify_add_watch(fd_, proc, watch_mask() & ~IN_DONT_FOLLOW);
    }
  }
  if (wd < 0) {
    if (errno == ENOSPC) return AddResult::kLimit;
    if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP) return AddResult::kGone;
    return Error{"inotify_add_watch", abs, errno, "", ""};
  }
  // The same inode may already be watched under another name (a rename we have not seen
  // yet): the newest name wins.
  auto old = path_by_wd_.find(wd);
  if (old != path_by_wd_.end()) wd_by_path_.erase(old->second);
  path_by_wd_[wd] = rel_dir;
  wd_by_path_[rel_dir] = wd;
  return AddResult::kWatched;
}

namespace {
bool under(const std::string& path, const std::string& dir) {
  if (dir.empty()) return true;
  return path == dir || (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 && path[dir.size()] == '/');
}
}  // namespace

void InotifyWatcher::remove_subtree(const std::string& rel_dir) {
  for (auto it = wd_by_path_.lower_bound(rel_dir); it != wd_by_path_.end() && under(it->first, rel_dir);) {
    ::inotify_rm_watch(fd_, it->second);  // EINVAL when the kernel dropped it already
    path_by_wd_.erase(it->second);
    it = wd_by_path_.erase(it);
  }
}

void InotifyWatcher::move_subtree(const std::string& from, const std::string& to) {
  std::vector<std::pair<std::string, int>> moved;
  for (auto it = wd_by_path_.lower_bound(from); it != wd_by_path_.end() && under(it->first, from);) {
    moved.emplace_back(to + it->first.substr(from.size()), it->second);
    it = wd_by_path_.erase(it);
  }
  for (auto& [path, wd] : moved) {
    path_by_wd_[wd] = path;
    wd_by_path_[path] = wd;
  }
}

Status InotifyWatcher::start(Sink sink) {
  sink_ = std::move(sink);
  poll_ = new uv_poll_t;
  int rc = uv_poll_init(loop_, poll_, fd_);
  if (rc == 0) {
    poll_->data = this;
    rc = uv_poll_start(poll_, UV_READABLE, &InotifyWatcher::on_poll);
  }
  if (rc != 0) {
    delete poll_;
    poll_ = nullptr;
    return Error{"poll inotify fd", root_, -rc, uv_strerror(rc), ""};
  }
  return Ok{};
}

std::string InotifyWatcher::join(int wd, const char* name, std::uint32_t len) const {
  auto it = path_by_wd_.find(wd);
  std::string dir = it->second;
  std::string n(name, ::strnlen(name, len));
  if (n.empty()) return dir;
  return dir.empty() ? n : dir + "/" + n;
}

void InotifyWatcher::translate(const char* buf, std::size_t len, std::vector<WatchEvent>& out) {
  // Folder renames are paired by cookie within one read; an unpaired half is treated as a
  // folder leaving or entering the tree, which is also correct when the pair was split.
  std::map<std::uint32_t, std::size_t> moved_from;  // cookie -> index in out
  for (std::size_t off = 0; off < len;) {
    const auto* ev = reinterpret_cast<const inotify_event*>(buf + off);
    off += sizeof(inotify_event) + ev->len;
    ++raw_events_;
    if (ev->mask & IN_Q_OVERFLOW) {
      out.push_back(WatchEvent{WatchEvent::Kind::kRescan, "", "", false});
      continue;
    }
    if (parent_wd_ >= 0 && ev->wd == parent_wd_) {
      if (ev->mask & IN_IGNORED) {
        parent_wd_ = -1;  // the parent went away: the root with it
        out.push_back(WatchEvent{WatchEvent::Kind::kRootChanged, "", "", false});
      } else if (ev->len > 0 && root_name_ == std::string(ev->name, ::strnlen(ev->name, ev->len))) {
        out.push_back(WatchEvent{WatchEvent::Kind::kRootChanged, "", "", false});
      }
      continue;
    }
    if (path_by_wd_.find(ev->wd) == path_by_wd_.end()) continue;  // a watch we dropped
    const bool is_root = path_by_wd_[ev->wd].empty();
    if (is_root && (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED))) {
      // The root folder itself was moved or deleted: the path may name another folder now,
      // or none. Its watch stays only until the caller re-reads the root.
      if (ev->mask & IN_IGNORED) {
        wd_by_path_.erase("");
        path_by_wd_.erase(ev->wd);
      }
      out.push_back(WatchEvent{WatchEvent::Kind::kRootChanged, "", "", false});
      continue;
    }
    if (ev->mask & IN_IGNORED) {
      // The kernel removed the watch: its folder was deleted, moved away or unmounted.
      // Rescanning the path sorts out which (a deleted folder is found gone).
      std::string dir = path_by_wd_[ev->wd];
      wd_by_path_.erase(dir);
      path_by_wd_.erase(ev->wd);
      out.push_back(WatchEvent{WatchEvent::Kind::kRescan, dir, "", false});
      continue;
    }
    if (ev->len == 0) continue;  // IN_DELETE_SELF / IN_MOVE_SELF: the parent reports it
    std::string path = join(ev->wd, ev->name, ev->len);
    if (ev->mask & IN_ISDIR) {
      if (ev->mask & IN_CREATE) {
        out.push_back(WatchEvent{WatchEvent::Kind::kDirCreated, path, "", false});
      } else if (ev->mask & IN_MOVED_FROM) {
        moved_from[ev->cookie] = out.size();
        out.push_back(WatchEvent{WatchEvent::Kind::kDirGone, path, "", false});
      } else if (ev->mask & IN_MOVED_TO) {
        auto it = moved_from.find(ev->cookie);
        if (it != moved_from.end()) {
          WatchEvent& from = out[it->second];
          from.kind = WatchEvent::Kind::kDirMoved;
          from.from = from.path;
          from.path = path;
          moved_from.erase(it);
        } else {
          out.push_back(WatchEvent{WatchEvent::Kind::kDirCreated, path, "", false});
        }
      } else if (ev->mask & IN_DELETE) {
        out.push_back(WatchEvent{WatchEvent::Kind::kDirGone, path, "", false});
      }
      continue;
    }
    bool finished = (ev->mask & (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_ATTRIB)) != 0;
    out.push_back(WatchEvent{WatchEvent::Kind::kFile, std::move(path), "", finished});
  }
}

std::size_t InotifyWatcher::drain() {
  alignas(inotify_event) char buf[65536];
  std::size_t before = raw_events_;
  std::vector<WatchEvent> events;
  for (;;) {
    ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN) failure_ = std::string("read inotify fd: ") + std::strerror(errno);
      break;
    }
    if (n == 0) break;
    translate(buf, static_cast<std::size_t>(n), events);
    // Deliver per read so the sink can add watches for new folders before the next read.
    if (!events.empty() && sink_) {
      sink_(events);
      events.clear();
    }
  }
  return raw_events_ - before;
}

void InotifyWatcher::on_poll(uv_poll_t* handle, int status, int /*events*/) {
  auto* self = static_cast<InotifyWatcher*>(handle->data);
  if (status < 0) {
    self->failure_ = std::string("poll inotify fd: ") + uv_strerror(status);
    return;
  }
  self->drain();
}

}  // namespace claude
