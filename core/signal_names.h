// Linux signal names and numbers, both ways, without strsignal() or sigabbrev_np(): the
// same names everywhere (options, logs, reports). Pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace claude {

// Signal number for "TERM", "SIGTERM", "term" or "15"; nullopt when unknown.
std::optional<int> signal_from_name(std::string_view name);
// "SIGTERM" for 15; "SIG<n>" for a number without a name.
std::string signal_name(int signal);

}  // namespace claude
