#include "core/result.h"

#include <cstring>

namespace claude {

std::string Error::message() const {
  std::string m = operation;
  if (!path.empty()) m += " '" + path + "'";
  if (!detail.empty()) m += ": " + detail;
  if (sys_errno != 0) m += std::string(detail.empty() ? ": " : " (") + std::strerror(sys_errno) + (detail.empty() ? "" : ")");
  if (!fix.empty()) m += " — " + fix;
  return m;
}

}  // namespace claude
