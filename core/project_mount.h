// Which host folder `claude-host run` mounts for a working directory, decided over an
// injected view of the file system. Claude Code keys `.claude.json` "projects" by the git
// root of its working directory and names session folders after the exact working
// directory, so the container must see the git root, with the working directory at the
// same place inside it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace claude {

// What a folder's ".git" entry is.
struct DotGit {
  enum Kind { kNone, kFolder, kFile } kind = kNone;
  std::string file_text;  // kFile: its first bytes (a worktree or submodule: "gitdir: ...")
};

// The few facts the decision needs; the host reads them from the disk, tests from a map.
class FolderView {
 public:
  virtual ~FolderView() = default;
  // The absolute path with every symlink resolved; nullopt when it does not exist or is
  // not a folder.
  virtual std::optional<std::string> real_folder(const std::string& path) const = 0;
  // What path + "/.git" is (never following it further).
  virtual DotGit dot_git(const std::string& folder) const = 0;
};

// The git top-level folder of `folder` (absolute, symlinks resolved) as `git rev-parse
// --show-toplevel` finds it, without git: the nearest folder, `folder` itself included,
// holding a ".git" folder, or a ".git" file that starts with "gitdir:" (a worktree or a
// submodule, whose own folder is its top level). nullopt when no folder up to "/" has one.
std::optional<std::string> find_git_root(const std::string& folder, const FolderView& view);

struct ProjectMount {
  std::string host_root;       // the folder mounted
  std::string host_workdir;    // the working directory, host_root or a folder inside it
  std::string container_root;  // /workspace/<name of host_root>
  std::string container_workdir;  // container_root + the working directory's place in it
  bool git_root = false;       // host_root is the working directory's git top level
  std::string note;            // why the git root was not used ("" when nothing to say)
};

// The mount for working directory `workdir` (relative paths are taken from `cwd`):
// mount_root when given (it must hold workdir), else the git root of workdir, else
// workdir itself. A git root that is the home folder or lies above it is not used (a
// dotfiles repository in ~ would mount the whole home): then workdir is mounted and
// `note` says so. Errors name a folder that does not exist or a mount root that does
// not hold the working directory, with the fix.
Result<ProjectMount> plan_project_mount(const std::string& cwd, const std::string& workdir,
                                        const std::optional<std::string>& mount_root,
                                        const std::string& home, const FolderView& view);

// True when path equals folder or lies below it ("/a/b" holds "/a/b/c", not "/a/bc").
bool folder_holds(std::string_view folder, std::string_view path);

}  // namespace claude
