// The command line of one claude-host subcommand: options are taken out by name as the
// command reads them, and whatever is left over at the end is an error (a typo never
// silently does nothing). Everything after "--" is kept apart, untouched.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/result.h"

namespace claude::host {

class CliArgs {
 public:
  explicit CliArgs(std::vector<std::string> args);

  // True when --name (or one of its aliases) was given; takes it out.
  bool flag(const std::string& name, const std::string& alias = "");
  // The value of "--name VALUE" or "--name=VALUE" (the last one when repeated); an Error
  // when the option is last with no value.
  Result<std::optional<std::string>> value(const std::string& name);
  // Every value of a repeatable option, in order.
  Result<std::vector<std::string>> values(const std::string& name);
  // The next positional argument (not starting with '-'), taken out; nullopt when none.
  std::optional<std::string> positional();
  // After "--".
  const std::vector<std::string>& rest() const { return rest_; }
  // Ok when every argument was used; otherwise an Error naming the first unknown one.
  Status finish(const std::string& command) const;

 private:
  std::vector<std::string> args_;
  std::vector<std::string> rest_;
};

}  // namespace claude::host
