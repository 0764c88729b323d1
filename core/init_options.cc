#include "core/init_options.h"

#include <csignal>
#include <cstdint>

#include <algorithm>
#include <charconv>
#include <string>

namespace claude {
namespace {

// Linux signal names. <csignal> gives the numbers; the table is ours so that the core
// needs no strsignal() or sigabbrev_np() and prints the same names everywhere.
struct SignalName {
  const char* name;
  int number;
};
constexpr SignalName kSignals[] = {
    {"HUP", SIGHUP},     {"INT", SIGINT},       {"QUIT", SIGQUIT},   {"ILL", SIGILL},
    {"TRAP", SIGTRAP},   {"ABRT", SIGABRT},     {"BUS", SIGBUS},     {"FPE", SIGFPE},
    {"KILL", SIGKILL},   {"USR1", SIGUSR1},     {"SEGV", SIGSEGV},   {"USR2", SIGUSR2},
    {"PIPE", SIGPIPE},   {"ALRM", SIGALRM},     {"TERM", SIGTERM},   {"STKFLT", SIGSTKFLT},
    {"CHLD", SIGCHLD},   {"CONT", SIGCONT},     {"STOP", SIGSTOP},   {"TSTP", SIGTSTP},
    {"TTIN", SIGTTIN},   {"TTOU", SIGTTOU},     {"URG", SIGURG},     {"XCPU", SIGXCPU},
    {"XFSZ", SIGXFSZ},   {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF},   {"WINCH", SIGWINCH},
    {"IO", SIGIO},       {"PWR", SIGPWR},       {"SYS", SIGSYS},
};
// The kernel's highest signal number (SIGRTMAX on Linux); <csignal> only has it as a call.
constexpr int kMaxSignal = 64;

Error option_error(std::string_view what, std::string detail, std::string fix = "see claude-init --help") {
  return Error{"parse option", std::string(what), 0, std::move(detail), std::move(fix)};
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

std::optional<long long> parse_integer(std::string_view s) {
  long long v = 0;
  if (s.empty()) return std::nullopt;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// "8s", "500ms", "2m", "1.5s" or a bare number of seconds.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view s) {
  double scale = 1000.0;
  if (s.size() > 2 && s.substr(s.size() - 2) == "ms") {
    scale = 1.0;
    s.remove_suffix(2);
  } else if (!s.empty() && s.back() == 's') {
    s.remove_suffix(1);
  } else if (!s.empty() && s.back() == 'm') {
    scale = 60000.0;
    s.remove_suffix(1);
  }
  // Digits with an optional fraction, parsed by hand: from_chars for double would add
  // 35 KiB to the static init for this one use.
  size_t dot = s.find('.');
  std::string_view whole = s.substr(0, dot);
  std::string_view frac = dot == std::string_view::npos ? std::string_view() : s.substr(dot + 1);
  if (whole.empty() && frac.empty()) return std::nullopt;
  if (dot != std::string_view::npos && frac.empty()) return std::nullopt;
  if (whole.size() > 9 || frac.size() > 9) return std::nullopt;
  for (char c : whole) if (c < '0' || c > '9') return std::nullopt;
  for (char c : frac) if (c < '0' || c > '9') return std::nullopt;
  double v = whole.empty() ? 0.0 : static_cast<double>(*parse_integer(whole));
  double place = 0.1;
  for (char c : frac) {
    v += (c - '0') * place;
    place /= 10;
  }
  return std::chrono::milliseconds(static_cast<int64_t>(v * scale + 0.5));
}

std::optional<bool> parse_bool(std::string_view s) {
  std::string u = upper(s);
  if (u == "1" || u == "TRUE" || u == "YES" || u == "ON") return true;
  if (u.empty() || u == "0" || u == "FALSE" || u == "NO" || u == "OFF") return false;
  return std::nullopt;
}

// One value-taking option, applied from a flag or an environment variable; `source`
// names it in errors ("--grace" or "CLAUDE_INIT_GRACE").
Status apply_value(InitOptions& o, std::string_view key, std::string_view source, std::string_view value) {
  auto bad = [&](std::string detail) -> Status { return option_error(source, std::string(detail) + ", got '" + std::string(value) + "'"); };
  if (key == "exit-zero") {
    // A comma-separated list from the environment, one code per -e.
    size_t start = 0;
    while (start <= value.size()) {
      size_t comma = value.find(',', start);
      std::string_view item = value.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
      auto code = parse_integer(item);
      if (!code || *code < 0 || *code > 255) return bad("expected exit codes 0-255");
      o.exit_zero_codes.push_back(static_cast<int>(*code));
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
    return Ok{};
  }
  if (key == "pdeathsig") {
    auto sig = signal_from_name(value);
    if (!sig) return bad("expected a signal name or number");
    o.parent_death_signal = *sig;
    return Ok{};
  }
  if (key == "rewrite") {
    // "FROM:TO[,FROM:TO...]" (dumb-init's -r s:r), names or numbers; TO 0 drops FROM.
    size_t start = 0;
    while (start <= value.size()) {
      size_t comma = value.find(',', start);
      std::string_view item = value.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
      size_t colon = item.find(':');
      if (colon == std::string_view::npos) return bad("expected FROM:TO, e.g. TERM:INT or 15:2");
      auto from = signal_from_name(item.substr(0, colon));
      std::string_view to_text = item.substr(colon + 1);
      std::optional<int> to = to_text == "0" ? std::optional<int>(0) : signal_from_name(to_text);
      if (!from || !to) return bad("expected FROM:TO with signal names or numbers");
      o.signal_rewrites[*from] = *to;
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
    return Ok{};
  }
  if (key == "verbosity") {
    auto v = parse_integer(value);
    if (!v || *v < -2 || *v > 3) return bad("expected a number from -2 to 3");
    o.verbosity = static_cast<int>(*v);
    return Ok{};
  }
  if (key == "log-format") {
    if (value == "auto") o.log_format = InitLogFormat::kAuto;
    else if (value == "human") o.log_format = InitLogFormat::kHuman;
    else if (value == "json") o.log_format = InitLogFormat::kJson;
    else return bad("expected auto, human or json");
    return Ok{};
  }
  if (key == "grace" || key == "flush-timeout" || key == "probe-interval" || key == "probe-timeout") {
    auto d = parse_duration(value);
    if (!d) return bad("expected a duration such as 8s, 500ms or 2m");
    if (key == "grace") o.grace = *d;
    else if (key == "flush-timeout") o.flush_timeout = *d;
    else if (key == "probe-interval") {
      if (d->count() < 100) return bad("the probe interval must be at least 100ms");
      o.probe_interval = *d;
    } else {
      if (d->count() < 10) return bad("the probe timeout must be at least 10ms");
      o.probe_timeout = *d;
    }
    return Ok{};
  }
  if (key == "health-port") {
    auto v = parse_integer(value);
    if (!v || *v < 0 || *v > 65535) return bad("expected a port 0-65535 (0 turns the endpoint off)");
    o.health_port = static_cast<int>(*v);
    return Ok{};
  }
  if (key == "probe-failures") {
    auto v = parse_integer(value);
    if (!v || *v < 1 || *v > 1000) return bad("expected a count from 1 to 1000");
    o.probe_failures = static_cast<int>(*v);
    return Ok{};
  }
  if (key == "health-addr") {
    if (value.empty()) return bad("expected a numeric address");
    o.health_addr = value == "localhost" ? "127.0.0.1" : std::string(value);
    return Ok{};
  }
  if (key == "probe-cmd") { o.probe_cmd = std::string(value); return Ok{}; }
  if (key == "stage") { o.stage_dir = std::string(value); return Ok{}; }
  if (key == "outbox") { o.outbox_dir = std::string(value); return Ok{}; }
  if (key == "live-dir") { o.live_dir = std::string(value); return Ok{}; }
  if (key == "inbox") { o.inbox_dir = std::string(value); return Ok{}; }
  if (key == "run-id") { o.run_id = std::string(value); return Ok{}; }
  if (key == "trace-id") { o.trace_id = std::string(value); return Ok{}; }
  if (key == "exclude" || key == "map") {
    // Repeatable; the environment form is a comma-separated list.
    for (size_t start = 0; start <= value.size();) {
      size_t comma = value.find(',', start);
      std::string_view item = value.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
      if (!item.empty()) {
        if (key == "map" && (item.find('=') == std::string_view::npos || item.front() != '/')) {
          return bad("expected HOST=CONTAINER with absolute paths, e.g. /home/al/proj=/workspace/proj");
        }
        (key == "exclude" ? o.sync_excludes : o.path_maps).emplace_back(item);
      }
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
    return Ok{};
  }
  if (key == "user") {
    size_t colon = value.find(':');
    auto uid = parse_integer(value.substr(0, colon));
    auto gid = colon == std::string_view::npos ? uid : parse_integer(value.substr(colon + 1));
    if (!uid || !gid || *uid < 0 || *gid < 0 || *uid > 0xfffffffe || *gid > 0xfffffffe)
      return bad("expected numeric UID:GID, e.g. 1000:1000");
    o.user = InitOptions::User{static_cast<std::uint32_t>(*uid), static_cast<std::uint32_t>(*gid)};
    return Ok{};
  }
  if (key == "settle") {
    auto d = parse_duration(value);
    if (!d || d->count() > 20) return bad("expected a duration of at most 20ms, e.g. 10ms (0 = none)");
    o.settle = *d;
    return Ok{};
  }
  return option_error(source, "unknown option");
}

Status apply_switch(InitOptions& o, std::string_view key, bool on) {
  if (key == "subreaper") o.subreaper = on;
  else if (key == "signal-group") o.signal_group = on;
  else if (key == "health-allow-remote") o.health_allow_remote = on;
  else if (key == "no-sync") o.no_sync = on;
  else if (key == "rewrite-free-text") o.rewrite_free_text = on;
  else return option_error(key, "unknown switch");
  return Ok{};
}

struct EnvValue {
  const char* variable;
  const char* key;
};
// Value options settable from the environment; the live dir is Claude Code's own variable.
constexpr EnvValue kEnvValues[] = {
    {"CLAUDE_INIT_EXIT_ZERO", "exit-zero"},
    {"CLAUDE_INIT_PDEATHSIG", "pdeathsig"},
    {"CLAUDE_INIT_REWRITE", "rewrite"},
    {"CLAUDE_INIT_VERBOSITY", "verbosity"},
    {"CLAUDE_INIT_LOG_FORMAT", "log-format"},
    {"CLAUDE_INIT_GRACE", "grace"},
    {"CLAUDE_INIT_FLUSH_TIMEOUT", "flush-timeout"},
    {"CLAUDE_INIT_HEALTH_PORT", "health-port"},
    {"CLAUDE_INIT_HEALTH_ADDR", "health-addr"},
    {"CLAUDE_INIT_PROBE_CMD", "probe-cmd"},
    {"CLAUDE_INIT_PROBE_INTERVAL", "probe-interval"},
    {"CLAUDE_INIT_PROBE_TIMEOUT", "probe-timeout"},
    {"CLAUDE_INIT_PROBE_FAILURES", "probe-failures"},
    {"CLAUDE_INIT_STAGE", "stage"},
    {"CLAUDE_INIT_OUTBOX", "outbox"},
    {"CLAUDE_CONFIG_DIR", "live-dir"},
    {"CLAUDE_INIT_INBOX", "inbox"},
    {"CLAUDE_INIT_RUN_ID", "run-id"},
    {"CLAUDE_INIT_TRACE_ID", "trace-id"},
    {"CLAUDE_INIT_EXCLUDE", "exclude"},
    {"CLAUDE_INIT_MAP", "map"},
    {"CLAUDE_INIT_SETTLE", "settle"},
    {"CLAUDE_INIT_USER", "user"},
};
constexpr EnvValue kEnvSwitches[] = {
    {"CLAUDE_INIT_SUBREAPER", "subreaper"},
    {"CLAUDE_INIT_SIGNAL_GROUP", "signal-group"},
    {"CLAUDE_INIT_HEALTH_ALLOW_REMOTE", "health-allow-remote"},
    {"CLAUDE_INIT_NO_SYNC", "no-sync"},
    {"CLAUDE_INIT_REWRITE_FREE_TEXT", "rewrite-free-text"},
};

// Long options that take a value, and the short letters that are aliases.
bool takes_value(std::string_view key) {
  for (const auto& e : kEnvValues) {
    if (key == e.key) return true;
  }
  return false;
}

std::string_view short_to_key(char c) {
  switch (c) {
    case 's': return "subreaper";
    case 'g': return "signal-group";
    case 'e': return "exit-zero";
    case 'p': return "pdeathsig";
    case 'r': return "rewrite";
    default: return {};
  }
}

}  // namespace

std::optional<int> signal_from_name(std::string_view name) {
  if (auto n = parse_integer(name)) {
    if (*n >= 1 && *n <= kMaxSignal) return static_cast<int>(*n);
    return std::nullopt;
  }
  std::string u = upper(name);
  if (u.rfind("SIG", 0) == 0) u.erase(0, 3);
  for (const auto& s : kSignals) {
    if (u == s.name) return s.number;
  }
  return std::nullopt;
}

std::string signal_name(int signal) {
  for (const auto& s : kSignals) {
    if (s.number == signal) return std::string("SIG") + s.name;
  }
  return "SIG" + std::to_string(signal);
}

bool is_loopback_address(std::string_view addr) {
  if (addr == "::1") return true;
  // Dotted quad whose first octet is 127.
  int parts = 0;
  size_t start = 0;
  int first = -1;
  while (start <= addr.size()) {
    size_t dot = addr.find('.', start);
    std::string_view part = addr.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    auto v = parse_integer(part);
    if (!v || *v < 0 || *v > 255 || part.size() > 3) return false;
    if (parts == 0) first = static_cast<int>(*v);
    ++parts;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return parts == 4 && first == 127;
}

bool is_init_variable(std::string_view name) {
  if (!name.starts_with("CLAUDE_")) return false;  // most of an environment, at once
  for (const auto& e : kEnvValues) {
    if (name == e.variable) return true;
  }
  for (const auto& e : kEnvSwitches) {
    if (name == e.variable) return true;
  }
  return false;
}

Result<InitOptions> parse_init_options(const std::vector<std::string>& argv, const InitEnvironment& env) {
  InitOptions o;
  // The environment first; flags below override what it set.
  for (const auto& e : kEnvValues) {
    auto it = env.find(e.variable);
    if (it == env.end()) continue;
    // An empty variable means "not set" (compose files often pass VAR= through).
    if (it->second.empty()) continue;
    if (auto st = apply_value(o, e.key, e.variable, it->second); !st) return st.error();
  }
  for (const auto& e : kEnvSwitches) {
    auto it = env.find(e.variable);
    if (it == env.end()) continue;
    auto b = parse_bool(it->second);
    if (!b) return option_error(e.variable, "expected 1/0, true/false, yes/no or on/off, got '" + it->second + "'");
    if (auto st = apply_switch(o, e.key, *b); !st) return st.error();
  }

  size_t i = 1;
  if (argv.size() > 1 && argv[1] == "health") {
    o.mode = InitMode::kHealth;
    i = 2;
  } else if (argv.size() > 1 && argv[1] == "sync") {
    o.mode = InitMode::kSync;
    i = 2;
  }
  const bool subcommand = o.mode != InitMode::kRun;

  bool flag_exit_codes = false, flag_rewrites = false, flag_verbosity = false;
  bool flag_excludes = false, flag_maps = false;
  int verbosity = 0;
  // Flags that replace (rather than add to) what the environment set.
  auto list_flag = [&](std::string_view key) {
    if (key == "exit-zero" && !flag_exit_codes) { o.exit_zero_codes.clear(); flag_exit_codes = true; }
    if (key == "rewrite" && !flag_rewrites) { o.signal_rewrites.clear(); flag_rewrites = true; }
    if (key == "exclude" && !flag_excludes) { o.sync_excludes.clear(); flag_excludes = true; }
    if (key == "map" && !flag_maps) { o.path_maps.clear(); flag_maps = true; }
  };

  for (; i < argv.size(); ++i) {
    const std::string& arg = argv[i];
    if (arg == "--") { ++i; break; }
    if (arg.size() < 2 || arg[0] != '-') break;  // the command starts here
    if (arg[1] == '-') {
      std::string key = arg.substr(2);
      std::optional<std::string> value;
      if (size_t eq = key.find('='); eq != std::string::npos) {
        value = key.substr(eq + 1);
        key.resize(eq);
      }
      if (key == "help") { o.mode = InitMode::kHelp; return o; }
      if (key == "version") { o.mode = InitMode::kVersion; return o; }
      if (key == "json" && o.mode == InitMode::kHealth) { o.health_json = true; continue; }
      if (key == "verbose") { ++verbosity; flag_verbosity = true; continue; }
      if (key == "quiet") { --verbosity; flag_verbosity = true; continue; }
      if (key == "subreaper" || key == "signal-group" || key == "health-allow-remote" || key == "no-sync" ||
          key == "rewrite-free-text") {
        if (value) return option_error("--" + key, "takes no value");
        (void)apply_switch(o, key, true);
        continue;
      }
      if (!takes_value(key)) return option_error(arg, "unknown option");
      if (!value) {
        if (i + 1 >= argv.size()) return option_error("--" + key, "needs a value");
        value = argv[++i];
      }
      list_flag(key);
      if (auto st = apply_value(o, key, "--" + key, *value); !st) return st.error();
      continue;
    }
    // Short options, combinable (-sg, -vvv); a value-taking one eats the rest or the next.
    for (size_t k = 1; k < arg.size(); ++k) {
      char c = arg[k];
      if (c == 'h') { o.mode = InitMode::kHelp; return o; }
      if (c == 'V') { o.mode = InitMode::kVersion; return o; }
      if (c == 'v') { ++verbosity; flag_verbosity = true; continue; }
      if (c == 'q') { --verbosity; flag_verbosity = true; continue; }
      std::string_view key = short_to_key(c);
      if (key.empty()) return option_error(std::string("-") + c, "unknown option");
      if (!takes_value(key)) { (void)apply_switch(o, key, true); continue; }
      std::string value;
      if (k + 1 < arg.size()) {
        value = arg.substr(k + 1);
      } else {
        if (i + 1 >= argv.size()) return option_error(std::string("-") + c, "needs a value");
        value = argv[++i];
      }
      list_flag(key);
      if (auto st = apply_value(o, key, std::string("-") + c, value); !st) return st.error();
      break;
    }
  }
  if (flag_verbosity) o.verbosity = std::clamp(verbosity, -2, 3);

  for (; i < argv.size(); ++i) o.command.push_back(argv[i]);
  if (subcommand && !o.command.empty()) {
    return option_error(o.command.front(), "unexpected argument after the subcommand",
                        "`claude-init health [--json]` and `claude-init sync` take only options");
  }
  if (o.mode == InitMode::kRun && o.command.empty()) o.command.push_back("claude");

  if (!o.health_allow_remote && !is_loopback_address(o.health_addr)) {
    return option_error("--health-addr", "'" + o.health_addr + "' is not a loopback address",
                        "use 127.0.0.1 (the default), or add --health-allow-remote to expose the endpoint");
  }
  if (o.probe_timeout >= o.probe_interval && !o.probe_cmd.empty()) {
    return option_error("--probe-timeout", "must be shorter than --probe-interval",
                        "e.g. --probe-interval 30s --probe-timeout 10s");
  }
  return o;
}

std::string init_help_text() {
  return R"(Usage: claude-init [OPTIONS] [--] [COMMAND [ARGS...]]
       claude-init health [--json] [--health-port N] [--health-addr A]
       claude-init sync [--health-port N] [--health-addr A]

A static PID 1 for Claude Code containers: runs COMMAND (default: claude), reaps
every zombie, forwards signals, hands the terminal to the child, reports health,
and seeds and syncs the Claude config through the stage and outbox mounts.

Init options (tini / dumb-init compatible where they overlap):
  -s, --subreaper           accepted for tini compatibility; claude-init is always a
                            child subreaper when it is not PID 1   [CLAUDE_INIT_SUBREAPER]
  -g, --signal-group        forward signals to the child's whole process group
                                                                 [CLAUDE_INIT_SIGNAL_GROUP]
  -e, --exit-zero CODE      exit 0 when the child exits with CODE (repeatable)
                                                     [CLAUDE_INIT_EXIT_ZERO=CODE,CODE]
  -p, --pdeathsig SIG       signal claude-init gets (and forwards) when its parent dies
                                                                   [CLAUDE_INIT_PDEATHSIG]
  -r, --rewrite FROM:TO     forward signal FROM as TO (TO 0 drops it), e.g. TERM:INT
                            (repeatable)                 [CLAUDE_INIT_REWRITE=FROM:TO,...]
  -v, --verbose             more log output (repeatable); -q, --quiet: less
                                                        [CLAUDE_INIT_VERBOSITY=-2..3]
      --log-format F        auto (human on a terminal, JSON lines otherwise), human, json
                                                                  [CLAUDE_INIT_LOG_FORMAT]
      --grace DUR           after SIGTERM/SIGINT/SIGHUP, wait this long for the child
                            before SIGKILL (default 8s)               [CLAUDE_INIT_GRACE]
      --flush-timeout DUR   budget of the final sync flush when the child ended by
                            itself (default 1500ms)           [CLAUDE_INIT_FLUSH_TIMEOUT]

Health:
      --health-port N       loopback HTTP endpoint port (default 7390; 0 = off)
                                                                 [CLAUDE_INIT_HEALTH_PORT]
      --health-addr A       numeric address to bind (default 127.0.0.1)
                                                                 [CLAUDE_INIT_HEALTH_ADDR]
      --health-allow-remote allow a non-loopback --health-addr
                                                         [CLAUDE_INIT_HEALTH_ALLOW_REMOTE]
      --probe-cmd CMD       run `/bin/sh -c CMD` periodically as a child probe
                                                                   [CLAUDE_INIT_PROBE_CMD]
      --probe-interval DUR  time between probes (default 30s)  [CLAUDE_INIT_PROBE_INTERVAL]
      --probe-timeout DUR   a probe running longer fails and is killed (default 10s)
                                                               [CLAUDE_INIT_PROBE_TIMEOUT]
      --probe-failures N    consecutive failures that make the run unhealthy (default 3)
                                                              [CLAUDE_INIT_PROBE_FAILURES]

Sync:
      --no-sync             be a plain init: no seed, no watch, no outbox
                                                                     [CLAUDE_INIT_NO_SYNC]
      --stage DIR           read-only stage mount (default /run/claude/stage)
                                                                       [CLAUDE_INIT_STAGE]
      --outbox DIR          read-write outbox mount (default /run/claude/outbox)
                                                                      [CLAUDE_INIT_OUTBOX]
      --live-dir DIR        the container's Claude config dir (default
                            /root/.claude-config)                      [CLAUDE_CONFIG_DIR]
      --inbox DIR           read-only inbox from the host (default /run/claude/inbox): a
                            .credentials.json arriving there is installed into the live
                            dir when it is a newer login; absent = off [CLAUDE_INIT_INBOX]
      --run-id ID, --trace-id ID   ids from the host (generated when absent)
                                             [CLAUDE_INIT_RUN_ID, CLAUDE_INIT_TRACE_ID]
      --exclude GLOB        never sync paths matching GLOB (repeatable), on top of the
                            built-in list (locks, temp files, sessions/, debug/, ...)
                                                          [CLAUDE_INIT_EXCLUDE=GLOB,GLOB]
      --map HOST=CONTAINER  an extra path mapping (repeatable), added to the stage's
                                                   [CLAUDE_INIT_MAP=HOST=CONTAINER,...]
      --rewrite-free-text   also map paths inside free text (commands, tool output)
                                                       [CLAUDE_INIT_REWRITE_FREE_TEXT]
      --settle DUR          quiet time before a file still being written is published
                            (default 10ms, at most 20ms; capped at 100ms for a file
                            written continuously)                    [CLAUDE_INIT_SETTLE]
  Without --no-sync, sync runs when the stage or the outbox folder exists.

Session user:
      --user UID:GID        run the child and the probes as this user (claude-init stays
                            root): after the seed, the live dir, its parent and $HOME
                            (not crossing mounts) and the terminal are given to it
                                                                       [CLAUDE_INIT_USER]

  -h, --help                this text
  -V, --version             print the version

Flags win over environment variables. Durations: 8s, 500ms, 2m, or seconds.

Subcommands (talk to the running init over its loopback endpoint):
  health [--json]           exit 0 when healthy, 1 otherwise, with a one-line reason
                            (--json: the full status); exits 1 at once when no init answers
  sync                      publish every pending change now; exit 0 when complete

Exit status: the child's exit code; 128+N when it died of signal N; 126 when COMMAND
is not executable, 127 when it is not found; 1 when claude-init itself fails to start
(bad option, corrupt stage); codes given with -e become 0.

HTTP endpoint (GET): /healthz (liveness: 200 or 503), /readyz (readiness: 200 or 503),
/metrics (Prometheus text), /status (JSON); POST /sync (flush barrier).
)";
}

}  // namespace claude
