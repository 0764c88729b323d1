// RFC 3339 UTC timestamps, the one spelling of time in every file the two binaries write
// (journal records, reports, manifests, run state, host logs). A pure formatter: the
// caller reads its clock (real or fake) and hands the time in.
#pragma once

#include <cstdint>
#include <string>

namespace claude {

// "2026-11-22T01:02:03Z", or "2026-11-22T01:02:03.123Z" when with_ms, for a time in
// milliseconds since the Unix epoch (UTC; times before 1970 round down to the second).
std::string rfc3339_utc(std::int64_t ms, bool with_ms = false);

}  // namespace claude
