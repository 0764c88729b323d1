#include "core/signal_names.h"

#include <csignal>

#include <charconv>

namespace claude {
namespace {

// <csignal> gives the numbers; the names are ours.
struct SignalName {
  const char* name;
  int number;
};
constexpr SignalName kSignals[] = {
    {"HUP", SIGHUP},     {"INT", SIGINT},       {"QUIT", SIGQUIT},   {"ILL", SIGILL},
    {"TRAP", SIGTRAP},   {"ABRT", SIGABRT},     {"BUS", SIGBUS},     {"FPE", SIGFPE},
    {"KILL", SIGKILL},   {"USR1", SIGUSR1},     {"SEGV", SIGSEGV},   {"USR2", SIGUSR2},
    {"PIPE", SIGPIPE},   {"ALRM", SIGALRM},     {"TERM", SIGTERM},   {"STKFLT", SIGSTKFLT},
    {"CHLD", SIGCHLD},   {"CONT", SIGCONT},     {"STOP", SIGSTOP},   {"TSTP", SIGTSTP},
    {"TTIN", SIGTTIN},   {"TTOU", SIGTTOU},     {"URG", SIGURG},     {"XCPU", SIGXCPU},
    {"XFSZ", SIGXFSZ},   {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF},   {"WINCH", SIGWINCH},
    {"IO", SIGIO},       {"PWR", SIGPWR},       {"SYS", SIGSYS},
};
// The kernel's highest signal number (SIGRTMAX on Linux); <csignal> only has it as a call.
constexpr int kMaxSignal = 64;

}  // namespace

std::optional<int> signal_from_name(std::string_view name) {
  if (name.empty()) return std::nullopt;
  if (name.front() >= '0' && name.front() <= '9') {
    int n = 0;
    auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), n);
    if (ec != std::errc() || end != name.data() + name.size() || n < 1 || n > kMaxSignal) return std::nullopt;
    return n;
  }
  std::string u(name);
  for (char& c : u) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  if (u.starts_with("SIG")) u.erase(0, 3);
  for (const auto& s : kSignals) {
    if (u == s.name) return s.number;
  }
  return std::nullopt;
}

std::string signal_name(int signal) {
  for (const auto& s : kSignals) {
    if (s.number == signal) return std::string("SIG") + s.name;
  }
  return "SIG" + std::to_string(signal);
}

}  // namespace claude
