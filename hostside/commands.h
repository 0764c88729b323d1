// The subcommands of claude-host. Each takes its own arguments (after the subcommand's
// name), prints its result (human text, or JSON with --json) and returns the exit status.
#pragma once

#include <string>
#include <vector>

#include "hostside/host_context.h"

namespace claude::host {

int stage_command(HostContext& ctx, std::vector<std::string> args);
int run_command(HostContext& ctx, std::vector<std::string> args);
int readback_command(HostContext& ctx, std::vector<std::string> args);
int backup_command(HostContext& ctx, std::vector<std::string> args);
int restore_command(HostContext& ctx, std::vector<std::string> args);
int alerts_command(HostContext& ctx, std::vector<std::string> args);
int status_command(HostContext& ctx, std::vector<std::string> args);
int doctor_command(HostContext& ctx, std::vector<std::string> args);
int broker_command(HostContext& ctx, std::vector<std::string> args);

// Prints an Error for a person: "claude-host <command>: <message>" on stderr, or
// {"error":{...}} on stdout with --json. Returns `status`.
int report_error(const std::string& command, const Error& error, bool json, int status = 1);

}  // namespace claude::host
