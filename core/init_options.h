// claude-init's command line and environment, parsed into one value. Pure: the caller
// hands in argv and the environment; nothing here reads the process state.
//
// One table (init_option_table(), in init_options.cc) lists every option: its flag, short
// letter, environment variable, kind, --help lines and where its value goes. The parse,
// the environment, --help, is_init_variable and the tests all read it, so adding an option
// is adding a field to InitOptions and a row to the table.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <span>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/signal_names.h"  // the options hold signal numbers: -p, -r

namespace claude {

// What the invocation asks claude-init to do.
enum class InitMode {
  kRun,      // be the init: run the command (default `claude`)
  kHelp,     // print --help and exit 0
  kVersion,  // print the version and exit 0
  kHealth,   // `claude-init health [--json]`: ask a running init, exit 0/1
  kSync,     // `claude-init sync`: ask a running init to flush now, exit 0/1
};

// How log lines are written (mirrors platform/logging.h's LogFormat; core cannot include it).
enum class InitLogFormat { kAuto, kHuman, kJson };

struct InitOptions {
  InitMode mode = InitMode::kRun;

  // --- init (tini/dumb-init compatible where they overlap) ---------------------------
  // The command to run; never empty after a successful parse (default {"claude"}).
  std::vector<std::string> command;
  bool subreaper = false;           // -s: accepted for tini compatibility; claude-init is
                                    // always a subreaper when it is not PID 1.
  bool signal_group = false;        // -g: forward signals to the child's process group.
  std::vector<int> exit_zero_codes; // -e CODE (repeatable): these child exit codes become 0.
  int parent_death_signal = 0;      // -p SIG: PR_SET_PDEATHSIG; 0 = none.
  int verbosity = 0;                // -v (repeatable) raises, -q lowers.
  InitLogFormat log_format = InitLogFormat::kAuto;
  // -r FROM:TO (repeatable): a received FROM is forwarded as TO; TO == 0 drops it.
  std::map<int, int> signal_rewrites;
  std::chrono::milliseconds grace{8000};          // --grace: stop signal → SIGKILL.
  std::chrono::milliseconds flush_timeout{1500};  // --flush-timeout: final flush budget
                                                  // when no stop signal set a deadline.

  // --- health -----------------------------------------------------------------------
  int health_port = 7390;                   // --health-port; 0 disables the endpoint.
  std::string health_addr = "127.0.0.1";    // --health-addr; loopback unless allowed.
  bool health_allow_remote = false;         // --health-allow-remote
  bool health_json = false;                 // `health --json`
  std::string probe_cmd;                    // --probe-cmd: run with /bin/sh -c; empty = none.
  std::chrono::milliseconds probe_interval{30000};
  std::chrono::milliseconds probe_timeout{10000};
  int probe_failures = 3;                   // consecutive failures → unhealthy.

  // --- sync (consumed by the sync engine; see ARCHITECTURE.md's defaults table) -------
  bool no_sync = false;                     // --no-sync: be a plain init.
  std::string stage_dir = "/run/claude/stage";
  std::string outbox_dir = "/run/claude/outbox";
  std::string live_dir = "/root/.claude-config";
  // --inbox: the host's read-only inbox; a credentials file arriving there is installed
  // into the live dir when newer. A missing folder turns the channel off.
  std::string inbox_dir = "/run/claude/inbox";
  std::string run_id;                       // empty = generate at start.
  std::string trace_id;                     // empty = generate at start.
  std::vector<std::string> sync_excludes;   // --exclude GLOB (repeatable), on top of the built-in list.
  std::vector<std::string> path_maps;       // --map HOST=CONTAINER (repeatable), added to the stage's mapping.
  bool rewrite_free_text = false;           // --rewrite-free-text: map paths inside free text too.
  std::chrono::milliseconds settle{10};     // --settle: quiet time before a file being written is published (<= 20ms).

  // --- the session's user --------------------------------------------------------------
  // --user UID:GID: the child and the probes run as this user (the init stays root); the
  // live dir, the home and the terminal are given to it first. nullopt: as the init runs.
  struct User {
    std::uint32_t uid = 0;
    std::uint32_t gid = 0;
    bool operator==(const User&) const = default;
  };
  std::optional<User> user;

  bool operator==(const InitOptions&) const = default;
};

// How an option takes its value.
enum class InitOptionKind {
  kSwitch,   // --name (no value) sets `flag`; its variable is 1/0, true/false, yes/no, on/off
  kText,     // --name VALUE: any string, into `text`
  kValue,    // --name VALUE, checked and stored by `apply`
  kList,     // --name VALUE, repeatable: `apply` takes each comma-separated item; the flags
             // replace (`clear`) what the variable set
  kCount,    // -v / -q: each one adds `step` to the verbosity; the variable (through
             // `apply`) sets it outright
  kHelp,     // --help: print the help, stop parsing
  kVersion,  // --version: print the version, stop parsing
};

// The --help section an option is listed in, in this order.
enum class InitHelpSection { kInit, kHealth, kSync, kUser, kGeneral };

// One option. Every field but `name`, `kind` and `section` may be left empty.
struct InitOptionSpec {
  std::string_view name;       // the long flag without "--"
  InitOptionKind kind;
  InitHelpSection section;
  char letter = 0;             // the short alias ("-e"); 0 = none
  std::string_view variable = {};   // the environment variable; empty = none
  std::string_view metavar = {};    // the value's name in --help ("DUR")
  std::string_view var_form = {};   // shown after the variable in --help ("=CODE,CODE")
  std::string_view help = {};       // the --help lines, '\n' between them
  bool InitOptions::*flag = nullptr;         // kSwitch
  std::string InitOptions::*text = nullptr;  // kText
  // kValue, kList, kCount (its variable): stores one value; nullptr on success, else what
  // was expected ("expected a port 0-65535"), for the error.
  const char* (*apply)(InitOptions&, std::string_view value) = nullptr;
  void (*clear)(InitOptions&) = nullptr;     // kList
  int step = 0;                              // kCount
};

// Every option, in --help order within each section.
std::span<const InitOptionSpec> init_option_table();

// Variable name -> value; looked up by const char* without a temporary string.
using InitEnvironment = std::map<std::string, std::string, std::less<>>;

// True for the environment variables parse_init_options reads (the table's: CLAUDE_INIT_*
// and Claude Code's own CLAUDE_CONFIG_DIR): main hands in only those.
bool is_init_variable(std::string_view name);

// Parses argv (argv[0] included) and the environment. Flags win over CLAUDE_INIT_*
// variables; an unknown flag, a bad value or a non-loopback --health-addr without
// --health-allow-remote is an Error whose detail names the flag or variable.
Result<InitOptions> parse_init_options(const std::vector<std::string>& argv, const InitEnvironment& env);

// The --help text, made from the table (also the README's claude-init section, kept
// identical by tests/integration/init_exit_codes.sh and the unit tests).
std::string init_help_text();

// Whether `addr` is a numeric IPv4 loopback address (127.0.0.0/8) or "::1".
bool is_loopback_address(std::string_view addr);

}  // namespace claude
