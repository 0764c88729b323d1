#include "hostside/alerter.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

using namespace claude::host;
namespace fs = std::filesystem;

namespace {

struct RecordingHttp : HttpClient {
  std::vector<int> statuses;  // answers in order; the last repeats
  std::vector<std::string> bodies;
  claude::Result<int> post_json(const std::string&, const std::string& body, int) override {
    bodies.push_back(body);
    int s = statuses.empty() ? 200 : statuses.front();
    if (statuses.size() > 1) statuses.erase(statuses.begin());
    return s;
  }
};

HostLayout temp_layout() {
  HostLayout l;
  l.home = (fs::temp_directory_path() / ("alerter_test." + std::to_string(::getpid()))).string();
  l.state_dir = l.home + "/.claude-docker";
  fs::remove_all(l.home);
  fs::create_directories(l.home);
  return l;
}

}  // namespace

TEST_CASE("a webhook that fails is retried, a 4xx is not", "[alerter]") {
  auto layout = temp_layout();
  HostConfig config;
  config.webhook_url = "http://127.0.0.1:9/x";
  config.desktop_notifications = false;
  RecordingHttp http;
  http.statuses = {500, 503, 200};
  FakeProcessRunner runner;
  FakeClock clock(1'700'000'000'000);
  Alerter alerter(layout, config, http, runner, clock);
  alerter.retry_backoff_ms = 1;
  auto out = alerter.send(Alert{"a", "critical", "t", "x", "r", "tr"});
  CHECK(out.decision == "sent");
  CHECK(out.channels == std::vector<std::string>{"webhook"});
  CHECK(http.bodies.size() == 3);
  http.statuses = {404};
  http.bodies.clear();
  clock.advance_ms(16 * 60 * 1000);
  auto failed = alerter.send(Alert{"a", "critical", "t", "x", "r", "tr"});
  CHECK(http.bodies.size() == 1);
  CHECK(failed.errors.size() == 1);
  fs::remove_all(layout.home);
}

TEST_CASE("the throttle state persists across alerters (processes)", "[alerter]") {
  auto layout = temp_layout();
  HostConfig config;
  config.desktop_notifications = true;
  RecordingHttp http;
  FakeProcessRunner runner;
  runner.answers["notify-send"] = ProcessResult{0, "", ""};
  FakeClock clock(1'700'000'000'000);
  {
    Alerter first(layout, config, http, runner, clock);
    CHECK(first.send(Alert{"k", "warning", "t", "x", "", ""}).channels == std::vector<std::string>{"notify-send"});
  }
  clock.advance_ms(60 * 1000);
  Alerter second(layout, config, http, runner, clock);
  CHECK(second.send(Alert{"k", "warning", "t", "x", "", ""}).decision.rfind("suppressed", 0) == 0);
  clock.advance_ms(15 * 60 * 1000);
  CHECK(second.send(Alert{"k", "warning", "t", "x", "", ""}).decision == "sent");
  CHECK(runner.calls.size() == 2);
  fs::remove_all(layout.home);
}
