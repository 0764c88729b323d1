// Where the host keeps Claude Code's OAuth credentials: the file
// <config dir>/.credentials.json on Linux, a Keychain item on macOS (DESIGN.md "Facts").
// Both behind one interface so that staging and write-back do not care which.
// The secret never goes into an Error, a log line or a command line.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "core/result.h"
#include "hostside/host_layout.h"
#include "hostside/process_runner.h"

namespace claude::host {

class CredentialStore {
 public:
  virtual ~CredentialStore() = default;
  // The credentials JSON text; std::nullopt when there are none (not logged in).
  virtual Result<std::optional<std::string>> read() = 0;
  // Replaces the stored credentials with `json_text`.
  virtual Status write(const std::string& json_text) = 0;
  // "the file ~/.claude/.credentials.json" / "the Keychain item 'Claude Code-credentials'".
  virtual std::string describe() const = 0;
  // When the stored credentials were last written (ns since the epoch); 0 when unknown
  // (the Keychain keeps no such time).
  virtual std::int64_t written_ns() const { return 0; }
};

class FileCredentialStore final : public CredentialStore {
 public:
  explicit FileCredentialStore(std::string path) : path_(std::move(path)) {}
  Result<std::optional<std::string>> read() override;
  Status write(const std::string& json_text) override;  // temp + fsync + rename, 0600
  std::string describe() const override { return "the file " + path_; }
  std::int64_t written_ns() const override;  // the file's mtime

 private:
  std::string path_;
};

// macOS's `security` tool. Reads with `find-generic-password -s S -a A -w`; writes through
// `security -i` with the command on stdin and the secret hex-encoded (-X), so that the
// token never appears in the process list.
class KeychainCredentialStore final : public CredentialStore {
 public:
  KeychainCredentialStore(ProcessRunner& runner, std::string service, std::string account)
      : runner_(runner), service_(std::move(service)), account_(std::move(account)) {}
  Result<std::optional<std::string>> read() override;
  Status write(const std::string& json_text) override;
  std::string describe() const override { return "the Keychain item '" + service_ + "' (account " + account_ + ")"; }

 private:
  ProcessRunner& runner_;
  std::string service_, account_;
};

// "Claude Code-credentials", plus "-" and the first 8 hex digits of sha256(config dir)
// when CLAUDE_CONFIG_DIR is set (the CLI's own rule).
std::string keychain_service_name(const HostLayout& layout);

// True when the credentials live in the Keychain: `keychain_flag` (--keychain), else the
// environment CLAUDE_HOST_KEYCHAIN=1|0, else when the system is Darwin.
bool use_keychain(std::optional<bool> keychain_flag);

// The store for this host.
std::unique_ptr<CredentialStore> make_credential_store(const HostLayout& layout, ProcessRunner& runner,
                                                       std::optional<bool> keychain_flag);

// A warning about credentials that will not work in the container, or "" when they look
// fine: not JSON, no claudeAiOauth.accessToken, or expiresAt (ms) in the past with the
// time and the fix. Never includes a token. now_ms: the current time.
std::string credentials_warning(const std::string& json_text, std::int64_t now_ms);

// One line on the login's freshness, never a token: "access token expired at T (12 min
// ago)", "access token expires within the hour: in 12 min (at T)" or "access token valid
// until T (in 5 h 3 min)", then "; refresh token present" or "; no refresh token: ...".
// problem: expired, or expiring within the hour with no refresh token, or no login at all.
struct CredentialFreshness {
  std::string text;
  bool problem = false;
};
CredentialFreshness credentials_freshness(const std::string& json_text, std::int64_t now_ms);

}  // namespace claude::host
