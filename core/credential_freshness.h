// Which of two copies of Claude Code's .credentials.json is the newer login, the one rule
// every place that moves credentials follows (the host's broker, read-back, staging and
// claude-init's inbox). Pure: it reads JSON text and numbers, and never holds or returns
// a token.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace claude {

struct CredentialInfo {
  bool parsed = false;             // the text is a JSON object
  bool has_access_token = false;   // claudeAiOauth.accessToken is a non-empty string
  bool has_refresh_token = false;  // claudeAiOauth.refreshToken is a non-empty string
  std::optional<std::int64_t> expires_at_ms;  // claudeAiOauth.expiresAt (ms since the epoch)
  std::string fingerprint;         // the first 12 hex digits of sha256 of the whole text
};

CredentialInfo describe_credentials(std::string_view json_text);

// True when a is a newer login than b: a's expiresAt is larger; on equal expiresAt, a was
// written later (mtime, ns). Unparseable or absent (a default CredentialInfo) loses to
// anything parseable; a parseable copy without expiresAt loses to one with it; identical
// bytes (same fingerprint) are never newer.
bool is_newer(const CredentialInfo& a, std::int64_t a_written_ns, const CredentialInfo& b,
              std::int64_t b_written_ns);

// How far ahead a container's copy may say its access token expires. The CLI writes
// expiresAt = now + the token's lifetime (hours: about 8 for a claude.ai login), so a copy
// that says more than this was not written by a refresh: a compromised container planting
// one would otherwise be the newest everywhere, over every later login of the user.
inline constexpr std::int64_t kMaxExpiresAheadMs = 48LL * 3600 * 1000;

// Whether a copy that came out of a container may take part in "newest wins": a login
// (an access and a refresh token) whose expiresAt is at most kMaxExpiresAheadMs after
// now_ms. "" when it may, else why not (no token in it).
std::string implausible_container_login(const CredentialInfo& info, std::int64_t now_ms);

}  // namespace claude
