// The init's exit code from how its child ended (tini's rules): the child's code, 128+N
// for death by signal N, 126 when the command could not be executed, 127 when it was not
// found; codes listed with -e become 0. Pure: the adapter decodes the wait status.
#pragma once

#include <string>
#include <vector>

namespace claude {

// How the child ended, decoded from a wait status by the caller.
struct ChildEnd {
  bool exited = false;  // true: exit code in `code`; false: killed by `signal`
  int code = 0;
  int signal = 0;
};

// 126/127 are reserved for "could not run the command" as in POSIX shells.
inline constexpr int kExitNotExecutable = 126;
inline constexpr int kExitNotFound = 127;

// The raw code: `code` when it exited, 128 + signal when killed (before -e remapping).
int child_exit_code(const ChildEnd& end);

// The code the init exits with: child_exit_code(), or 0 when it is in `zero_codes`.
int init_exit_code(const ChildEnd& end, const std::vector<int>& zero_codes);

// The code for an exec() that failed with `err`: 127 when the file does not exist
// (ENOENT, ENOTDIR), 126 otherwise (EACCES, ENOEXEC, ...).
int exec_failure_exit_code(int err);

// "claude-init: cannot run 'cmd': not found on PATH (No such file or directory) —
// install it or pass the full path", one line; `err` as for exec_failure_exit_code.
std::string exec_failure_message(const std::string& command, int err);

}  // namespace claude
