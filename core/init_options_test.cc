#include "core/init_options.h"

#include <csignal>
#include <fstream>
#include <map>
#include <sstream>
#include <string_view>

#include <catch2/catch.hpp>

using claude::InitMode;
using claude::InitOptions;
using claude::parse_init_options;

namespace {
using Env = claude::InitEnvironment;

using claude::InitOptionKind;
using claude::InitOptionSpec;

// A valid value for each value-taking option of the table, by the value's name in --help
// (then by option, where one name has several forms). A new option whose value has none
// here fails "every option of the table ..." until one is added.
std::string sample_value(const InitOptionSpec& spec) {
  static const std::map<std::string_view, std::string_view> by_option = {
      {"exit-zero", "143"},       {"pdeathsig", "SIGUSR1"},     {"rewrite", "TERM:INT"},
      {"verbose", "2"},           {"log-format", "json"},       {"grace", "3s"},
      {"flush-timeout", "900ms"}, {"health-port", "9000"},      {"health-addr", "127.0.0.2"},
      {"probe-interval", "2s"},   {"probe-timeout", "20ms"},    {"probe-failures", "5"},
      {"settle", "15ms"},         {"map", "/h/p=/workspace/p"}, {"user", "1000:1000"}};
  static const std::map<std::string_view, std::string_view> by_metavar = {
      {"DIR", "/srv/some-dir"}, {"ID", "id-1"}, {"CMD", "true"}, {"GLOB", "*.tmp"}};
  if (auto it = by_option.find(spec.name); it != by_option.end()) return std::string(it->second);
  if (auto it = by_metavar.find(spec.metavar); it != by_metavar.end()) return std::string(it->second);
  return {};
}

// The README's claude-init --help block, between its two marker lines.
std::string readme_help_block() {
  std::ifstream in(std::string(CLAUDE_SOURCE_DIR) + "/README.md");
  REQUIRE(in);
  std::stringstream text;
  text << in.rdbuf();
  std::string s = text.str();
  const std::string begin = "<!-- claude-init --help -->\n```\n", end = "```\n<!-- end claude-init --help -->";
  size_t b = s.find(begin), e = s.find(end);
  REQUIRE(b != std::string::npos);
  REQUIRE(e != std::string::npos);
  b += begin.size();
  REQUIRE(e >= b);
  return s.substr(b, e - b);
}

InitOptions parse_ok(std::vector<std::string> argv, const Env& env = {}) {
  argv.insert(argv.begin(), "claude-init");
  auto r = parse_init_options(argv, env);
  INFO((r.ok() ? std::string() : r.error().message()));
  REQUIRE(r.ok());
  return r.value();
}
claude::Error parse_err(std::vector<std::string> argv, const Env& env = {}) {
  argv.insert(argv.begin(), "claude-init");
  auto r = parse_init_options(argv, env);
  REQUIRE_FALSE(r.ok());
  return r.error();
}
}  // namespace

TEST_CASE("with no command claude-init runs claude") {
  auto o = parse_ok({});
  CHECK(o.mode == InitMode::kRun);
  CHECK(o.command == std::vector<std::string>{"claude"});
  CHECK(o.grace == std::chrono::seconds(8));
  CHECK(o.health_port == 7390);
  CHECK(o.health_addr == "127.0.0.1");
  CHECK(o.stage_dir == "/run/claude/stage");
  CHECK(o.outbox_dir == "/run/claude/outbox");
  CHECK(o.live_dir == "/root/.claude-config");
  CHECK(o.inbox_dir == "/run/claude/inbox");
}

TEST_CASE("the command follows -- or the first non-option, its own flags untouched") {
  CHECK(parse_ok({"--", "sh", "-c", "exit 3"}).command == std::vector<std::string>{"sh", "-c", "exit 3"});
  CHECK(parse_ok({"-g", "ls", "-l", "--", "x"}).command == std::vector<std::string>{"ls", "-l", "--", "x"});
  CHECK(parse_ok({"--", "--weird"}).command == std::vector<std::string>{"--weird"});
}

TEST_CASE("tini-compatible short flags, combined or apart") {
  auto o = parse_ok({"-sg", "-e", "143", "-e2", "-p", "SIGKILL", "-vv", "--", "x"});
  CHECK(o.subreaper);
  CHECK(o.signal_group);
  CHECK(o.exit_zero_codes == std::vector<int>{143, 2});
  CHECK(o.parent_death_signal == SIGKILL);
  CHECK(o.verbosity == 2);
  CHECK(parse_ok({"-q", "x"}).verbosity == -1);
}

TEST_CASE("-r rewrites signals like dumb-init, by name or number, 0 drops") {
  auto o = parse_ok({"-r", "TERM:INT", "-r", "1:0", "--rewrite=sigusr1:SIGUSR2", "x"});
  CHECK(o.signal_rewrites.at(SIGTERM) == SIGINT);
  CHECK(o.signal_rewrites.at(SIGHUP) == 0);
  CHECK(o.signal_rewrites.at(SIGUSR1) == SIGUSR2);
  CHECK(parse_err({"-r", "TERM", "x"}).detail.find("FROM:TO") != std::string::npos);
  CHECK(parse_err({"-r", "TERM:NOPE", "x"}).path == "-r");
}

TEST_CASE("durations accept s, ms, m and bare seconds") {
  CHECK(parse_ok({"--grace", "500ms"}).grace == std::chrono::milliseconds(500));
  CHECK(parse_ok({"--grace=3"}).grace == std::chrono::seconds(3));
  CHECK(parse_ok({"--grace", "1.5s"}).grace == std::chrono::milliseconds(1500));
  CHECK(parse_ok({"--grace", "2m"}).grace == std::chrono::minutes(2));
  CHECK(parse_ok({"--grace", ".25s"}).grace == std::chrono::milliseconds(250));
  CHECK(parse_ok({"--grace", "0"}).grace == std::chrono::milliseconds(0));
  CHECK(parse_err({"--grace", "soon"}).path == "--grace");
  for (const char* bad : {"1.", "1.2.3", "-1", "s", "1e3", "1,5s", "99999999999"}) {
    INFO(bad);
    CHECK_FALSE(parse_init_options({"claude-init", "--grace", bad}, {}).ok());
  }
  CHECK(parse_err({"--grace"}).detail == "needs a value");
}

TEST_CASE("every flag can come from a CLAUDE_INIT_ variable") {
  Env env{{"CLAUDE_INIT_SIGNAL_GROUP", "1"},       {"CLAUDE_INIT_SUBREAPER", "yes"},
          {"CLAUDE_INIT_EXIT_ZERO", "143,130"},    {"CLAUDE_INIT_PDEATHSIG", "TERM"},
          {"CLAUDE_INIT_REWRITE", "TERM:INT,HUP:0"}, {"CLAUDE_INIT_VERBOSITY", "2"},
          {"CLAUDE_INIT_LOG_FORMAT", "json"},      {"CLAUDE_INIT_GRACE", "3s"},
          {"CLAUDE_INIT_FLUSH_TIMEOUT", "900ms"},  {"CLAUDE_INIT_HEALTH_PORT", "9000"},
          {"CLAUDE_INIT_HEALTH_ADDR", "127.0.0.2"}, {"CLAUDE_INIT_PROBE_CMD", "true"},
          {"CLAUDE_INIT_PROBE_INTERVAL", "2s"},    {"CLAUDE_INIT_PROBE_TIMEOUT", "1s"},
          {"CLAUDE_INIT_PROBE_FAILURES", "5"},     {"CLAUDE_INIT_NO_SYNC", "on"},
          {"CLAUDE_INIT_STAGE", "/s"},             {"CLAUDE_INIT_OUTBOX", "/o"},
          {"CLAUDE_CONFIG_DIR", "/l"},             {"CLAUDE_INIT_RUN_ID", "r1"},
          {"CLAUDE_INIT_TRACE_ID", "t1"}};
  auto o = parse_ok({}, env);
  CHECK(o.signal_group);
  CHECK(o.subreaper);
  CHECK(o.exit_zero_codes == std::vector<int>{143, 130});
  CHECK(o.parent_death_signal == SIGTERM);
  CHECK(o.signal_rewrites == std::map<int, int>{{SIGTERM, SIGINT}, {SIGHUP, 0}});
  CHECK(o.verbosity == 2);
  CHECK(o.log_format == claude::InitLogFormat::kJson);
  CHECK(o.grace == std::chrono::seconds(3));
  CHECK(o.flush_timeout == std::chrono::milliseconds(900));
  CHECK(o.health_port == 9000);
  CHECK(o.health_addr == "127.0.0.2");
  CHECK(o.probe_cmd == "true");
  CHECK(o.probe_interval == std::chrono::seconds(2));
  CHECK(o.probe_timeout == std::chrono::seconds(1));
  CHECK(o.probe_failures == 5);
  CHECK(o.no_sync);
  CHECK(o.stage_dir == "/s");
  CHECK(o.outbox_dir == "/o");
  CHECK(o.live_dir == "/l");
  CHECK(o.run_id == "r1");
  CHECK(o.trace_id == "t1");
}

TEST_CASE("flags win over the environment, lists are replaced not merged") {
  Env env{{"CLAUDE_INIT_GRACE", "3s"}, {"CLAUDE_INIT_EXIT_ZERO", "143"}, {"CLAUDE_INIT_REWRITE", "TERM:INT"},
          {"CLAUDE_INIT_VERBOSITY", "2"}, {"CLAUDE_INIT_HEALTH_PORT", "9000"}};
  auto o = parse_ok({"--grace", "1s", "-e", "2", "-r", "HUP:TERM", "-q", "--health-port", "0"}, env);
  CHECK(o.grace == std::chrono::seconds(1));
  CHECK(o.exit_zero_codes == std::vector<int>{2});
  CHECK(o.signal_rewrites == std::map<int, int>{{SIGHUP, SIGTERM}});
  CHECK(o.verbosity == -1);
  CHECK(o.health_port == 0);
}

TEST_CASE("a bad environment value names the variable") {
  auto e = parse_err({}, {{"CLAUDE_INIT_HEALTH_PORT", "http"}});
  CHECK(e.path == "CLAUDE_INIT_HEALTH_PORT");
  CHECK(parse_err({}, {{"CLAUDE_INIT_NO_SYNC", "maybe"}}).path == "CLAUDE_INIT_NO_SYNC");
}

TEST_CASE("the health endpoint refuses non-loopback addresses unless allowed") {
  auto e = parse_err({"--health-addr", "0.0.0.0"});
  CHECK(e.detail.find("not a loopback") != std::string::npos);
  CHECK(e.fix.find("--health-allow-remote") != std::string::npos);
  CHECK(parse_err({"--health-addr", "10.0.0.1"}).path == "--health-addr");
  CHECK(parse_ok({"--health-addr", "0.0.0.0", "--health-allow-remote"}).health_addr == "0.0.0.0");
  CHECK(parse_ok({"--health-addr", "localhost"}).health_addr == "127.0.0.1");
  CHECK(parse_ok({"--health-addr", "::1"}).health_addr == "::1");
  CHECK(claude::is_loopback_address("127.1.2.3"));
  CHECK_FALSE(claude::is_loopback_address("127.0.0"));
  CHECK_FALSE(claude::is_loopback_address("127.0.0.256"));
  CHECK_FALSE(claude::is_loopback_address("1127.0.0.1"));
}

TEST_CASE("health and sync are subcommands that take only options") {
  auto h = parse_ok({"health", "--json", "--health-port", "7400"});
  CHECK(h.mode == InitMode::kHealth);
  CHECK(h.health_json);
  CHECK(h.health_port == 7400);
  CHECK(h.command.empty());
  CHECK(parse_ok({"sync"}).mode == InitMode::kSync);
  CHECK(parse_err({"health", "extra"}).detail.find("unexpected") != std::string::npos);
  CHECK(parse_err({"--json"}).detail == "unknown option");
  // A command that happens to be called health runs after --.
  CHECK(parse_ok({"--", "health"}).command == std::vector<std::string>{"health"});
}

TEST_CASE("--help and --version stop parsing") {
  CHECK(parse_ok({"--help", "--bogus"}).mode == InitMode::kHelp);
  CHECK(parse_ok({"-h"}).mode == InitMode::kHelp);
  CHECK(parse_ok({"--version"}).mode == InitMode::kVersion);
  CHECK(parse_ok({"-V"}).mode == InitMode::kVersion);
}

TEST_CASE("unknown options and bad values are errors naming the option") {
  CHECK(parse_err({"-x"}).path == "-x");
  CHECK(parse_err({"--frobnicate"}).path == "--frobnicate");
  CHECK(parse_err({"-e", "256", "x"}).path == "-e");
  CHECK(parse_err({"-p", "SIGNOPE", "x"}).path == "-p");
  CHECK(parse_err({"--probe-failures", "0"}).path == "--probe-failures");
  CHECK(parse_err({"--no-sync=1"}).detail == "takes no value");
  CHECK(parse_err({"--probe-cmd", "x", "--probe-interval", "1s", "--probe-timeout", "2s"}).path == "--probe-timeout");
}

TEST_CASE("every option of the table is parsed from its flag, its letter and its variable alike") {
  const InitOptions defaults = parse_ok({});
  for (const InitOptionSpec& spec : claude::init_option_table()) {
    INFO("--" << spec.name);
    const std::string flag = "--" + std::string(spec.name);
    const std::string letter = spec.letter ? std::string("-") + spec.letter : std::string();
    switch (spec.kind) {
      case InitOptionKind::kHelp:
      case InitOptionKind::kVersion: {
        InitMode mode = spec.kind == InitOptionKind::kHelp ? InitMode::kHelp : InitMode::kVersion;
        CHECK(parse_ok({flag, "--bogus"}).mode == mode);
        if (!letter.empty()) CHECK(parse_ok({letter}).mode == mode);
        CHECK(spec.variable.empty());
        break;
      }
      case InitOptionKind::kSwitch: {
        InitOptions on = parse_ok({flag});
        CHECK_FALSE(on == defaults);
        if (!letter.empty()) CHECK(parse_ok({letter}) == on);
        CHECK(parse_err({flag + "=1"}).detail == "takes no value");
        REQUIRE_FALSE(spec.variable.empty());
        CHECK(parse_ok({}, {{std::string(spec.variable), "yes"}}) == on);
        CHECK(parse_ok({}, {{std::string(spec.variable), "0"}}) == defaults);
        CHECK(parse_err({}, {{std::string(spec.variable), "?bad"}}).path == spec.variable);
        break;
      }
      case InitOptionKind::kCount: {
        InitOptions counted = parse_ok({flag});
        CHECK(counted.verbosity == spec.step);
        if (!letter.empty()) CHECK(parse_ok({letter, letter}).verbosity == 2 * spec.step);
        CHECK(parse_err({flag + "=1"}).detail == "takes no value");
        if (!spec.variable.empty()) {
          CHECK(parse_ok({}, {{std::string(spec.variable), "2"}}).verbosity == 2);
          CHECK(parse_err({}, {{std::string(spec.variable), "?bad"}}).path == spec.variable);
        }
        break;
      }
      case InitOptionKind::kText:
      case InitOptionKind::kValue:
      case InitOptionKind::kList: {
        const std::string value = sample_value(spec);
        REQUIRE_FALSE(value.empty());  // add a sample for this option above
        InitOptions by_flag = parse_ok({flag, value});
        CHECK_FALSE(by_flag == defaults);
        CHECK(parse_ok({flag + "=" + value}) == by_flag);
        if (!letter.empty()) {
          CHECK(parse_ok({letter, value}) == by_flag);
          CHECK(parse_ok({letter + value}) == by_flag);
        }
        CHECK(parse_err({flag}).detail == "needs a value");
        if (!spec.variable.empty()) {
          CHECK(parse_ok({}, {{std::string(spec.variable), value}}) == by_flag);
          CHECK(parse_ok({}, {{std::string(spec.variable), ""}}) == defaults);  // empty: not set
        }
        // Any string is a valid text or glob; every other value is checked.
        if (spec.kind != InitOptionKind::kText && spec.name != "exclude") {
          CHECK(parse_err({flag, "?bad"}).path == flag);
          if (!spec.variable.empty()) CHECK_FALSE(parse_init_options({"claude-init"}, {{std::string(spec.variable), "?bad"}}).ok());
        }
        break;
      }
    }
  }
}

TEST_CASE("--help lists every option of the table with its letter, value and variable") {
  const std::string help = claude::init_help_text();
  for (const InitOptionSpec& spec : claude::init_option_table()) {
    INFO("--" << spec.name);
    std::string usage = (spec.letter ? std::string("  -") + spec.letter + ", " : std::string(6, ' ')) + "--" +
                        std::string(spec.name) + (spec.metavar.empty() ? "" : " " + std::string(spec.metavar));
    CHECK(help.find("\n" + usage + " ") != std::string::npos);
    std::string first_line(spec.help.substr(0, spec.help.find('\n')));
    CHECK(help.find(first_line) != std::string::npos);
    if (!spec.variable.empty())
      CHECK(help.find("[" + std::string(spec.variable) + std::string(spec.var_form) + "]") != std::string::npos);
  }
  for (const std::string& line : {std::string("health [--json]"), std::string("Flags win over environment variables.")}) {
    CHECK(help.find(line) != std::string::npos);
  }
}

TEST_CASE("README's claude-init option reference is --help, made from the table") {
  const std::string readme = readme_help_block();
  for (const InitOptionSpec& spec : claude::init_option_table()) {
    INFO("--" << spec.name);
    CHECK(readme.find("--" + std::string(spec.name)) != std::string::npos);
    if (!spec.variable.empty()) CHECK(readme.find(std::string(spec.variable)) != std::string::npos);
  }
  CHECK(readme == claude::init_help_text());
}

TEST_CASE("the table's names, letters and variables are unique") {
  std::map<std::string_view, int> names, variables;
  std::map<char, int> letters;
  for (const InitOptionSpec& spec : claude::init_option_table()) {
    ++names[spec.name];
    if (spec.letter) ++letters[spec.letter];
    if (!spec.variable.empty()) ++variables[spec.variable];
    CHECK(spec.name != "json");  // `health --json` is the subcommand's own
  }
  for (const auto& [name, n] : names) { INFO(name); CHECK(n == 1); }
  for (const auto& [letter, n] : letters) { INFO(letter); CHECK(n == 1); }
  for (const auto& [variable, n] : variables) { INFO(variable); CHECK(n == 1); }
}

TEST_CASE("is_init_variable knows exactly the variables the parse reads") {
  for (const InitOptionSpec& spec : claude::init_option_table()) {
    if (spec.variable.empty()) continue;
    INFO(spec.variable);
    CHECK(claude::is_init_variable(spec.variable));
  }
  for (const char* other : {"HOME", "PATH", "CLAUDE_INIT", "CLAUDE_INIT_", "CLAUDE_INIT_UNKNOWN", "CLAUDE_CONFIG_DIRS",
                            "CLAUDE_CODE_USE_BEDROCK", "claude_init_grace", "CLAUDE_INIT_QUIET", "CLAUDE_INIT_HELP"}) {
    INFO(other);
    CHECK_FALSE(claude::is_init_variable(other));
  }
}

TEST_CASE("--user and CLAUDE_INIT_USER name the session's uid and gid; a bad value is refused") {
  CHECK_FALSE(parse_ok({"true"}).user.has_value());
  CHECK(parse_ok({"--user", "1000:1001", "true"}).user == InitOptions::User{1000, 1001});
  CHECK(parse_ok({"--user=501", "true"}).user == InitOptions::User{501, 501});
  CHECK(parse_ok({"true"}, {{"CLAUDE_INIT_USER", "1000:20"}}).user == InitOptions::User{1000, 20});
  CHECK_FALSE(parse_ok({"true"}, {{"CLAUDE_INIT_USER", ""}}).user.has_value());  // empty: not set
  CHECK(parse_ok({"--user", "7:8", "true"}, {{"CLAUDE_INIT_USER", "1:2"}}).user == InitOptions::User{7, 8});
  for (const char* bad : {"al", "1000:", ":1000", "-1:0", "1000:x", "99999999999:1"}) {
    INFO(bad);
    CHECK(parse_err({"--user", bad, "true"}).message().find("--user") != std::string::npos);
  }
  CHECK(claude::is_init_variable("CLAUDE_INIT_USER"));
}
