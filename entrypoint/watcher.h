// What the sync engine needs from a watcher of the live tree: folders watched one by one,
// what happened in them delivered as hints on the loop, and a drain for barriers.
// InotifyWatcher (inotify_watcher.h) is the real one; the unit tests use a fake.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "core/result.h"

namespace claude {

struct WatchEvent {
  enum class Kind {
    kFile,        // something happened to `path` (a file, link or special file)
    kDirCreated,  // a folder appeared (created or moved in from outside): watch and scan it
    kDirGone,     // a folder vanished (deleted or moved out): everything under it is gone
    kDirMoved,    // a folder moved inside the tree from `from` to `path`
    kRescan,      // events were lost (overflow, or a watch vanished): rescan `path` ("" = all)
    // The root itself was moved, deleted or replaced (its own watch, or its name in the
    // parent folder): the caller checks which folder the root path names now.
    kRootChanged,
  };
  Kind kind = Kind::kFile;
  std::string path;  // relative to the root, '/'-separated ("" = the root)
  std::string from;  // kDirMoved
  // kFile: the writer is done with it (close-after-write, rename, delete, attribute or
  // link creation) rather than still writing (IN_MODIFY).
  bool finished = false;
};

class Watcher {
 public:
  using Sink = std::function<void(std::vector<WatchEvent>&)>;
  virtual ~Watcher() = default;

  enum class AddResult { kWatched, kLimit, kGone };
  // Watches the folder rel_dir ("" = root) without following links. kLimit when the
  // watch limit is reached, kGone when it is not (or no longer) a folder.
  virtual Result<AddResult> add(const std::string& rel_dir) = 0;
  // Stops watching rel_dir and everything under it.
  virtual void remove_subtree(const std::string& rel_dir) = 0;
  // Re-paths the watches of a folder renamed inside the tree.
  virtual void move_subtree(const std::string& from, const std::string& to) = 0;
  virtual std::size_t watch_count() const = 0;
  // Starts delivering events to `sink` from the loop.
  virtual Status start(Sink sink) = 0;
  // Delivers everything queued now (a flush barrier calls this so that nothing already
  // queued is missed). Returns how many raw events were read.
  virtual std::size_t drain() = 0;
  // Why the watcher is stalled (a read error); empty when fine.
  virtual const std::string& failure() const = 0;
};

}  // namespace claude
