// A one-line progress bar on stderr for long copies, drawn only on a terminal and only
// when the work is big enough to be worth watching.
#pragma once

#include <cstdint>
#include <string>

namespace claude::host {

class ProgressBar {
 public:
  // enabled: stderr is a terminal and --json was not asked for. total_bytes: the work.
  ProgressBar(std::string label, std::uint64_t total_bytes, bool enabled);
  ~ProgressBar();  // ends the line if anything was drawn
  void advance(std::uint64_t bytes);

  // Pure: "label [#####.....]  50%  12.0/24.0 MiB" for width 10.
  static std::string render(const std::string& label, std::uint64_t done, std::uint64_t total, int width);

 private:
  std::string label_;
  std::uint64_t total_, done_ = 0;
  bool enabled_;
  bool drawn_ = false;
  int last_percent_ = -1;
};

}  // namespace claude::host
