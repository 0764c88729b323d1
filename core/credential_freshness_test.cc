#include "core/credential_freshness.h"

#include <string>

#include <catch2/catch.hpp>

using claude::CredentialInfo;
using claude::describe_credentials;
using claude::is_newer;

namespace {

std::string creds(const std::string& access, long long expires, const std::string& refresh = "rt-1") {
  return R"({"claudeAiOauth":{"accessToken":")" + access + R"(","refreshToken":")" + refresh +
         R"(","expiresAt":)" + std::to_string(expires) + R"(,"scopes":["user:inference"]}})";
}

}  // namespace

TEST_CASE("describe_credentials reads the login's shape and never a token", "[credential_freshness]") {
  std::string text = creds("sk-ant-oat01-SECRETACCESS", 1'900'000'000'000);
  CredentialInfo info = describe_credentials(text);
  CHECK(info.parsed);
  CHECK(info.has_access_token);
  CHECK(info.has_refresh_token);
  REQUIRE(info.expires_at_ms);
  CHECK(*info.expires_at_ms == 1'900'000'000'000);
  CHECK(info.fingerprint.size() == 12);
  CHECK(info.fingerprint.find("SECRET") == std::string::npos);
  CHECK(describe_credentials(text).fingerprint == info.fingerprint);
  CHECK(describe_credentials(text + " ").fingerprint != info.fingerprint);

  CredentialInfo no_refresh = describe_credentials(R"({"claudeAiOauth":{"accessToken":"a","refreshToken":""}})");
  CHECK(no_refresh.parsed);
  CHECK(no_refresh.has_access_token);
  CHECK_FALSE(no_refresh.has_refresh_token);
  CHECK_FALSE(no_refresh.expires_at_ms);

  CredentialInfo bad = describe_credentials("{\"claudeAiOauth\": ");
  CHECK_FALSE(bad.parsed);
  CHECK_FALSE(bad.has_access_token);
  CHECK(bad.fingerprint.size() == 12);
  CHECK_FALSE(describe_credentials("[1,2]").parsed);
  CHECK_FALSE(describe_credentials(R"({"other":1})").has_access_token);
  CHECK(describe_credentials(R"({"other":1})").parsed);
}

TEST_CASE("is_newer: the later expiresAt wins, then the later write", "[credential_freshness]") {
  CredentialInfo older = describe_credentials(creds("a1", 1000));
  CredentialInfo newer = describe_credentials(creds("a2", 2000));
  // expiresAt decides, whatever the write times say.
  CHECK(is_newer(newer, 1, older, 999));
  CHECK_FALSE(is_newer(older, 999, newer, 1));
  // Equal expiresAt: the later write wins.
  CredentialInfo same_expiry = describe_credentials(creds("a3", 2000));
  CHECK(is_newer(same_expiry, 20, newer, 10));
  CHECK_FALSE(is_newer(same_expiry, 10, newer, 20));
  CHECK_FALSE(is_newer(same_expiry, 10, newer, 10));
  // Identical bytes are never newer, even written later.
  CredentialInfo copy = describe_credentials(creds("a2", 2000));
  CHECK_FALSE(is_newer(copy, 50, newer, 10));
  CHECK_FALSE(is_newer(newer, 10, copy, 50));
}

TEST_CASE("is_newer: unparseable and absent lose to anything parseable", "[credential_freshness]") {
  CredentialInfo good = describe_credentials(creds("a", 1000));
  CredentialInfo broken = describe_credentials("not json");
  CredentialInfo absent;
  CHECK(is_newer(good, 0, broken, 100));
  CHECK_FALSE(is_newer(broken, 100, good, 0));
  CHECK(is_newer(good, 0, absent, 0));
  CHECK_FALSE(is_newer(absent, 0, good, 0));
  CHECK_FALSE(is_newer(broken, 10, absent, 0));
  CHECK_FALSE(is_newer(broken, 10, describe_credentials("also not json"), 0));
  // A login without expiresAt loses to one with it.
  CredentialInfo no_expiry = describe_credentials(R"({"claudeAiOauth":{"accessToken":"x"}})");
  CHECK(is_newer(good, 0, no_expiry, 100));
  CHECK_FALSE(is_newer(no_expiry, 100, good, 0));
}

TEST_CASE("a container's copy takes part only as a login a refresh could have written", "[credential_freshness]") {
  const std::int64_t now = 1'800'000'000'000;
  CHECK(claude::implausible_container_login(describe_credentials(creds("a", now + 8 * 3'600'000)), now).empty());
  CHECK(claude::implausible_container_login(describe_credentials(creds("a", now - 1000)), now).empty());  // expired: fine
  CHECK(claude::implausible_container_login(describe_credentials(creds("a", now + claude::kMaxExpiresAheadMs)), now).empty());
  // Planted: an expiresAt far ahead would win over every later login of the user.
  std::string far = claude::implausible_container_login(describe_credentials(creds("a", now + 30LL * 24 * 3'600'000)), now);
  CHECK_THAT(far, Catch::Contains("720 h ahead"));
  CHECK_FALSE(claude::implausible_container_login(describe_credentials(creds("a", now + claude::kMaxExpiresAheadMs + 1)), now).empty());
  CHECK_FALSE(claude::implausible_container_login(describe_credentials(R"({"claudeAiOauth":{"accessToken":"x","expiresAt":1}})"), now).empty());
  CHECK_FALSE(claude::implausible_container_login(describe_credentials(R"({"claudeAiOauth":{"accessToken":"x","refreshToken":"y"}})"), now).empty());
  CHECK_FALSE(claude::implausible_container_login(describe_credentials("[1]"), now).empty());
}
