#include "hostside/progress_bar.h"

#include <cstdio>

namespace claude::host {

namespace {
constexpr std::uint64_t kWorthShowing = 32ull << 20;  // below this a copy is over before one can read it
}

ProgressBar::ProgressBar(std::string label, std::uint64_t total_bytes, bool enabled)
    : label_(std::move(label)), total_(total_bytes), enabled_(enabled && total_bytes >= kWorthShowing) {}

ProgressBar::~ProgressBar() {
  if (drawn_) std::fputs("\n", stderr);
}

std::string ProgressBar::render(const std::string& label, std::uint64_t done, std::uint64_t total, int width) {
  if (total == 0) total = 1;
  if (done > total) done = total;
  int filled = static_cast<int>(done * static_cast<std::uint64_t>(width) / total);
  std::string bar(static_cast<size_t>(filled), '#');
  bar += std::string(static_cast<size_t>(width - filled), '.');
  char buf[128];
  std::snprintf(buf, sizeof buf, " %3d%%  %.1f/%.1f MiB", static_cast<int>(done * 100 / total),
                static_cast<double>(done) / (1 << 20), static_cast<double>(total) / (1 << 20));
  return label + " [" + bar + "]" + buf;
}

void ProgressBar::advance(std::uint64_t bytes) {
  done_ += bytes;
  if (!enabled_) return;
  int percent = static_cast<int>(done_ * 100 / (total_ ? total_ : 1));
  if (percent == last_percent_) return;
  last_percent_ = percent;
  std::fprintf(stderr, "\r%s", render(label_, done_, total_, 30).c_str());
  std::fflush(stderr);
  drawn_ = true;
}

}  // namespace claude::host
