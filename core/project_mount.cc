#include "core/project_mount.h"

#include "core/stage_plan.h"

namespace claude {
namespace {

// "/a/b" -> "/a"; "/a" -> "/"; "/" -> nullopt.
std::optional<std::string> parent_of(const std::string& folder) {
  if (folder == "/" || folder.empty()) return std::nullopt;
  auto slash = folder.rfind('/');
  if (slash == 0 || slash == std::string::npos) return std::string("/");
  return folder.substr(0, slash);
}

bool is_git_marker(const DotGit& g) {
  if (g.kind == DotGit::kFolder) return true;
  // git refuses a ".git" file without "gitdir:" ("invalid gitfile format").
  return g.kind == DotGit::kFile && g.file_text.starts_with("gitdir:");
}

// path made absolute from cwd, with "." components and repeated or trailing '/' dropped
// (".." stays: only the file system knows where it leads through a symlink).
std::string absolute_from(const std::string& cwd, const std::string& path) {
  std::string joined = !path.empty() && path[0] == '/' ? path : cwd + "/" + path;
  std::string out;
  std::size_t i = 0;
  while (i < joined.size()) {
    std::size_t j = joined.find('/', i);
    if (j == std::string::npos) j = joined.size();
    std::string_view comp(joined.data() + i, j - i);
    if (!comp.empty() && comp != ".") {
      out += '/';
      out += comp;
    }
    i = j + 1;
  }
  return out.empty() ? "/" : out;
}

}  // namespace

bool folder_holds(std::string_view folder, std::string_view path) {
  if (folder == "/") return !path.empty() && path[0] == '/';
  if (path.size() < folder.size() || path.compare(0, folder.size(), folder) != 0) return false;
  return path.size() == folder.size() || path[folder.size()] == '/';
}

std::optional<std::string> find_git_root(const std::string& folder, const FolderView& view) {
  std::optional<std::string> at = folder;
  while (at) {
    if (is_git_marker(view.dot_git(*at))) return at;
    at = parent_of(*at);
  }
  return std::nullopt;
}

Result<ProjectMount> plan_project_mount(const std::string& cwd, const std::string& workdir,
                                        const std::optional<std::string>& mount_root,
                                        const std::string& home, const FolderView& view) {
  auto missing = [](const std::string& path, const char* option) {
    return Error{"use the project folder", path, 0, "is not an existing folder",
                 std::string("pass ") + option + " with an existing folder (folders are mounted, never single files)"};
  };
  ProjectMount m;
  auto real_workdir = view.real_folder(absolute_from(cwd, workdir));
  if (!real_workdir) return missing(workdir, "--project");
  m.host_workdir = *real_workdir;
  if (mount_root) {
    auto real_root = view.real_folder(absolute_from(cwd, *mount_root));
    if (!real_root) return missing(*mount_root, "--mount-root");
    if (!folder_holds(*real_root, m.host_workdir)) {
      return Error{"use the mount root", *real_root, 0,
                   "does not hold the working directory " + m.host_workdir,
                   "pass a --mount-root that is the project folder or one of its parents, or a --project inside it"};
    }
    m.host_root = *real_root;
    m.git_root = find_git_root(m.host_workdir, view) == m.host_root;
  } else if (auto git = find_git_root(m.host_workdir, view)) {
    // The home or above: a dotfiles repository would put every file of the home in the
    // container. Mount the working directory instead.
    if (!home.empty() && folder_holds(*git, home)) {
      m.host_root = m.host_workdir;
      m.note = "the git repository at " + *git + " holds your home folder, so only " + m.host_workdir +
               " is mounted (use --mount-root to choose)";
    } else {
      m.host_root = *git;
      m.git_root = true;
    }
  } else {
    m.host_root = m.host_workdir;
  }
  m.container_root = container_project_path(m.host_root);
  std::string inside = m.host_root == "/" ? (m.host_workdir == "/" ? "" : m.host_workdir)
                                          : m.host_workdir.substr(m.host_root.size());
  m.container_workdir = m.container_root + inside;
  return m;
}

}  // namespace claude
