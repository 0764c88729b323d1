// What every claude-host subcommand does before its work: --help, --json, reading its
// options, refusing an argument nobody took. A bad command line is reported like any
// error (report_error: text on stderr, or JSON on stdout with --json) with exit status 2.
//
//   Subcommand cmd("readback", std::move(argv));
//   if (cmd.help(kHelp)) return 0;
//   bool json = cmd.json_flag();
//   auto run = cmd.value("--run");
//   if (auto stop = cmd.finish()) return *stop;
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "hostside/cli_args.h"

namespace claude::host {

class Subcommand {
 public:
  Subcommand(std::string name, std::vector<std::string> argv);

  // With --help or -h: prints `text` (then `more`) on stdout and returns true; the command
  // then exits 0 without reading anything else.
  bool help(std::string_view text, std::string_view more = {});
  // Takes --json out: errors from now on are reported as JSON when it was given.
  bool json_flag();
  // For a command whose options carry --json themselves (read_stage_options).
  void set_json(bool json) { json_ = json; }
  bool json() const { return json_; }

  // The value of --name (see CliArgs::value); when it has none, the Error is kept for
  // finish() (the first one only) and the result is nullopt.
  std::optional<std::string> value(const std::string& name);
  // The arguments, for flags and positionals.
  CliArgs& args() { return args_; }

  // Once every option is read: nullopt to go on, or 2 after reporting the first Error kept
  // by value() or, failing that, the first argument nobody took.
  std::optional<int> finish();
  // Reports `error` as the command's and returns `status`.
  int fail(const Error& error, int status = 1) const;

 private:
  std::string name_;
  CliArgs args_;
  bool json_ = false;
  std::optional<Error> error_;
};

}  // namespace claude::host
