#include "hostside/cli_args.h"

namespace claude::host {

CliArgs::CliArgs(std::vector<std::string> args) {
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--") {
      rest_.assign(args.begin() + static_cast<long>(i) + 1, args.end());
      break;
    }
    args_.push_back(args[i]);
  }
}

bool CliArgs::flag(const std::string& name, const std::string& alias) {
  bool found = false;
  for (auto it = args_.begin(); it != args_.end();) {
    if (*it == name || (!alias.empty() && *it == alias)) {
      it = args_.erase(it);
      found = true;
    } else {
      ++it;
    }
  }
  return found;
}

Result<std::vector<std::string>> CliArgs::values(const std::string& name) {
  std::vector<std::string> out;
  for (size_t i = 0; i < args_.size();) {
    if (args_[i] == name) {
      if (i + 1 >= args_.size())
        return Error{"read the option", "", 0, name + " needs a value", "see --help"};
      out.push_back(args_[i + 1]);
      args_.erase(args_.begin() + static_cast<long>(i), args_.begin() + static_cast<long>(i) + 2);
    } else if (args_[i].starts_with(name + "=")) {
      out.push_back(args_[i].substr(name.size() + 1));
      args_.erase(args_.begin() + static_cast<long>(i));
    } else {
      ++i;
    }
  }
  return out;
}

Result<std::optional<std::string>> CliArgs::value(const std::string& name) {
  auto all = values(name);
  if (!all.ok()) return all.error();
  if (all->empty()) return std::optional<std::string>();
  return std::optional<std::string>(all->back());
}

std::optional<std::string> CliArgs::positional() {
  for (auto it = args_.begin(); it != args_.end(); ++it) {
    if (!it->empty() && (*it)[0] != '-') {
      std::string v = *it;
      args_.erase(it);
      return v;
    }
  }
  return std::nullopt;
}

Status CliArgs::finish(const std::string& command) const {
  if (args_.empty()) return Ok{};
  return Error{"read the command line of", command, 0, "unknown argument '" + args_.front() + "'",
               "run `claude-host " + command + " --help`"};
}

}  // namespace claude::host
