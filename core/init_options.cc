#include "core/init_options.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <string>

namespace claude {
namespace {

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

// --- The values' checks: nullptr when stored, else what was expected -----------------

const char* apply_exit_zero(InitOptions& o, std::string_view v) {
  auto code = parse_integer(v);
  if (!code || *code < 0 || *code > 255) return "expected exit codes 0-255";
  o.exit_zero_codes.push_back(static_cast<int>(*code));
  return nullptr;
}

const char* apply_pdeathsig(InitOptions& o, std::string_view v) {
  auto sig = signal_from_name(v);
  if (!sig) return "expected a signal name or number";
  o.parent_death_signal = *sig;
  return nullptr;
}

// "FROM:TO" (dumb-init's -r s:r), names or numbers; TO 0 drops FROM.
const char* apply_rewrite(InitOptions& o, std::string_view v) {
  size_t colon = v.find(':');
  if (colon == std::string_view::npos) return "expected FROM:TO, e.g. TERM:INT or 15:2";
  auto from = signal_from_name(v.substr(0, colon));
  std::string_view to_text = v.substr(colon + 1);
  std::optional<int> to = to_text == "0" ? std::optional<int>(0) : signal_from_name(to_text);
  if (!from || !to) return "expected FROM:TO with signal names or numbers";
  o.signal_rewrites[*from] = *to;
  return nullptr;
}

const char* apply_verbosity(InitOptions& o, std::string_view v) {
  auto n = parse_integer(v);
  if (!n || *n < -2 || *n > 3) return "expected a number from -2 to 3";
  o.verbosity = static_cast<int>(*n);
  return nullptr;
}

const char* apply_log_format(InitOptions& o, std::string_view v) {
  if (v == "auto") o.log_format = InitLogFormat::kAuto;
  else if (v == "human") o.log_format = InitLogFormat::kHuman;
  else if (v == "json") o.log_format = InitLogFormat::kJson;
  else return "expected auto, human or json";
  return nullptr;
}

constexpr const char* kExpectedDuration = "expected a duration such as 8s, 500ms or 2m";

const char* apply_grace(InitOptions& o, std::string_view v) {
  auto d = parse_duration(v);
  if (!d) return kExpectedDuration;
  o.grace = *d;
  return nullptr;
}

const char* apply_flush_timeout(InitOptions& o, std::string_view v) {
  auto d = parse_duration(v);
  if (!d) return kExpectedDuration;
  o.flush_timeout = *d;
  return nullptr;
}

const char* apply_probe_interval(InitOptions& o, std::string_view v) {
  auto d = parse_duration(v);
  if (!d) return kExpectedDuration;
  if (d->count() < 100) return "the probe interval must be at least 100ms";
  o.probe_interval = *d;
  return nullptr;
}

const char* apply_probe_timeout(InitOptions& o, std::string_view v) {
  auto d = parse_duration(v);
  if (!d) return kExpectedDuration;
  if (d->count() < 10) return "the probe timeout must be at least 10ms";
  o.probe_timeout = *d;
  return nullptr;
}

const char* apply_settle(InitOptions& o, std::string_view v) {
  auto d = parse_duration(v);
  if (!d || d->count() > 20) return "expected a duration of at most 20ms, e.g. 10ms (0 = none)";
  o.settle = *d;
  return nullptr;
}

const char* apply_health_port(InitOptions& o, std::string_view v) {
  auto n = parse_integer(v);
  if (!n || *n < 0 || *n > 65535) return "expected a port 0-65535 (0 turns the endpoint off)";
  o.health_port = static_cast<int>(*n);
  return nullptr;
}

const char* apply_health_addr(InitOptions& o, std::string_view v) {
  if (v.empty()) return "expected a numeric address";
  o.health_addr = v == "localhost" ? "127.0.0.1" : std::string(v);
  return nullptr;
}

const char* apply_probe_failures(InitOptions& o, std::string_view v) {
  auto n = parse_integer(v);
  if (!n || *n < 1 || *n > 1000) return "expected a count from 1 to 1000";
  o.probe_failures = static_cast<int>(*n);
  return nullptr;
}

// Empty items of these two lists are skipped ("a,,b", a trailing comma).
const char* apply_exclude(InitOptions& o, std::string_view v) {
  if (!v.empty()) o.sync_excludes.emplace_back(v);
  return nullptr;
}

const char* apply_map(InitOptions& o, std::string_view v) {
  if (v.empty()) return nullptr;
  if (v.find('=') == std::string_view::npos || v.front() != '/')
    return "expected HOST=CONTAINER with absolute paths, e.g. /home/al/proj=/workspace/proj";
  o.path_maps.emplace_back(v);
  return nullptr;
}

const char* apply_user(InitOptions& o, std::string_view v) {
  size_t colon = v.find(':');
  auto uid = parse_integer(v.substr(0, colon));
  auto gid = colon == std::string_view::npos ? uid : parse_integer(v.substr(colon + 1));
  if (!uid || !gid || *uid < 0 || *gid < 0 || *uid > 0xfffffffe || *gid > 0xfffffffe)
    return "expected numeric UID:GID, e.g. 1000:1000";
  o.user = InitOptions::User{static_cast<std::uint32_t>(*uid), static_cast<std::uint32_t>(*gid)};
  return nullptr;
}

using K = InitOptionKind;
using S = InitHelpSection;

// --- The table ------------------------------------------------------------------------
// One row per option, in --help order within each section (see InitOptionSpec).
constexpr InitOptionSpec kOptions[] = {
    {.name = "subreaper", .kind = K::kSwitch, .section = S::kInit, .letter = 's', .variable = "CLAUDE_INIT_SUBREAPER",
     .help = "accepted for tini compatibility; claude-init is always a\nchild subreaper when it is not PID 1",
     .flag = &InitOptions::subreaper},
    {.name = "signal-group", .kind = K::kSwitch, .section = S::kInit, .letter = 'g', .variable = "CLAUDE_INIT_SIGNAL_GROUP",
     .help = "forward signals to the child's whole process group", .flag = &InitOptions::signal_group},
    {.name = "exit-zero", .kind = K::kList, .section = S::kInit, .letter = 'e', .variable = "CLAUDE_INIT_EXIT_ZERO",
     .metavar = "CODE", .var_form = "=CODE,CODE", .help = "exit 0 when the child exits with CODE (repeatable)",
     .apply = apply_exit_zero, .clear = [](InitOptions& o) { o.exit_zero_codes.clear(); }},
    {.name = "pdeathsig", .kind = K::kValue, .section = S::kInit, .letter = 'p', .variable = "CLAUDE_INIT_PDEATHSIG",
     .metavar = "SIG", .help = "signal claude-init gets (and forwards) when its parent dies", .apply = apply_pdeathsig},
    {.name = "rewrite", .kind = K::kList, .section = S::kInit, .letter = 'r', .variable = "CLAUDE_INIT_REWRITE",
     .metavar = "FROM:TO", .var_form = "=FROM:TO,...",
     .help = "forward signal FROM as TO (TO 0 drops it), e.g. TERM:INT\n(repeatable)", .apply = apply_rewrite,
     .clear = [](InitOptions& o) { o.signal_rewrites.clear(); }},
    {.name = "verbose", .kind = K::kCount, .section = S::kInit, .letter = 'v', .variable = "CLAUDE_INIT_VERBOSITY",
     .var_form = "=-2..3", .help = "more log output (repeatable)", .apply = apply_verbosity, .step = 1},
    {.name = "quiet", .kind = K::kCount, .section = S::kInit, .letter = 'q', .help = "less log output (repeatable)",
     .step = -1},
    {.name = "log-format", .kind = K::kValue, .section = S::kInit, .variable = "CLAUDE_INIT_LOG_FORMAT", .metavar = "F",
     .help = "auto (human on a terminal, JSON lines otherwise), human, json", .apply = apply_log_format},
    {.name = "grace", .kind = K::kValue, .section = S::kInit, .variable = "CLAUDE_INIT_GRACE", .metavar = "DUR",
     .help = "after SIGTERM/SIGINT/SIGHUP, wait this long for the child\nbefore SIGKILL (default 8s)",
     .apply = apply_grace},
    {.name = "flush-timeout", .kind = K::kValue, .section = S::kInit, .variable = "CLAUDE_INIT_FLUSH_TIMEOUT",
     .metavar = "DUR", .help = "budget of the final sync flush when the child ended by\nitself (default 1500ms)",
     .apply = apply_flush_timeout},

    {.name = "health-port", .kind = K::kValue, .section = S::kHealth, .variable = "CLAUDE_INIT_HEALTH_PORT",
     .metavar = "N", .help = "loopback HTTP endpoint port (default 7390; 0 = off)", .apply = apply_health_port},
    {.name = "health-addr", .kind = K::kValue, .section = S::kHealth, .variable = "CLAUDE_INIT_HEALTH_ADDR",
     .metavar = "A", .help = "numeric address to bind (default 127.0.0.1)", .apply = apply_health_addr},
    {.name = "health-allow-remote", .kind = K::kSwitch, .section = S::kHealth,
     .variable = "CLAUDE_INIT_HEALTH_ALLOW_REMOTE", .help = "allow a non-loopback --health-addr",
     .flag = &InitOptions::health_allow_remote},
    {.name = "probe-cmd", .kind = K::kText, .section = S::kHealth, .variable = "CLAUDE_INIT_PROBE_CMD", .metavar = "CMD",
     .help = "run `/bin/sh -c CMD` periodically as a child probe", .text = &InitOptions::probe_cmd},
    {.name = "probe-interval", .kind = K::kValue, .section = S::kHealth, .variable = "CLAUDE_INIT_PROBE_INTERVAL",
     .metavar = "DUR", .help = "time between probes (default 30s)", .apply = apply_probe_interval},
    {.name = "probe-timeout", .kind = K::kValue, .section = S::kHealth, .variable = "CLAUDE_INIT_PROBE_TIMEOUT",
     .metavar = "DUR", .help = "a probe running longer fails and is killed (default 10s)",
     .apply = apply_probe_timeout},
    {.name = "probe-failures", .kind = K::kValue, .section = S::kHealth, .variable = "CLAUDE_INIT_PROBE_FAILURES",
     .metavar = "N", .help = "consecutive failures that make the run unhealthy (default 3)",
     .apply = apply_probe_failures},

    {.name = "no-sync", .kind = K::kSwitch, .section = S::kSync, .variable = "CLAUDE_INIT_NO_SYNC",
     .help = "be a plain init: no seed, no watch, no outbox", .flag = &InitOptions::no_sync},
    {.name = "stage", .kind = K::kText, .section = S::kSync, .variable = "CLAUDE_INIT_STAGE", .metavar = "DIR",
     .help = "read-only stage mount (default /run/claude/stage)", .text = &InitOptions::stage_dir},
    {.name = "outbox", .kind = K::kText, .section = S::kSync, .variable = "CLAUDE_INIT_OUTBOX", .metavar = "DIR",
     .help = "read-write outbox mount (default /run/claude/outbox)", .text = &InitOptions::outbox_dir},
    {.name = "live-dir", .kind = K::kText, .section = S::kSync, .variable = "CLAUDE_CONFIG_DIR", .metavar = "DIR",
     .help = "the container's Claude config dir (default\n/root/.claude-config)", .text = &InitOptions::live_dir},
    {.name = "inbox", .kind = K::kText, .section = S::kSync, .variable = "CLAUDE_INIT_INBOX", .metavar = "DIR",
     .help = "read-only inbox from the host (default /run/claude/inbox): a\n.credentials.json arriving there is installed into the live\ndir when it is a newer login; absent = off",
     .text = &InitOptions::inbox_dir},
    {.name = "run-id", .kind = K::kText, .section = S::kSync, .variable = "CLAUDE_INIT_RUN_ID", .metavar = "ID",
     .help = "the run's id, from the host (generated when absent)", .text = &InitOptions::run_id},
    {.name = "trace-id", .kind = K::kText, .section = S::kSync, .variable = "CLAUDE_INIT_TRACE_ID", .metavar = "ID",
     .help = "the trace's id, from the host (generated when absent)", .text = &InitOptions::trace_id},
    {.name = "exclude", .kind = K::kList, .section = S::kSync, .variable = "CLAUDE_INIT_EXCLUDE", .metavar = "GLOB",
     .var_form = "=GLOB,GLOB",
     .help = "never sync paths matching GLOB (repeatable), on top of the\nbuilt-in list (locks, temp files, sessions/, debug/, ...)",
     .apply = apply_exclude, .clear = [](InitOptions& o) { o.sync_excludes.clear(); }},
    {.name = "map", .kind = K::kList, .section = S::kSync, .variable = "CLAUDE_INIT_MAP", .metavar = "HOST=CONTAINER",
     .var_form = "=HOST=CONTAINER,...", .help = "an extra path mapping (repeatable), added to the stage's",
     .apply = apply_map, .clear = [](InitOptions& o) { o.path_maps.clear(); }},
    {.name = "rewrite-free-text", .kind = K::kSwitch, .section = S::kSync, .variable = "CLAUDE_INIT_REWRITE_FREE_TEXT",
     .help = "also map paths inside free text (commands, tool output)", .flag = &InitOptions::rewrite_free_text},
    {.name = "settle", .kind = K::kValue, .section = S::kSync, .variable = "CLAUDE_INIT_SETTLE", .metavar = "DUR",
     .help = "quiet time before a file still being written is published\n(default 10ms, at most 20ms; capped at 100ms for a file\nwritten continuously)",
     .apply = apply_settle},

    {.name = "user", .kind = K::kValue, .section = S::kUser, .variable = "CLAUDE_INIT_USER", .metavar = "UID:GID",
     .help = "run the child and the probes as this user (claude-init stays\nroot): after the seed, the live dir, its parent and $HOME\n(not crossing mounts) and the terminal are given to it",
     .apply = apply_user},

    {.name = "help", .kind = K::kHelp, .section = S::kGeneral, .letter = 'h', .help = "this text"},
    {.name = "version", .kind = K::kVersion, .section = S::kGeneral, .letter = 'V', .help = "print the version"},
};

// The headings of --help's sections, and a line closing one.
struct SectionText {
  InitHelpSection section;
  const char* heading;  // nullptr: no heading line
  const char* footer;   // nullptr: none
};
constexpr SectionText kSections[] = {
    {S::kInit, "Init options (tini / dumb-init compatible where they overlap):", nullptr},
    {S::kHealth, "Health:", nullptr},
    {S::kSync, "Sync:", "  Without --no-sync, sync runs when the stage or the outbox folder exists."},
    {S::kUser, "Session user:", nullptr},
    {S::kGeneral, nullptr, nullptr},
};

const InitOptionSpec* find_long(std::string_view name) {
  for (const auto& spec : kOptions) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

const InitOptionSpec* find_short(char letter) {
  for (const auto& spec : kOptions) {
    if (spec.letter != 0 && spec.letter == letter) return &spec;
  }
  return nullptr;
}

bool takes_value(const InitOptionSpec& spec) {
  return spec.kind == K::kText || spec.kind == K::kValue || spec.kind == K::kList;
}

// Stores `value` for a value-taking option (a list: each comma-separated item; a count:
// its variable's value); `source` names it in errors ("--grace" or "CLAUDE_INIT_GRACE").
Status apply_value(InitOptions& o, const InitOptionSpec& spec, std::string_view source, std::string_view value) {
  auto bad = [&](const char* expected) -> Status {
    return option_error(source, std::string(expected) + ", got '" + std::string(value) + "'");
  };
  if (spec.kind == K::kText) {
    o.*spec.text = std::string(value);
    return Ok{};
  }
  if (spec.kind != K::kList) {
    if (const char* expected = spec.apply(o, value)) return bad(expected);
    return Ok{};
  }
  for (size_t start = 0; start <= value.size();) {
    size_t comma = value.find(',', start);
    std::string_view item = value.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    if (const char* expected = spec.apply(o, item)) return bad(expected);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return Ok{};
}

// --help's layout: an option's description starts at column kHelpColumn; its variable
// ends at column kHelpWidth, on the description's last line when it fits, else below.
constexpr size_t kHelpWidth = 90;
constexpr size_t kHelpColumn = 28;

// Appends `text` to `line` right-aligned (moving to a new line when it does not fit).
void append_right(std::string& out, std::string& line, const std::string& text) {
  if (line.size() + 2 + text.size() > kHelpWidth) {
    out += line + "\n";
    line.clear();
  }
  size_t used = line.size() + text.size();
  line.append(used < kHelpWidth ? kHelpWidth - used : 1, ' ');
  line += text;
}

void append_option_help(std::string& out, const InitOptionSpec& spec) {
  std::string line = spec.letter != 0 ? std::string("  -") + spec.letter + ", " : std::string(6, ' ');
  line += "--";
  line += spec.name;
  if (!spec.metavar.empty()) {
    line += ' ';
    line += spec.metavar;
  }
  if (line.size() + 1 > kHelpColumn) {
    out += line + "\n";
    line.clear();
  }
  std::string_view help = spec.help;
  for (bool first = true; first || !help.empty(); first = false) {
    size_t nl = help.find('\n');
    if (!first) {
      out += line + "\n";
      line.clear();
    }
    line.append(kHelpColumn - line.size(), ' ');
    line += help.substr(0, nl);
    help = nl == std::string_view::npos ? std::string_view() : help.substr(nl + 1);
  }
  if (!spec.variable.empty()) append_right(out, line, "[" + std::string(spec.variable) + std::string(spec.var_form) + "]");
  out += line + "\n";
}

}  // namespace

std::span<const InitOptionSpec> init_option_table() { return kOptions; }

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
  for (const auto& spec : kOptions) {
    if (!spec.variable.empty() && name == spec.variable) return true;
  }
  return false;
}

Result<InitOptions> parse_init_options(const std::vector<std::string>& argv, const InitEnvironment& env) {
  InitOptions o;
  // The environment first; flags below override what it set.
  for (const auto& spec : kOptions) {
    if (spec.variable.empty()) continue;
    auto it = env.find(spec.variable);
    if (it == env.end()) continue;
    if (spec.kind == K::kSwitch) {
      auto b = parse_bool(it->second);
      if (!b) return option_error(spec.variable, "expected 1/0, true/false, yes/no or on/off, got '" + it->second + "'");
      o.*spec.flag = *b;
      continue;
    }
    // An empty variable means "not set" (compose files often pass VAR= through).
    if (it->second.empty()) continue;
    if (auto st = apply_value(o, spec, spec.variable, it->second); !st) return st.error();
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

  bool flag_verbosity = false;
  int verbosity = 0;
  std::vector<const InitOptionSpec*> replaced;  // lists a flag has emptied of the environment's items
  // One option given as a flag (`source`: "--grace" or "-g"); `value` when it came with one.
  // Returns true when parsing stops (--help, --version).
  auto take = [&](const InitOptionSpec& spec, const std::string& source, std::optional<std::string> value,
                  size_t& next) -> Result<bool> {
    switch (spec.kind) {
      case K::kHelp: o.mode = InitMode::kHelp; return true;
      case K::kVersion: o.mode = InitMode::kVersion; return true;
      case K::kSwitch:
      case K::kCount:
        if (value) return option_error(source, "takes no value");
        if (spec.kind == K::kSwitch) {
          o.*spec.flag = true;
        } else {
          verbosity += spec.step;
          flag_verbosity = true;
        }
        return false;
      default: break;
    }
    if (!value) {
      if (next + 1 >= argv.size()) return option_error(source, "needs a value");
      value = argv[++next];
    }
    if (spec.kind == K::kList && std::find(replaced.begin(), replaced.end(), &spec) == replaced.end()) {
      spec.clear(o);
      replaced.push_back(&spec);
    }
    if (auto st = apply_value(o, spec, source, *value); !st) return st.error();
    return false;
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
      if (key == "json" && o.mode == InitMode::kHealth) { o.health_json = true; continue; }
      const InitOptionSpec* spec = find_long(key);
      if (spec == nullptr) return option_error(arg, "unknown option");
      // --help and --version win over anything, a value included.
      if (spec->kind == K::kHelp || spec->kind == K::kVersion) value.reset();
      auto stop = take(*spec, "--" + key, std::move(value), i);
      if (!stop.ok()) return stop.error();
      if (*stop) return o;
      continue;
    }
    // Short options, combinable (-sg, -vvv); a value-taking one eats the rest or the next.
    for (size_t k = 1; k < arg.size(); ++k) {
      const InitOptionSpec* spec = find_short(arg[k]);
      std::string source = std::string("-") + arg[k];
      if (spec == nullptr) return option_error(source, "unknown option");
      std::optional<std::string> value;
      if (takes_value(*spec) && k + 1 < arg.size()) value = arg.substr(k + 1);
      auto stop = take(*spec, source, std::move(value), i);
      if (!stop.ok()) return stop.error();
      if (*stop) return o;
      if (takes_value(*spec)) break;
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
  std::string out = R"(Usage: claude-init [OPTIONS] [--] [COMMAND [ARGS...]]
       claude-init health [--json] [--health-port N] [--health-addr A]
       claude-init sync [--health-port N] [--health-addr A]

A static PID 1 for Claude Code containers: runs COMMAND (default: claude), reaps
every zombie, forwards signals, hands the terminal to the child, reports health,
and seeds and syncs the Claude config through the stage and outbox mounts.
)";
  for (const auto& section : kSections) {
    out += "\n";
    if (section.heading != nullptr) out += std::string(section.heading) + "\n";
    for (const auto& spec : kOptions) {
      if (spec.section == section.section) append_option_help(out, spec);
    }
    if (section.footer != nullptr) out += std::string(section.footer) + "\n";
  }
  out += "\n";
  out += R"(Flags win over environment variables. Durations: 8s, 500ms, 2m, or seconds.

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
  return out;
}

}  // namespace claude
