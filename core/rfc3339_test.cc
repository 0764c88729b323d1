#include "core/rfc3339.h"

#include <cstdio>
#include <ctime>

#include <catch2/catch.hpp>

namespace claude {
namespace {

// The same instant through the C library, as the formatter was written before it moved here.
std::string libc_rfc3339(std::int64_t ms, bool with_ms) {
  std::time_t s = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&s, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out = buf;
  if (with_ms) {
    std::snprintf(buf, sizeof buf, ".%03d", static_cast<int>(ms % 1000));
    out += buf;
  }
  return out + "Z";
}

}  // namespace

TEST_CASE("rfc3339_utc spells a time in milliseconds as RFC 3339 UTC", "[rfc3339]") {
  CHECK(rfc3339_utc(0) == "1970-01-01T00:00:00Z");
  CHECK(rfc3339_utc(0, true) == "1970-01-01T00:00:00.000Z");
  CHECK(rfc3339_utc(1764979200123) == "2025-12-06T00:00:00Z");
  CHECK(rfc3339_utc(1764979200123, true) == "2025-12-06T00:00:00.123Z");
  CHECK(rfc3339_utc(951868799999, true) == "2000-02-29T23:59:59.999Z");  // a leap day of a 400-year
  CHECK(rfc3339_utc(4102444799999, true) == "2099-12-31T23:59:59.999Z");
}

TEST_CASE("rfc3339_utc agrees with the C library over two centuries", "[rfc3339]") {
  // A prime step, so that every hour, day of the month and millisecond digit comes up.
  for (std::int64_t ms = 0; ms < 7'258'118'400'000; ms += 1'234'567'891) {
    INFO(ms);
    REQUIRE(rfc3339_utc(ms) == libc_rfc3339(ms, false));
    REQUIRE(rfc3339_utc(ms, true) == libc_rfc3339(ms, true));
  }
}

}  // namespace claude
