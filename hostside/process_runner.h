// Running other programs (docker, security, notify-send, osascript) behind an interface,
// so that the logic that drives them is tested with a fake that records the calls.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/result.h"

namespace claude::host {

struct ProcessResult {
  int exit_code = 0;   // the exit status, or 128+N when killed by signal N
  std::string out;     // captured stdout
  std::string err;     // captured stderr
};

class ProcessRunner {
 public:
  virtual ~ProcessRunner() = default;
  // Runs argv (argv[0] looked up on PATH) with `input` on its stdin, capturing stdout and
  // stderr, and waits. An Error only when it could not be started (127: not found).
  virtual Result<ProcessResult> capture(const std::vector<std::string>& argv, const std::string& input = {}) = 0;
  // Runs argv with this process's stdin/stdout/stderr (a terminal stays a terminal) and
  // waits; returns the exit status (128+N for a signal).
  virtual Result<int> interactive(const std::vector<std::string>& argv) = 0;
  // True when `program` is found on PATH.
  virtual bool available(const std::string& program) = 0;
};

class SystemProcessRunner final : public ProcessRunner {
 public:
  Result<ProcessResult> capture(const std::vector<std::string>& argv, const std::string& input) override;
  Result<int> interactive(const std::vector<std::string>& argv) override;
  bool available(const std::string& program) override;
};

// Records every call and answers from a table keyed by argv[0].
class FakeProcessRunner final : public ProcessRunner {
 public:
  std::map<std::string, ProcessResult> answers;  // by argv[0]; missing => exit 127
  std::vector<std::vector<std::string>> calls;
  std::vector<std::string> inputs;
  Result<ProcessResult> capture(const std::vector<std::string>& argv, const std::string& input) override;
  Result<int> interactive(const std::vector<std::string>& argv) override;
  bool available(const std::string& program) override { return answers.count(program) > 0; }
};

}  // namespace claude::host
