#include "hostside/stage_options.h"

#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <filesystem>

extern char** environ;

namespace claude::host {

const char* const kStageOptionsHelp =
    "  --project DIR       the project folder to mount at /workspace/<name> (default: the current folder)\n"
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
  if (!no_project) {
    std::string p = project->value_or(".");
    std::error_code ec;
    auto abs = std::filesystem::weakly_canonical(std::filesystem::absolute(p), ec);
    if (ec || !std::filesystem::is_directory(abs))
      return Error{"use the project folder", p, ec ? ec.value() : ENOTDIR, "", "pass --project with an existing folder (folders are mounted, never single files)"};
    o.stage.project = abs.string();
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
  inv.project_dir = report.project;
  inv.workdir = report.workdir;
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
