#include "hostside/credential_store.h"

#include <catch2/catch.hpp>

using namespace claude::host;

TEST_CASE("expired, missing or broken credentials give a warning without the token", "[credentials]") {
  const std::int64_t now = 1'800'000'000'000;
  std::string expired = R"({"claudeAiOauth":{"accessToken":"sk-SECRET","refreshToken":"sk-R","expiresAt":1700000000000}})";
  std::string w = credentials_warning(expired, now);
  CHECK(w.find("expired at 2023-11-14T22:13:20Z") != std::string::npos);
  CHECK(w.find("refresh") != std::string::npos);
  CHECK(w.find("SECRET") == std::string::npos);
  CHECK(credentials_warning(R"({"claudeAiOauth":{"accessToken":"a","expiresAt":1700000000000}})", now).find("/login") !=
        std::string::npos);
  CHECK(credentials_warning(R"({"other":1})", now).find("no claudeAiOauth") != std::string::npos);
  CHECK(credentials_warning("{not json", now).find("not valid JSON") != std::string::npos);
  CHECK(credentials_warning(R"({"claudeAiOauth":{"accessToken":"a","expiresAt":1900000000000}})", now).empty());
}

TEST_CASE("the Keychain service gets the config folder's hash suffix", "[credentials]") {
  HostLayout plain;
  CHECK(keychain_service_name(plain) == "Claude Code-credentials");
  HostLayout custom;
  custom.custom_config_dir = true;
  custom.config_dir = "/tmp/cfg";
  // sha256("/tmp/cfg") starts with these 8 hex digits.
  CHECK(keychain_service_name(custom).size() == std::string("Claude Code-credentials-").size() + 8);
  CHECK(keychain_service_name(custom).rfind("Claude Code-credentials-", 0) == 0);
}

TEST_CASE("the Keychain store reads through security and writes through security -i", "[credentials]") {
  FakeProcessRunner runner;
  runner.answers["security"] = ProcessResult{0, "{\"claudeAiOauth\":{}}\n", ""};
  KeychainCredentialStore store(runner, "Claude Code-credentials", "al");
  auto got = store.read();
  REQUIRE(got.ok());
  CHECK(**got == "{\"claudeAiOauth\":{}}");
  CHECK(runner.calls[0] == std::vector<std::string>{"security", "find-generic-password", "-s", "Claude Code-credentials",
                                                    "-a", "al", "-w"});
  REQUIRE(store.write("TOKEN").ok());
  CHECK(runner.calls[1] == std::vector<std::string>{"security", "-i"});
  CHECK(runner.inputs[1].find("-X 544f4b454e") != std::string::npos);  // hex, never the plain secret
  CHECK(runner.inputs[1].find("TOKEN") == std::string::npos);
  runner.answers["security"] = ProcessResult{44, "", "not found"};
  auto none = store.read();
  REQUIRE(none.ok());
  CHECK_FALSE(none->has_value());
}

TEST_CASE("freshness says expired (when), within the hour (in how long) or valid until, and the refresh token",
          "[credentials]") {
  const std::int64_t now = 1'800'000'000'000;
  auto creds = [](std::int64_t expires, bool refresh) {
    return std::string(R"({"claudeAiOauth":{"accessToken":"sk-SECRET-A",)") +
           (refresh ? R"("refreshToken":"sk-SECRET-R",)" : "") + R"("expiresAt":)" + std::to_string(expires) + "}}";
  };
  auto expired = credentials_freshness(creds(now - 12 * 60'000, true), now);
  CHECK(expired.text.find("expired at 2027-01-15T07:48:00Z (12 min ago)") != std::string::npos);
  CHECK(expired.text.find("refresh token present") != std::string::npos);
  CHECK_FALSE(expired.problem);
  auto expired_dead = credentials_freshness(creds(now - 12 * 60'000, false), now);
  CHECK(expired_dead.problem);
  CHECK(expired_dead.text.find("no refresh token") != std::string::npos);
  CHECK(expired_dead.text.find("/login") != std::string::npos);
  auto soon = credentials_freshness(creds(now + 25 * 60'000, true), now);
  CHECK(soon.text.find("expires within the hour: in 25 min (at 2027-01-15T08:25:00Z)") != std::string::npos);
  auto valid = credentials_freshness(creds(now + (5 * 60 + 3) * 60'000, false), now);
  CHECK(valid.text.find("valid until 2027-01-15T13:03:00Z (in 5 h 3 min); no refresh token") != std::string::npos);
  CHECK_FALSE(valid.problem);
  CHECK(credentials_freshness("{oops", now).problem);
  for (const auto& f : {expired, expired_dead, soon, valid}) CHECK(f.text.find("SECRET") == std::string::npos);
}
