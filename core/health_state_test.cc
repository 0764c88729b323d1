#include "core/health_state.h"

#include <catch2/catch.hpp>

using claude::HealthLevel;
using claude::HealthState;

TEST_CASE("with no component set, or all ok, the run is healthy") {
  HealthState s;
  CHECK(s.overall().level == HealthLevel::kOk);
  CHECK(s.overall().reason == "ok");
  s.set("child", HealthLevel::kOk, "ignored when ok");
  CHECK(s.overall().level == HealthLevel::kOk);
  CHECK(s.components().at("child").reason.empty());
}

TEST_CASE("overall health is the worst component, with its reason") {
  HealthState s;
  s.set("child", HealthLevel::kOk);
  s.set("sync", HealthLevel::kDegraded, "outbox slow");
  CHECK(s.overall().level == HealthLevel::kDegraded);
  CHECK(s.overall().reason == "sync: outbox slow");
  s.set("probe", HealthLevel::kUnhealthy, "exit 1");
  CHECK(s.overall().level == HealthLevel::kUnhealthy);
  CHECK(s.overall().reason == "probe: exit 1");
  s.set("probe", HealthLevel::kOk);
  CHECK(s.overall().reason == "sync: outbox slow");
}

TEST_CASE("ties go to the first component by name") {
  HealthState s;
  s.set("zeta", HealthLevel::kUnhealthy, "z");
  s.set("alpha", HealthLevel::kUnhealthy, "a");
  CHECK(s.overall().reason == "alpha: a");
}

TEST_CASE("readiness is separate from health") {
  HealthState s;
  CHECK_FALSE(s.ready());
  CHECK(s.not_ready_reason() == "starting");
  s.set("seed", HealthLevel::kUnhealthy, "corrupt stage");
  s.set_ready(true);
  CHECK(s.ready());
  CHECK(s.overall().level == HealthLevel::kUnhealthy);
  s.set_ready(false, "stopping");
  auto j = s.to_json();
  CHECK(j["ready"] == false);
  CHECK(j["ready_reason"] == "stopping");
  CHECK(j["status"] == "unhealthy");
  CHECK(j["components"]["seed"]["reason"] == "corrupt stage");
}

TEST_CASE("probe failures make the run unhealthy after N in a row, a success resets") {
  claude::ProbeStreak streak(3);
  CHECK(streak.record(false, "exit 1").level == HealthLevel::kDegraded);
  CHECK(streak.record(false, "exit 1").level == HealthLevel::kDegraded);
  auto third = streak.record(false, "timed out after 1s");
  CHECK(third.level == HealthLevel::kUnhealthy);
  CHECK(third.reason.find("timed out after 1s (3 consecutive failures") == 0);
  CHECK(streak.record(true, "").level == HealthLevel::kOk);
  CHECK(streak.consecutive_failures() == 0);
  CHECK(streak.record(false, "x").level == HealthLevel::kDegraded);
  CHECK(claude::ProbeStreak(1).record(false, "x").level == HealthLevel::kUnhealthy);
}
