// The wall clock behind an interface, so that alert throttling, backup ages and run ids
// are tested with a clock the test sets.
#pragma once

#include <cstdint>
#include <string>

// rfc3339_utc, the formatter for the times these clocks give.
#include "core/rfc3339.h"

namespace claude::host {

class Clock {
 public:
  virtual ~Clock() = default;
  // Seconds since the Unix epoch.
  virtual std::int64_t now_s() const = 0;
  // Milliseconds since the Unix epoch.
  virtual std::int64_t now_ms() const = 0;
};

class SystemClock final : public Clock {
 public:
  std::int64_t now_s() const override;
  std::int64_t now_ms() const override;
};

// A clock the test moves by hand.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(std::int64_t now_ms) : now_ms_(now_ms) {}
  std::int64_t now_s() const override { return now_ms_ / 1000; }
  std::int64_t now_ms() const override { return now_ms_; }
  void advance_ms(std::int64_t ms) { now_ms_ += ms; }

 private:
  std::int64_t now_ms_;
};

// Parses "2026-11-22T01:02:03Z", "2026-11-22T01:02:03.5Z", "2026-11-22 01:02" or
// "2026-11-22" (UTC) into seconds since the epoch; -1 when it is none of these.
std::int64_t parse_time_utc(const std::string& text);

}  // namespace claude::host
