#include "core/exit_status.h"

#include <cerrno>
#include <csignal>

#include <catch2/catch.hpp>

using claude::ChildEnd;

TEST_CASE("a child's exit code is passed through") {
  CHECK(claude::init_exit_code(ChildEnd{true, 0, 0}, {}) == 0);
  CHECK(claude::init_exit_code(ChildEnd{true, 3, 0}, {}) == 3);
  CHECK(claude::init_exit_code(ChildEnd{true, 255, 0}, {}) == 255);
}

TEST_CASE("a killed child's exit code is 128 plus the signal") {
  CHECK(claude::init_exit_code(ChildEnd{false, 0, SIGTERM}, {}) == 143);
  CHECK(claude::init_exit_code(ChildEnd{false, 0, SIGKILL}, {}) == 137);
  CHECK(claude::init_exit_code(ChildEnd{false, 0, SIGSEGV}, {}) == 139);
}

TEST_CASE("-e remaps listed codes, including 128+N, to zero and nothing else") {
  CHECK(claude::init_exit_code(ChildEnd{true, 3, 0}, {3}) == 0);
  CHECK(claude::init_exit_code(ChildEnd{true, 4, 0}, {3}) == 4);
  CHECK(claude::init_exit_code(ChildEnd{false, 0, SIGTERM}, {143}) == 0);
  CHECK(claude::init_exit_code(ChildEnd{false, 0, SIGINT}, {143}) == 130);
}

TEST_CASE("exec failures map to 127 for not found and 126 otherwise, with a clear message") {
  CHECK(claude::exec_failure_exit_code(ENOENT) == 127);
  CHECK(claude::exec_failure_exit_code(ENOTDIR) == 127);
  CHECK(claude::exec_failure_exit_code(EACCES) == 126);
  CHECK(claude::exec_failure_exit_code(ENOEXEC) == 126);
  auto m = claude::exec_failure_message("nosuch", ENOENT);
  CHECK(m.find("'nosuch'") != std::string::npos);
  CHECK(m.find("not found on PATH") != std::string::npos);
  CHECK(claude::exec_failure_message("/bin/x", ENOENT).find("no such file") != std::string::npos);
  CHECK(claude::exec_failure_message("/etc/passwd", EACCES).find("chmod +x") != std::string::npos);
}
