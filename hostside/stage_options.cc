#include "hostside/stage_options.h"

#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <filesystem>

#include "core/project_mount.h"
#include "platform/atomic_file.h"

extern char** environ;

namespace claude::host {

const char* const kStageOptionsHelp =
    "  --project DIR       the working directory (default: the current folder). What is mounted is its\n"
    "                      git root (the nearest folder up holding .git, as `git rev-parse --show-toplevel`;\n"
    "                      never the home or above), at /workspace/<root name>, and the container starts in\n"
    "                      the same subfolder inside; outside a git repository, the folder itself\n"
    "  --mount-root DIR    mount DIR instead of the git root (it must hold the working directory);\n"
    "                      --mount-root . mounts only the current folder\n"
    "  --no-project        mount no project\n"
    "  --history MODE      project (default): only this project's sessions; all; none\n"
    "  --map HOST=CONT     an extra path mapping (repeatable), e.g. --map /data/sets=/data\n"
    "  --exclude GLOB      leave matching files out (repeatable; adds to ~/.claude-docker/config.json \"exclude\")\n"
    "  --run ID            re-stage an existing run (only changed files are copied)\n"
    "  --lock-timeout S    wait at most S seconds for another claude-host (default 30)\n"
    "  --image NAME        the image (default claude-init:latest, or \"image\" in config.json)\n"
    "  --docker-arg ARG    an extra docker run argument before the image (repeatable)\n"
    "  --keychain, --no-keychain\n"
    "                      read credentials from the macOS Keychain (default on macOS, or CLAUDE_HOST_KEYCHAIN=1)\n"
    "  --json              machine-readable output on stdout\n";

namespace {

// The disk as plan_project_mount sees it.
class DiskFolderView : public FolderView {
 public:
  std::optional<std::string> real_folder(const std::string& path) const override {
    char buf[PATH_MAX];
    if (::realpath(path.c_str(), buf) == nullptr) return std::nullopt;
    struct stat st{};
    if (::stat(buf, &st) != 0 || !S_ISDIR(st.st_mode)) return std::nullopt;
    return std::string(buf);
  }
  DotGit dot_git(const std::string& folder) const override {
    std::string path = (folder == "/" ? std::string() : folder) + "/.git";
    struct stat st{};
    if (::lstat(path.c_str(), &st) != 0) return {};
    if (S_ISDIR(st.st_mode)) return {DotGit::kFolder, ""};
    if (!S_ISREG(st.st_mode)) return {};
    auto text = read_file(path);
    return {DotGit::kFile, text.ok() ? text->substr(0, 512) : ""};
  }
};

}  // namespace

std::vector<std::string> process_environment() {
  std::vector<std::string> out;
  for (char** e = environ; e && *e; ++e) out.emplace_back(*e);
  return out;
}

Result<StageCommandOptions> read_stage_options(HostContext& ctx, CliArgs& args) {
  StageCommandOptions o;
  o.json = args.flag("--json");
  o.stage.progress = ctx.stderr_is_tty && !o.json;
  bool no_project = args.flag("--no-project");
  auto project = args.value("--project");
  if (!project.ok()) return project.error();
  auto mount_root = args.value("--mount-root");
  if (!mount_root.ok()) return mount_root.error();
  if (!no_project) {
    std::error_code ec;
    std::string cwd = std::filesystem::current_path(ec).string();
    if (ec) return Error{"read the current folder", "", ec.value(), "", "run claude-host from an existing folder"};
    DiskFolderView disk;
    auto mount = plan_project_mount(cwd, project->value_or("."), *mount_root,
                                    disk.real_folder(ctx.layout.home).value_or(ctx.layout.home), disk);
    if (!mount.ok()) return mount.error();
    o.stage.project = mount->host_root;
    o.stage.workdir = mount->host_workdir;
    if (!mount->note.empty()) o.notes.push_back(mount->note);
  }
  auto history = args.value("--history");
  if (!history.ok()) return history.error();
  if (*history) {
    auto mode = parse_history_mode(**history);
    if (!mode.ok()) return mode.error();
    o.stage.history = *mode;
  }
  auto maps = args.values("--map");
  if (!maps.ok()) return maps.error();
  for (const auto& m : *maps) {
    auto pair = parse_map_option(m);
    if (!pair.ok()) return pair.error();
    o.stage.maps.push_back(*pair);
  }
  auto excludes = args.values("--exclude");
  if (!excludes.ok()) return excludes.error();
  ctx.config.exclude.insert(ctx.config.exclude.end(), excludes->begin(), excludes->end());
  auto run = args.value("--run");
  if (!run.ok()) return run.error();
  o.stage.run_id = *run;
  auto timeout = args.value("--lock-timeout");
  if (!timeout.ok()) return timeout.error();
  int seconds = ctx.config.lock_timeout_s;
  if (*timeout) {
    char* end = nullptr;
    double v = std::strtod((*timeout)->c_str(), &end);
    if (!end || *end || v < 0) return Error{"read --lock-timeout", "", 0, "'" + **timeout + "' is not a number of seconds", "e.g. --lock-timeout 60"};
    o.stage.lock_timeout_ms = static_cast<int>(v * 1000);
  } else {
    o.stage.lock_timeout_ms = seconds * 1000;
  }
  auto image = args.value("--image");
  if (!image.ok()) return image.error();
  o.image = image->value_or(ctx.config.image);
  auto docker_args = args.values("--docker-arg");
  if (!docker_args.ok()) return docker_args.error();
  o.docker_args = *docker_args;
  return o;
}

DockerInvocation invocation_for(const HostContext& ctx, const StageCommandOptions& options,
                                const StageReport& report, const std::vector<std::string>& command) {
  (void)ctx;
  DockerInvocation inv;
  inv.stage_dir = report.stage_dir;
  inv.outbox_dir = report.outbox_dir;
  inv.inbox_dir = ctx.layout.inbox_dir(report.run_id);
  inv.project_dir = report.project;
  inv.project_mount = report.project_mount;
  inv.workdir = report.workdir;
  // The session runs as this user (claude-init drops root for it), so that what it
  // writes in the project is the user's; as root nothing changes.
  if (::geteuid() != 0) inv.user = std::to_string(::geteuid()) + ":" + std::to_string(::getegid());
  inv.run_id = report.run_id;
  inv.trace_id = report.trace_id;
  inv.image = options.image;
  inv.env_names = passthrough_env_names(process_environment());
  inv.extra_args = options.docker_args;
  inv.command = command;
  inv.tty = ctx.stdin_is_tty && ::isatty(1);
  return inv;
}

}  // namespace claude::host
