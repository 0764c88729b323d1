#include "core/signal_names.h"

#include <csignal>

#include <catch2/catch.hpp>

TEST_CASE("signal names round-trip") {
  CHECK(claude::signal_from_name("SIGWINCH") == SIGWINCH);
  CHECK(claude::signal_from_name("winch") == SIGWINCH);
  CHECK(claude::signal_from_name("34") == 34);
  CHECK_FALSE(claude::signal_from_name("65").has_value());
  CHECK_FALSE(claude::signal_from_name("0").has_value());
  CHECK(claude::signal_name(SIGSEGV) == "SIGSEGV");
  CHECK(claude::signal_name(40) == "SIG40");
}

TEST_CASE("signal names refuse what is not a signal") {
  for (const char* bad : {"", "SIG", "-5", "+5", "0x2", "99999999999", "TERMX", "SIGSIGTERM", " 15"}) {
    INFO(bad);
    CHECK_FALSE(claude::signal_from_name(bad).has_value());
  }
  CHECK(claude::signal_from_name("SigTerm") == SIGTERM);
  CHECK(claude::signal_from_name("64") == 64);
  CHECK(claude::signal_name(SIGKILL) == "SIGKILL");
}
