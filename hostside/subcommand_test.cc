#include "hostside/subcommand.h"

#include <catch2/catch.hpp>

using claude::host::Subcommand;

TEST_CASE("a subcommand's start: --help first, then options, then nothing left over") {
  Subcommand help("doctor", {"--bogus", "-h"});
  CHECK(help.help(""));  // --help wins over anything unknown

  Subcommand ok("readback", {"--json", "--run=r1", "--accept-deletes"});
  CHECK_FALSE(ok.help(""));
  CHECK(ok.json_flag());
  CHECK(ok.args().flag("--accept-deletes"));
  CHECK(ok.value("--run") == "r1");
  CHECK(ok.value("--lock-timeout") == std::nullopt);
  CHECK(ok.finish() == std::nullopt);

  // An option with no value, or an argument nobody took, ends the command with status 2.
  Subcommand missing("readback", {"--bogus", "--run"});
  CHECK_FALSE(missing.json_flag());
  CHECK(missing.value("--run") == std::nullopt);
  CHECK(missing.finish() == 2);

  Subcommand leftover("status", {"extra"});
  CHECK(leftover.finish() == 2);
  CHECK(leftover.fail(claude::Error{"do", "x", 0, "failed", ""}) == 1);
  CHECK(leftover.fail(claude::Error{"do", "x", 0, "failed", ""}, 3) == 3);
}
