#include "core/alert_throttle.h"

#include <catch2/catch.hpp>

using claude::AlertThrottle;
using claude::ThrottleDecision;

TEST_CASE("the same alert goes out at most once per 15 minutes", "[alert_throttle]") {
  AlertThrottle t;
  const std::int64_t t0 = 1'700'000'000;
  CHECK(t.admit("readback-failed", t0) == ThrottleDecision::kSend);
  CHECK(t.admit("readback-failed", t0 + 1) == ThrottleDecision::kSuppressedSame);
  CHECK(t.admit("readback-failed", t0 + 15 * 60 - 1) == ThrottleDecision::kSuppressedSame);
  CHECK(t.admit("readback-failed", t0 + 15 * 60) == ThrottleDecision::kSend);
}

TEST_CASE("different alerts are not held back by each other", "[alert_throttle]") {
  AlertThrottle t;
  CHECK(t.admit("a", 100) == ThrottleDecision::kSend);
  CHECK(t.admit("b", 100) == ThrottleDecision::kSend);
  CHECK(t.admit("a", 101) == ThrottleDecision::kSuppressedSame);
}

TEST_CASE("at most 10 alerts go out per hour", "[alert_throttle]") {
  AlertThrottle t;
  const std::int64_t t0 = 5000;
  for (int i = 0; i < 10; ++i) CHECK(t.admit("k" + std::to_string(i), t0 + i) == ThrottleDecision::kSend);
  CHECK(t.admit("k10", t0 + 10) == ThrottleDecision::kSuppressedRate);
  CHECK(t.admit("k10", t0 + 3599) == ThrottleDecision::kSuppressedRate);
  // The first send leaves the window one hour after it went out.
  CHECK(t.admit("k10", t0 + 3600) == ThrottleDecision::kSend);
  CHECK(t.admit("k11", t0 + 3600) == ThrottleDecision::kSuppressedRate);
}

TEST_CASE("suppressed alerts do not count against the hourly limit", "[alert_throttle]") {
  AlertThrottle t;
  for (int i = 0; i < 50; ++i) (void)t.admit("same", 10 + i);
  for (int i = 0; i < 9; ++i) CHECK(t.admit("other" + std::to_string(i), 100) == ThrottleDecision::kSend);
  CHECK(t.admit("one-more", 100) == ThrottleDecision::kSuppressedRate);
}

TEST_CASE("throttle state survives a round trip through JSON", "[alert_throttle]") {
  AlertThrottle t;
  REQUIRE(t.admit("x", 1000) == ThrottleDecision::kSend);
  auto restored = AlertThrottle::from_json(t.to_json());
  REQUIRE(restored.ok());
  CHECK(restored->admit("x", 1001) == ThrottleDecision::kSuppressedSame);
  CHECK(restored->admit("x", 1000 + 900) == ThrottleDecision::kSend);
}

TEST_CASE("a clock that went backwards does not release a burst", "[alert_throttle]") {
  AlertThrottle t;
  REQUIRE(t.admit("x", 10'000) == ThrottleDecision::kSend);
  CHECK(t.admit("x", 9'000) == ThrottleDecision::kSuppressedSame);
}

TEST_CASE("broken throttle state is refused with a fix", "[alert_throttle]") {
  auto r = AlertThrottle::from_json(nlohmann::json::parse(R"({"format":"claude-alert-throttle/1","last_sent":[],"sent":[]})"));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().fix.find("delete") != std::string::npos);
  CHECK_FALSE(AlertThrottle::from_json(nlohmann::json::parse(R"({"format":"other/1"})")).ok());
}
