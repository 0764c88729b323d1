#include "core/exit_status.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace claude {

int child_exit_code(const ChildEnd& end) {
  if (end.exited) return end.code & 0xff;
  return 128 + end.signal;
}

int init_exit_code(const ChildEnd& end, const std::vector<int>& zero_codes) {
  int code = child_exit_code(end);
  if (std::find(zero_codes.begin(), zero_codes.end(), code) != zero_codes.end()) return 0;
  return code;
}

int exec_failure_exit_code(int err) {
  return (err == ENOENT || err == ENOTDIR) ? kExitNotFound : kExitNotExecutable;
}

std::string exec_failure_message(const std::string& command, int err) {
  std::string what;
  std::string fix;
  const bool has_slash = command.find('/') != std::string::npos;
  if (exec_failure_exit_code(err) == kExitNotFound) {
    what = has_slash ? "no such file" : "not found on PATH";
    fix = has_slash ? "check the path" : "install it in the image or pass its full path";
  } else if (err == EACCES) {
    what = "permission denied";
    fix = "make it executable (chmod +x) and check the mount is not noexec";
  } else if (err == ENOEXEC) {
    what = "not an executable format";
    fix = "add a #! line or run it through its interpreter";
  } else {
    what = "exec failed";
    fix = "check the command";
  }
  return "cannot run '" + command + "': " + what + " (" + std::strerror(err) + ") — " + fix;
}

}  // namespace claude
