#include "core/change_coalescer.h"

#include <catch2/catch.hpp>

using claude::ChangeCoalescer;
using claude::CoalescerConfig;
using claude::SyncClock;
using claude::Urgency;
using std::chrono::milliseconds;

namespace {
const SyncClock::time_point t0{};
std::vector<std::string> paths(const std::vector<ChangeCoalescer::Taken>& taken) {
  std::vector<std::string> out;
  for (const auto& t : taken) out.push_back(t.path);
  return out;
}
}  // namespace

TEST_CASE("many hints for one path coalesce into one pending entry") {
  ChangeCoalescer c(CoalescerConfig{milliseconds(10), milliseconds(100)});
  for (int i = 0; i < 50; ++i) c.note("a.json", Urgency::kSettle, t0 + milliseconds(i % 3));
  CHECK(c.size() == 1);
  CHECK(paths(c.take_due(t0 + milliseconds(20))) == std::vector<std::string>{"a.json"});
  CHECK(c.empty());
}

TEST_CASE("a path written and then closed is due at once") {
  ChangeCoalescer c(CoalescerConfig{milliseconds(10), milliseconds(100)});
  c.note("a.json", Urgency::kSettle, t0);
  CHECK(c.take_due(t0 + milliseconds(5)).empty());
  c.note("a.json", Urgency::kNow, t0 + milliseconds(5));
  CHECK(*c.next_due() == t0 + milliseconds(5));
  CHECK(paths(c.take_due(t0 + milliseconds(5))) == std::vector<std::string>{"a.json"});
}

TEST_CASE("a path being written waits for the settle time after the last write") {
  ChangeCoalescer c(CoalescerConfig{milliseconds(10), milliseconds(100)});
  c.note("f", Urgency::kSettle, t0);
  c.note("f", Urgency::kSettle, t0 + milliseconds(8));
  CHECK(*c.next_due() == t0 + milliseconds(18));
  CHECK(c.take_due(t0 + milliseconds(17)).empty());
  CHECK(c.take_due(t0 + milliseconds(18)).size() == 1);
}

TEST_CASE("a continuously written file is still due at the hard cap") {
  ChangeCoalescer c(CoalescerConfig{milliseconds(10), milliseconds(100)});
  SyncClock::time_point now = t0;
  std::vector<SyncClock::time_point> taken_at;
  // A write every 5 ms for a second: never 10 ms of quiet.
  for (int i = 0; i < 200; ++i, now += milliseconds(5)) {
    c.note("busy.bin", Urgency::kSettle, now);
    if (!c.take_due(now).empty()) taken_at.push_back(now);
  }
  REQUIRE(taken_at.size() >= 9);
  CHECK(taken_at.front() == t0 + milliseconds(100));
  for (size_t i = 1; i < taken_at.size(); ++i) CHECK(taken_at[i] - taken_at[i - 1] <= milliseconds(105));
}

TEST_CASE("the first-seen time survives coalescing so lag counts from the first change") {
  ChangeCoalescer c;
  c.note("x", Urgency::kSettle, t0 + milliseconds(1));
  c.note("x", Urgency::kNow, t0 + milliseconds(7));
  CHECK(*c.oldest_first_seen() == t0 + milliseconds(1));
  auto taken = c.take_due(t0 + milliseconds(7));
  REQUIRE(taken.size() == 1);
  CHECK(taken[0].first_seen == t0 + milliseconds(1));
}

TEST_CASE("nothing pending means no due time, so the caller arms no timer") {
  ChangeCoalescer c;
  CHECK_FALSE(c.next_due().has_value());
  CHECK_FALSE(c.oldest_first_seen().has_value());
  c.note("x", Urgency::kNow, t0);
  (void)c.take_all();
  CHECK_FALSE(c.next_due().has_value());
}

TEST_CASE("take_due honours the limit and returns the earliest due first") {
  ChangeCoalescer c(CoalescerConfig{milliseconds(10), milliseconds(100)});
  c.note("late", Urgency::kSettle, t0);
  c.note("early", Urgency::kNow, t0 + milliseconds(2));
  c.note("middle", Urgency::kNow, t0 + milliseconds(4));
  CHECK(paths(c.take_due(t0 + milliseconds(50), 2)) == std::vector<std::string>{"early", "middle"});
  CHECK(paths(c.take_due(t0 + milliseconds(50))) == std::vector<std::string>{"late"});
}

TEST_CASE("a retry is due at its backoff time and keeps the original first-seen time") {
  ChangeCoalescer c;
  c.retry_at("cred", t0 + milliseconds(400), t0);
  CHECK(c.take_due(t0 + milliseconds(399)).empty());
  auto taken = c.take_due(t0 + milliseconds(400));
  REQUIRE(taken.size() == 1);
  CHECK(taken[0].first_seen == t0);
  // A new change of a path waiting for its retry makes it due at once.
  c.retry_at("cred", t0 + milliseconds(800), t0);
  c.note("cred", Urgency::kNow, t0 + milliseconds(450));
  CHECK(*c.next_due() == t0 + milliseconds(450));
}

TEST_CASE("a flush takes everything pending, settled or not") {
  ChangeCoalescer c;
  c.note("a", Urgency::kSettle, t0);
  c.note("b", Urgency::kNow, t0);
  c.retry_at("c", t0 + std::chrono::seconds(5), t0);
  CHECK(c.take_all().size() == 3);
  CHECK(c.empty());
}
