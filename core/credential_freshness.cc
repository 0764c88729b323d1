#include "core/credential_freshness.h"

#include <limits>
#include <nlohmann/json.hpp>

#include "core/sha256.h"

namespace claude {

CredentialInfo describe_credentials(std::string_view json_text) {
  CredentialInfo info;
  info.fingerprint = sha256_hex(json_text).substr(0, 12);
  auto j = nlohmann::json::parse(json_text.begin(), json_text.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return info;
  info.parsed = true;
  auto oauth = j.find("claudeAiOauth");
  if (oauth == j.end() || !oauth->is_object()) return info;
  auto non_empty = [&](const char* key) {
    auto v = oauth->find(key);
    return v != oauth->end() && v->is_string() && !v->get_ref<const std::string&>().empty();
  };
  info.has_access_token = non_empty("accessToken");
  info.has_refresh_token = non_empty("refreshToken");
  auto e = oauth->find("expiresAt");
  if (e != oauth->end() && e->is_number_integer())
    info.expires_at_ms = e->get<std::int64_t>();
  else if (e != oauth->end() && e->is_number_float())
    info.expires_at_ms = static_cast<std::int64_t>(e->get<double>());
  return info;
}

bool is_newer(const CredentialInfo& a, std::int64_t a_written_ns, const CredentialInfo& b,
              std::int64_t b_written_ns) {
  if (!a.parsed) return false;
  if (!b.parsed) return true;
  if (!a.fingerprint.empty() && a.fingerprint == b.fingerprint) return false;
  constexpr std::int64_t kNone = std::numeric_limits<std::int64_t>::min();
  std::int64_t ea = a.expires_at_ms.value_or(kNone), eb = b.expires_at_ms.value_or(kNone);
  if (ea != eb) return ea > eb;
  return a_written_ns > b_written_ns;
}

std::string implausible_container_login(const CredentialInfo& info, std::int64_t now_ms) {
  if (!info.parsed) return "not a JSON object";
  if (!info.has_access_token || !info.has_refresh_token)
    return "not a login (no access or refresh token)";
  if (!info.expires_at_ms) return "no expiresAt";
  if (*info.expires_at_ms - now_ms > kMaxExpiresAheadMs)
    return "its expiresAt is " + std::to_string((*info.expires_at_ms - now_ms) / 3'600'000) +
           " h ahead, more than a refresh gives (at most " +
           std::to_string(kMaxExpiresAheadMs / 3'600'000) + " h)";
  return "";
}

}  // namespace claude
