// A raw inotify fd on the libuv loop (uv_poll_t). libuv's own uv_fs_event gives no
// IN_CLOSE_WRITE, does not recurse on Linux and drops IN_Q_OVERFLOW silently; this watcher
// watches folders only, reports what happened in them as hints, pairs folder renames by
// cookie, and turns an overflow or a lost watch into a rescan request, never a silent miss.
#pragma once

#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "entrypoint/watcher.h"

namespace claude {

class InotifyWatcher final : public Watcher {
 public:
  // An inotify instance for the tree at `root_path` (absolute), polled on `loop` once
  // start() is called; watches can be added before that and events queue in the kernel.
  // The root's parent folder is watched too (for the root's name only), so that a root
  // moved away, removed or created again is noticed; where it cannot be, the caller's
  // checks of the root (at barriers, and while it is missing) still notice it.
  static Result<std::unique_ptr<InotifyWatcher>> create(uv_loop_t* loop, std::string root_path);
  ~InotifyWatcher() override;
  InotifyWatcher(const InotifyWatcher&) = delete;
  InotifyWatcher& operator=(const InotifyWatcher&) = delete;

  // Watches the folder rel_dir ("" = root) without following links. kLimit when the
  // kernel's watch limit is reached (ENOSPC), kGone when it is not (or no longer) a folder.
  Result<AddResult> add(const std::string& rel_dir) override;
  // Stops watching rel_dir and everything under it (a folder moved out of the tree keeps
  // its watches in the kernel otherwise).
  void remove_subtree(const std::string& rel_dir) override;
  // Re-paths the watches of a folder renamed inside the tree.
  void move_subtree(const std::string& from, const std::string& to) override;
  bool watching(const std::string& rel_dir) const { return wd_by_path_.count(rel_dir) != 0; }
  std::size_t watch_count() const override { return wd_by_path_.size(); }

  // Starts delivering events to `sink` from the loop.
  Status start(Sink sink) override;
  // Reads and delivers everything queued in the kernel now (a flush barrier calls this so
  // that nothing already queued is missed). Returns how many raw events were read.
  std::size_t drain() override;
  // A read error on the fd (the watcher is stalled); empty when fine.
  const std::string& failure() const override { return failure_; }
  std::uint64_t raw_events() const { return raw_events_; }

 private:
  InotifyWatcher(uv_loop_t* loop, std::string root, int fd);
  void watch_parent();
  static void on_poll(uv_poll_t* handle, int status, int events);
  std::string join(int wd, const char* name, std::uint32_t len) const;
  void translate(const char* buf, std::size_t len, std::vector<WatchEvent>& out);

  uv_loop_t* loop_;
  std::string root_;
  int fd_;
  uv_poll_t* poll_ = nullptr;  // freed in the close callback
  Sink sink_;
  std::map<int, std::string> path_by_wd_;
  std::map<std::string, int> wd_by_path_;
  int parent_wd_ = -1;     // the root's parent folder, -1 when not watched
  std::string root_name_;  // the root's name in it
  std::string failure_;
  std::uint64_t raw_events_ = 0;
};

// The inotify mask every folder is watched with.
std::uint32_t watch_mask();

}  // namespace claude
