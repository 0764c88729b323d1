#include "entrypoint/session_user.h"

#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace claude {
namespace {

// nftw's callback has no user data: the walk's state, for the one walk at a time the
// init makes (before the child, on the main thread).
struct Walk {
  SessionUser user;
  std::vector<std::string>* problems;
};
Walk* g_walk = nullptr;

int give_entry(const char* path, const struct stat* st, int, struct FTW*) {
  if (st->st_uid == g_walk->user.uid && st->st_gid == g_walk->user.gid) return 0;
  if (::lchown(path, g_walk->user.uid, g_walk->user.gid) != 0 && g_walk->problems->size() < 8)
    g_walk->problems->push_back(std::string("chown ") + path + ": " + std::strerror(errno));
  return 0;  // go on: one entry it cannot have does not stop the rest
}

// Everything under root (root included) on root's file system.
void give_tree(const SessionUser& user, const std::string& root, std::vector<std::string>& problems) {
  struct stat st {};
  if (::lstat(root.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return;
  Walk walk{user, &problems};
  g_walk = &walk;
  if (::nftw(root.c_str(), give_entry, 32, FTW_PHYS | FTW_MOUNT) != 0)
    problems.push_back("walk " + root + ": " + std::strerror(errno));
  g_walk = nullptr;
}

std::string parent_of(const std::string& path) {
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

std::vector<std::string> hand_over_to_session_user(const SessionUser& user, const std::string& live_dir,
                                                   const std::string& home) {
  std::vector<std::string> problems;
  give_tree(user, live_dir, problems);
  // The live dir's parent: only the folder itself, and never "/".
  const std::string parent = parent_of(live_dir);
  if (parent != "/" && parent != home && ::lchown(parent.c_str(), user.uid, user.gid) != 0)
    problems.push_back("chown " + parent + ": " + std::strerror(errno));
  if (!home.empty() && home != "/") give_tree(user, home, problems);
  // The terminal: the CLI reopens /dev/tty, which checks the device's owner.
  for (int fd : {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO}) {
    if (::isatty(fd) && ::fchown(fd, user.uid, static_cast<gid_t>(-1)) != 0) {
      problems.push_back("chown the terminal: " + std::string(std::strerror(errno)));
      break;
    }
  }
  return problems;
}

}  // namespace claude
