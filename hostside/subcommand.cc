#include "hostside/subcommand.h"

#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "hostside/commands.h"

namespace claude::host {

int report_error(const std::string& command, const Error& error, bool json, int status) {
  if (json) {
    nlohmann::json j = {{"error", {{"command", command}, {"operation", error.operation}, {"path", error.path},
                                   {"errno", error.sys_errno}, {"message", error.message()}, {"fix", error.fix}}}};
    std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
  } else {
    std::fprintf(stderr, "claude-host %s: %s\n", command.c_str(), error.message().c_str());
  }
  return status;
}

Subcommand::Subcommand(std::string name, std::vector<std::string> argv)
    : name_(std::move(name)), args_(std::move(argv)) {}

bool Subcommand::help(std::string_view text, std::string_view more) {
  if (!args_.flag("--help", "-h")) return false;
  // An empty view may hold a null pointer, which fwrite must not be given.
  for (std::string_view part : {text, more})
    if (!part.empty()) std::fwrite(part.data(), 1, part.size(), stdout);
  return true;
}

bool Subcommand::json_flag() {
  json_ = args_.flag("--json");
  return json_;
}

std::optional<std::string> Subcommand::value(const std::string& name) {
  auto v = args_.value(name);
  if (v.ok()) return *v;
  if (!error_) error_ = v.error();
  return std::nullopt;
}

std::optional<int> Subcommand::finish() {
  if (error_) return fail(*error_, 2);
  if (Status s = args_.finish(name_); !s.ok()) return fail(s.error(), 2);
  return std::nullopt;
}

int Subcommand::fail(const Error& error, int status) const { return report_error(name_, error, json_, status); }

}  // namespace claude::host
