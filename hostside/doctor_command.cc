#include <sys/stat.h>
#include <sys/statvfs.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>

#include "core/exclude_rules.h"
#include "core/formats.h"
#include "hostside/commands.h"
#include "hostside/credential_broker.h"
#include "hostside/credential_store.h"
#include "hostside/file_tree.h"
#include "hostside/run_state.h"
#include "hostside/subcommand.h"
#include "platform/atomic_file.h"

namespace claude::host {

namespace {

const char* const kHelp =
    "usage: claude-host doctor [--json]\n"
    "\n"
    "Checks what would break a run, each with the fix: Docker reachable, inotify limits, free\n"
    "disk space, permissions of ~/.claude-docker and the stages (0700) and of the credentials\n"
    "(0600), the login: the newest credentials (host store or a running run's) and whether the\n"
    "access token expired (when), expires within the hour (in how long) or is valid until when,\n"
    "and whether a refresh token exists (expired or expiring with none fails), whether\n"
    "CLAUDE_CODE_OAUTH_TOKEN is set (never its value), and that every JSON file of your Claude\n"
    "state parses. Exit 1 if any check fails.\n";

struct Check {
  std::string name;
  bool ok;
  std::string detail;
  std::string fix;
};

long read_long(const std::string& path) {
  std::ifstream f(path);
  long v = -1;
  if (f) f >> v;
  return v;
}

}  // namespace

int doctor_command(HostContext& ctx, std::vector<std::string> argv) {
  Subcommand cmd("doctor", std::move(argv));
  if (cmd.help(kHelp)) return 0;
  bool json = cmd.json_flag();
  if (auto stop = cmd.finish()) return *stop;
  std::vector<Check> checks;

  auto docker = ctx.runner.capture({"docker", "info", "--format", "{{.ServerVersion}}"});
  if (docker.ok() && docker->exit_code == 0) {
    std::string v = docker->out;
    while (!v.empty() && v.back() == '\n') v.pop_back();
    checks.push_back({"docker", true, "engine " + v, ""});
  } else {
    std::string why = !docker.ok() ? docker.error().message() : docker->err.substr(0, 200);
    checks.push_back({"docker", false, "not reachable: " + why,
                      "install docker.io, start the daemon (sudo systemctl start docker) and add yourself to the docker group"});
  }

  long watches = read_long("/proc/sys/fs/inotify/max_user_watches");
  long instances = read_long("/proc/sys/fs/inotify/max_user_instances");
  if (watches < 0) checks.push_back({"inotify", true, "no /proc/sys/fs/inotify here (not Linux): the limits live in the Docker VM", ""});
  else if (watches < 65536 || instances < 128)
    checks.push_back({"inotify", false, "max_user_watches " + std::to_string(watches) + ", max_user_instances " + std::to_string(instances),
                      "sudo sysctl fs.inotify.max_user_watches=524288 fs.inotify.max_user_instances=512 (and add them to /etc/sysctl.d/)"});
  else checks.push_back({"inotify", true, "max_user_watches " + std::to_string(watches) + ", max_user_instances " + std::to_string(instances), ""});

  struct statvfs vfs{};
  if (::statvfs(ctx.layout.home.c_str(), &vfs) == 0) {
    double free_gib = static_cast<double>(vfs.f_bavail) * static_cast<double>(vfs.f_frsize) / (1ull << 30);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.1f GiB free in %s", free_gib, ctx.layout.home.c_str());
    checks.push_back({"disk", free_gib >= 1.0, buf, free_gib >= 1.0 ? "" : "free at least 1 GiB (`claude-host backup prune` frees old snapshots)"});
  }

  std::vector<std::string> loose;
  auto check_mode = [&](const std::string& path, unsigned want) {
    struct stat st{};
    if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 0777) != want) {
      char buf[16];
      std::snprintf(buf, sizeof buf, "%03o", st.st_mode & 0777);
      loose.push_back(path + " is " + buf);
    }
  };
  check_mode(ctx.layout.state_dir, 0700);
  for (const auto& id : list_runs(ctx.layout)) {
    check_mode(ctx.layout.run_dir(id), 0700);
    check_mode(ctx.layout.stage_dir(id), 0700);
  }
  checks.push_back({"staging dir", loose.empty(), loose.empty() ? ctx.layout.state_dir + " and its stages are 0700" : loose.front(),
                    loose.empty() ? "" : "chmod -R go-rwx " + ctx.layout.state_dir});

  std::vector<std::string> open_creds;
  auto cred_mode = [&](const std::string& path) {
    struct stat st{};
    if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 0077) != 0) open_creds.push_back(path);
  };
  if (!use_keychain(ctx.keychain)) cred_mode(ctx.layout.credentials_file());
  for (const auto& id : list_runs(ctx.layout)) {
    cred_mode(join_path(join_path(ctx.layout.stage_dir(id), kTreeDirName), kCredentialsFileName));
    cred_mode(join_path(join_path(ctx.layout.outbox_dir(id), kTreeDirName), kCredentialsFileName));
    cred_mode(ctx.layout.inbox_dir(id) + "/.credentials.json");
  }
  checks.push_back({"credentials", open_creds.empty(),
                    open_creds.empty() ? "credential files are 0600" : open_creds.front() + " is readable by others",
                    open_creds.empty() ? "" : "chmod 600 " + open_creds.front()});

  // The login's freshness: the newest of the host store and the running runs' copies
  // (what the next `run` stages).
  {
    auto store = make_credential_store(ctx.layout, ctx.runner, ctx.keychain);
    std::vector<CredentialCopy> copies;
    auto host = store->read();
    if (host.ok() && *host) {
      CredentialCopy c;
      c.text = **host;
      c.written_ns = store->written_ns();
      c.info = describe_credentials(c.text);
      copies.push_back(std::move(c));
    }
    for (auto& c : running_run_copies(ctx.layout)) copies.push_back(std::move(c));
    const CredentialCopy* best = newest_copy(copies);
    if (const char* token = std::getenv("CLAUDE_CODE_OAUTH_TOKEN"); token && *token)
      checks.push_back({"oauth token", true,
                        "CLAUDE_CODE_OAUTH_TOKEN is set: `run` passes it to the container by name, never writing it", ""});
    if (!host.ok()) {
      checks.push_back({"login", false, host.error().message(), host.error().fix});
    } else if (!best && copies.empty()) {
      // Not an error: an API key or CLAUDE_CODE_OAUTH_TOKEN may be how this user logs in.
      checks.push_back({"login", true, "no credentials in " + store->describe() +
                        " (the container asks for /login unless ANTHROPIC_API_KEY or CLAUDE_CODE_OAUTH_TOKEN is set)", ""});
    } else {
      const CredentialCopy& c = best ? *best : copies.front();
      auto f = credentials_freshness(c.text, ctx.clock.now_ms());
      std::string from = c.kind == CredentialCopy::Kind::kHost ? store->describe() : c.where();
      checks.push_back({"login", !f.problem, f.text + " (" + from + ")",
                        f.problem ? "run `claude` on the host and log in again (/login), or set CLAUDE_CODE_OAUTH_TOKEN (`claude setup-token`)" : ""});
    }
  }

  std::vector<std::string> bad_json;
  auto check_json = [&](const std::string& path) {
    auto text = read_file(path);
    if (!text.ok()) return;
    if (nlohmann::json::parse(*text, nullptr, false).is_discarded()) bad_json.push_back(path);
  };
  if (!ctx.layout.custom_config_dir) check_json(ctx.layout.claude_json);
  ExcludeRules excludes = ExcludeRules::defaults();
  for (const auto& g : ctx.config.exclude) excludes.add_pattern(g);
  auto tree = scan_tree(ctx.layout.config_dir, [&](const std::string& rel, bool is_dir) { return !excludes.excluded(rel, is_dir); },
                        ScanOptions{.strict = false});
  std::size_t json_files = 0;
  if (tree.ok())
    for (const auto& e : *tree)
      if (e.kind == EntryKind::kFile && e.rel.size() > 5 && e.rel.compare(e.rel.size() - 5, 5, ".json") == 0) {
        ++json_files;
        check_json(ctx.layout.config_dir + "/" + e.rel);
      }
  checks.push_back({"json", bad_json.empty(),
                    bad_json.empty() ? std::to_string(json_files + 1) + " JSON files parse" : bad_json.front() + " does not parse",
                    bad_json.empty() ? "" : "repair it, or `claude-host restore` the newest good snapshot"});

  bool all_ok = true;
  nlohmann::json out = nlohmann::json::array();
  for (const auto& c : checks) {
    all_ok = all_ok && c.ok;
    out.push_back({{"check", c.name}, {"ok", c.ok}, {"detail", c.detail}, {"fix", c.fix}});
    if (!json) {
      std::printf("%-4s %-12s %s\n", c.ok ? "ok" : "FAIL", c.name.c_str(), c.detail.c_str());
      if (!c.ok) std::printf("     fix: %s\n", c.fix.c_str());
    }
  }
  if (json) std::cout << nlohmann::json{{"ok", all_ok}, {"checks", out}}.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
  return all_ok ? 0 : 1;
}

}  // namespace claude::host
