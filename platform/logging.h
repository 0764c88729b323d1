// Logging setup shared by claude-init and claude-host: spdlog to stderr, human-readable
// on a terminal, one JSON object per line otherwise (container logs are read by tools).
#pragma once

#include <string_view>

namespace claude {

enum class LogFormat { kAuto, kHuman, kJson };

// Installs the default logger. verbosity: 0 = info, 1 = debug, 2+ = trace; negative
// values quieten it (-1 = warnings only). `program` names the logger ("claude-init").
// kAuto picks kHuman when stderr is a terminal, kJson otherwise.
void setup_logging(std::string_view program, int verbosity, LogFormat format = LogFormat::kAuto);

}  // namespace claude
