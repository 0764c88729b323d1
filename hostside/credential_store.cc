#include "hostside/credential_store.h"

#include <sys/stat.h>
#include <sys/utsname.h>

#include <cerrno>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "core/credential_freshness.h"
#include "core/sha256.h"
#include "hostside/clock.h"
#include "platform/atomic_file.h"
#include "platform/file_time.h"

namespace claude::host {

Result<std::optional<std::string>> FileCredentialStore::read() {
  auto text = read_file(path_);
  if (!text.ok()) {
    if (text.error().sys_errno == ENOENT) return std::optional<std::string>();
    Error e = text.error();
    e.fix = "make " + path_ + " readable by you (chmod 600)";
    return e;
  }
  return std::optional<std::string>(std::move(*text));
}

std::int64_t FileCredentialStore::written_ns() const {
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) return 0;
  return mtime_ns(st);
}

Status FileCredentialStore::write(const std::string& json_text) {
  return write_file_atomically(path_, json_text, 0600);
}

namespace {

std::string hex_encode(const std::string& s) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size() * 2);
  for (unsigned char c : s) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

std::string shell_quote_for_security(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

Result<std::optional<std::string>> KeychainCredentialStore::read() {
  auto r = runner_.capture({"security", "find-generic-password", "-s", service_, "-a", account_, "-w"});
  if (!r.ok()) return r.error();
  // 44 is errSecItemNotFound's exit status: not logged in on this host.
  if (r->exit_code == 44) return std::optional<std::string>();
  if (r->exit_code != 0)
    return Error{"read " + describe(), "", 0, "security exited with " + std::to_string(r->exit_code),
                 "unlock the login keychain (security unlock-keychain) and retry"};
  std::string text = r->out;
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return std::optional<std::string>(std::move(text));
}

Status KeychainCredentialStore::write(const std::string& json_text) {
  std::string command = "add-generic-password -U -a " + shell_quote_for_security(account_) + " -s " +
                        shell_quote_for_security(service_) + " -X " + hex_encode(json_text) + "\n";
  auto r = runner_.capture({"security", "-i"}, command);
  if (!r.ok()) return r.error();
  if (r->exit_code != 0)
    return Error{"write " + describe(), "", 0, "security exited with " + std::to_string(r->exit_code),
                 "unlock the login keychain (security unlock-keychain) and run `claude-host readback` again"};
  return Ok{};
}

std::string keychain_service_name(const HostLayout& layout) {
  std::string name = "Claude Code-credentials";
  if (layout.custom_config_dir) {
    name += '-';
    name.append(sha256_hex(layout.config_dir), 0, 8);
  }
  return name;
}

bool use_keychain(std::optional<bool> keychain_flag) {
  if (keychain_flag) return *keychain_flag;
  if (const char* env = std::getenv("CLAUDE_HOST_KEYCHAIN"); env && *env) return std::string(env) == "1";
  struct utsname u{};
  return ::uname(&u) == 0 && std::string(u.sysname) == "Darwin";
}

std::unique_ptr<CredentialStore> make_credential_store(const HostLayout& layout, ProcessRunner& runner,
                                                       std::optional<bool> keychain_flag) {
  if (use_keychain(keychain_flag))
    return std::make_unique<KeychainCredentialStore>(runner, keychain_service_name(layout), layout.user);
  return std::make_unique<FileCredentialStore>(layout.credentials_file());
}

std::string credentials_warning(const std::string& json_text, std::int64_t now_ms) {
  auto j = nlohmann::json::parse(json_text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return "the credentials are not valid JSON; run `claude` on the host and log in again (/login)";
  auto oauth = j.find("claudeAiOauth");
  if (oauth == j.end() || !oauth->is_object() || !oauth->contains("accessToken"))
    return "the credentials hold no claudeAiOauth.accessToken; run `claude` on the host and log in (/login)";
  auto expires = oauth->find("expiresAt");
  if (expires != oauth->end() && expires->is_number() && expires->get<std::int64_t>() < now_ms) {
    bool refreshable = oauth->contains("refreshToken");
    return "the access token expired at " + rfc3339_utc(expires->get<std::int64_t>()) +
           (refreshable ? "; Claude Code in the container will refresh it (the new token comes back to the host)"
                        : "; there is no refresh token: run `claude` on the host and log in again (/login)");
  }
  return {};
}

namespace {

// "42 s", "12 min", "5 h 3 min", "2 d 4 h".
std::string span_text(std::int64_t ms) {
  std::int64_t s = ms / 1000;
  if (s < 60) return std::to_string(s) + " s";
  std::int64_t m = s / 60;
  if (m < 60) return std::to_string(m) + " min";
  std::int64_t h = m / 60;
  if (h < 48) return std::to_string(h) + " h " + std::to_string(m % 60) + " min";
  return std::to_string(h / 24) + " d " + std::to_string(h % 24) + " h";
}

}  // namespace

CredentialFreshness credentials_freshness(const std::string& json_text, std::int64_t now_ms) {
  CredentialInfo info = describe_credentials(json_text);
  if (!info.parsed) return {"the credentials are not valid JSON (log in again: `claude`, then /login)", true};
  if (!info.has_access_token)
    return {"the credentials hold no access token (log in: `claude`, then /login)", true};
  CredentialFreshness f;
  bool soon = false;
  if (!info.expires_at_ms) {
    f.text = "access token with no expiry time";
  } else if (*info.expires_at_ms <= now_ms) {
    f.text = "access token expired at " + rfc3339_utc(*info.expires_at_ms) + " (" +
             span_text(now_ms - *info.expires_at_ms) + " ago)";
    f.problem = true;
  } else if (*info.expires_at_ms - now_ms <= 3'600'000) {
    f.text = "access token expires within the hour: in " + span_text(*info.expires_at_ms - now_ms) + " (at " +
             rfc3339_utc(*info.expires_at_ms) + ")";
    soon = true;
  } else {
    f.text = "access token valid until " + rfc3339_utc(*info.expires_at_ms) + " (in " +
             span_text(*info.expires_at_ms - now_ms) + ")";
  }
  if (info.has_refresh_token) {
    f.text += "; refresh token present";
    if (f.problem || soon) f.text += " (Claude Code refreshes it; the broker gives the new one to every run)";
    f.problem = false;
  } else {
    f.text += "; no refresh token";
    if (f.problem || soon) {
      f.text += ": log in again (`claude`, then /login) or use CLAUDE_CODE_OAUTH_TOKEN";
      f.problem = true;
    }
  }
  return f;
}

}  // namespace claude::host
