#include "core/rfc3339.h"

#include <chrono>
#include <cstdio>

namespace claude {

std::string rfc3339_utc(std::int64_t ms, bool with_ms) {
  using namespace std::chrono;
  const sys_time<milliseconds> t{milliseconds{ms}};
  const sys_days day = floor<days>(t);
  const year_month_day ymd{day};
  const hh_mm_ss<milliseconds> hms{t - day};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  std::string out = buf;
  if (with_ms) {
    std::snprintf(buf, sizeof buf, ".%03d", static_cast<int>(hms.subseconds().count()));
    out += buf;
  }
  return out + "Z";
}

}  // namespace claude
