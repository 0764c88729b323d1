#!/usr/bin/env bash
# What the real Claude Code CLI does with .credentials.json, measured (ARCHITECTURE.md,
# "What the CLI does with .credentials.json"): the CLI in the image, logged in with OAuth
# tokens (no API key), against the stand-in API, whose token endpoint it reaches over TLS
# at platform.claude.com (mapped to the container's loopback; a test CA it trusts through
# NODE_EXTRA_CA_CERTS). Every scenario is one `claude -p` in its own config dir; a
# scripted Bash tool use replaces the credentials file between the session's two Messages
# requests, and the stand-in logs which access token each request carried.
#   refresh           expired access token: refreshed through the stand-in, new pair on disk
#                     in a new file (temp + rename: a new inode)
#   reuse             the same, already used, refresh token again: invalid_grant, and the
#                     CLI wipes the tokens on disk (the logout issue 19 is about)
#   swap              the file replaced (temp + rename) mid-session: the next request
#                     carries the new access token, with no refresh
#   swap_same_mtime   the same, the new file given the old file's mtime: the CLI keeps
#                     the old token (its cache is keyed on the file's mtime)
#   swap_expired      the new file's access token expired: the next request refreshes with
#                     the NEW refresh token (the old one is never presented)
#   hold_refresh_lock / hold_legacy_lock: a lock folder held for 3 s from the CLI's start
#                     holds up the refresh
#   hold_write_lock   .storage-write.lock held until 2 s after the refresh was answered
#                     holds up the write of its result, not the refresh
#   race_refused      newer credentials installed while a refresh is in flight that then
#                     fails with invalid_grant: the CLI keeps and uses the installed ones
#                     (the installer holding .storage-write.lock)
#   race_refused_refresh_lock  the same, the installer taking .oauth_refresh.lock: it waits
#                     out the refresh, and the session's turn fails "Not logged in"
#   race_refreshed    the same, the refresh succeeding: the CLI writes its result over
#                     the installed (newer) credentials
source "$(dirname "$0")/lib.sh" "$@"
# Only the stand-in is needed from the build (the CLI runs by itself, without claude-host).
[ -x "$FAKE_API" ] || fail "$FAKE_API is missing: build first (make build)"
e2e_ensure_engine
e2e_ensure_image
"$FAKE_API" --tls-cert /dev/null --tls-key /dev/null 2>&1 | grep -q 'this build has no TLS' &&
  fail "$FAKE_API was built without TLS (OpenSSL missing when configured): install libssl-dev, reconfigure, rebuild"

R=$E2E_WORK/scn
mkdir -p "$R/certs"
e2e_log "test CA and a certificate for platform.claude.com"
(
  cd "$R/certs"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=stand-in-test-CA \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign
  openssl req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr -subj /CN=platform.claude.com
  printf 'subjectAltName=DNS:platform.claude.com\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >ext
  openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out srv.pem -days 2 -extfile ext
  chmod 0644 ./*
) >"$E2E_WORK/openssl.log" 2>&1 || fail "openssl could not make the test certificates: $(cat "$E2E_WORK/openssl.log")"

now_ms() { date +%s%3N; }
NOW=$(now_ms)
HOUR=3600000
# creds FILE ACCESS REFRESH EXPIRES_AT_MS
creds() {
  printf '{"claudeAiOauth":{"accessToken":"%s","refreshToken":"%s","expiresAt":%s,"scopes":["user:inference","user:profile","user:sessions:claude_code"],"subscriptionType":"max","rateLimitTier":"default_claude_max_5x"}}\n' \
    "$2" "$3" "$4" >"$1"
}
# scenario NAME ACCESS REFRESH EXPIRES_AT_MS: a config dir logged in with those tokens.
scenario() {
  local d=$R/$1
  mkdir -p "$d/cfg"
  creds "$d/cfg/.credentials.json" "$2" "$3" "$4"
  chmod 0600 "$d/cfg/.credentials.json"
  cat >"$d/cfg/.claude.json" <<'EOF'
{"hasCompletedOnboarding":true,"numStartups":5,"oauthAccount":{"accountUuid":"00000000-0000-4000-8000-000000000001","emailAddress":"test@example.invalid","organizationUuid":"00000000-0000-4000-8000-000000000002","billingType":"stripe_subscription","accountCreatedAt":"2025-01-01T00:00:00Z","subscriptionCreatedAt":"2025-01-01T00:00:00Z","ccOnboardingFlags":{}}}
EOF
}
# swap NAME ACCESS REFRESH EXPIRES_AT_MS [same-mtime]: the session's one tool use
# installs those tokens (temp + fsync'd write + rename, as an installer would).
swap() {
  local d=$R/$1
  creds "$d/new.json" "$2" "$3" "$4"
  {
    echo "set -e"
    echo "cp '$d/new.json' '$d/cfg/.credentials.json.tmp.swap'"
    [ "${5:-}" = same-mtime ] && echo "touch -r '$d/cfg/.credentials.json' '$d/cfg/.credentials.json.tmp.swap'"
    echo "mv -f '$d/cfg/.credentials.json.tmp.swap' '$d/cfg/.credentials.json'"
    echo "date +%s%3N >'$d/swapped_ms'"
  } >"$d/swap.sh"
  printf '[{"name":"Bash","input":{"command":"sh %s/swap.sh","description":"replace the credentials"}}]\n' "$d" >"$d/script.json"
}

scenario refresh sk-ant-oat01-A sk-ant-ort01-A $((NOW - 60000))
stat -c %i "$R/refresh/cfg/.credentials.json" >"$R/refresh/inode_before"
scenario reuse sk-ant-oat01-A sk-ant-ort01-A $((NOW - 60000))
scenario swap sk-ant-oat01-B sk-ant-ort01-B $((NOW + 2 * HOUR))
swap swap sk-ant-oat01-C sk-ant-ort01-C $((NOW + 3 * HOUR))
scenario swap_same_mtime sk-ant-oat01-D sk-ant-ort01-D $((NOW + 2 * HOUR))
swap swap_same_mtime sk-ant-oat01-E sk-ant-ort01-E $((NOW + 3 * HOUR)) same-mtime
scenario swap_expired sk-ant-oat01-F sk-ant-ort01-F $((NOW + 2 * HOUR))
swap swap_expired sk-ant-oat01-G sk-ant-ort01-G $((NOW - 60000))
scenario hold_refresh_lock sk-ant-oat01-H sk-ant-ort01-H $((NOW - 60000))
echo "$R/hold_refresh_lock/cfg/.oauth_refresh.lock 3" >"$R/hold_refresh_lock/hold"
scenario hold_legacy_lock sk-ant-oat01-I sk-ant-ort01-I $((NOW - 60000))
echo "$R/hold_legacy_lock/cfg.lock 3" >"$R/hold_legacy_lock/hold"
scenario hold_write_lock sk-ant-oat01-J sk-ant-ort01-J $((NOW - 60000))
# Released 2 s after the refresh was answered (the CLI retries the write for about 7 s).
echo "$R/hold_write_lock/cfg/.storage-write.lock 2 sk-ant-ort01-J" >"$R/hold_write_lock/hold"
# Refreshes answered after 3 s; newer credentials installed 0.5 s after the refresh reached
# the token endpoint (refresh_delay_ms.arrived): mid-refresh.
scenario race_refused sk-ant-oat01-L sk-ant-ort01-L $((NOW - 60000))
creds "$R/race_refused/installed.json" sk-ant-oat01-M sk-ant-ort01-M $((NOW + 3 * HOUR))
echo 3000 >"$R/race_refused/refresh_delay_ms"
echo "0.5 $R/race_refused/installed.json $R/refresh_delay_ms.arrived $R/race_refused/cfg/.storage-write.lock" \
  >"$R/race_refused/install"
# The same, the installer taking the CLI's refresh lock instead (it waits out the refresh).
scenario race_refused_refresh_lock sk-ant-oat01-Q sk-ant-ort01-Q $((NOW - 60000))
creds "$R/race_refused_refresh_lock/installed.json" sk-ant-oat01-R sk-ant-ort01-R $((NOW + 3 * HOUR))
echo 3000 >"$R/race_refused_refresh_lock/refresh_delay_ms"
echo "0.5 $R/race_refused_refresh_lock/installed.json $R/refresh_delay_ms.arrived $R/race_refused_refresh_lock/cfg/.oauth_refresh.lock" \
  >"$R/race_refused_refresh_lock/install"
scenario race_refreshed sk-ant-oat01-N sk-ant-ort01-N $((NOW - 60000))
creds "$R/race_refreshed/installed.json" sk-ant-oat01-O sk-ant-ort01-O $((NOW + 3 * HOUR))
echo 3000 >"$R/race_refreshed/refresh_delay_ms"
echo "0.5 $R/race_refreshed/installed.json $R/refresh_delay_ms.arrived" >"$R/race_refreshed/install"
# Known to the token endpoint at start: A (once), F (never presented, the swap replaces
# it), G (the swapped-in one), H, I, J and N. B..E, L (used elsewhere, as it were) and M, O
# are unknown: presenting them fails.
printf '%s\n' sk-ant-ort01-A sk-ant-ort01-F sk-ant-ort01-G sk-ant-ort01-H sk-ant-ort01-I sk-ant-ort01-J \
  sk-ant-ort01-N >"$R/accept"

scenarios=(refresh reuse swap swap_same_mtime swap_expired hold_refresh_lock hold_legacy_lock hold_write_lock race_refused race_refused_refresh_lock race_refreshed)
e2e_log "running ${scenarios[*]} in one container"
docker run --rm --label "$E2E_LABEL" --network none --add-host platform.claude.com:127.0.0.1 \
  -v "$E2E_LIB_DIR:/opt/e2e/lib:ro" -v "$FAKE_API:/opt/e2e/bin/fake_anthropic_api:ro" -v "$R:$R" \
  --entrypoint sh "$E2E_IMAGE" /opt/e2e/lib/cli-credentials-scenarios.sh "$R" "${scenarios[@]}" \
  >"$E2E_WORK/container.out" 2>&1 || fail "the scenario container failed: $(tail -n 30 "$E2E_WORK/container.out")"

python3 - "$R" "$E2E_CLAUDE_VERSION" "$NOW" <<'PY' >"$E2E_WORK/findings.txt" 2>&1 || fail "$(cat "$E2E_WORK/findings.txt")"
import json, os, sys
R, version, NOW_MS = sys.argv[1], sys.argv[2], int(sys.argv[3])
HOUR = 3600_000

def jl(p):
    return [json.loads(l) for l in open(p) if l.strip()] if os.path.exists(p) else []
def num(p):
    return int(open(p).read().strip())
oauth = jl(f"{R}/oauth.jsonl")
def refreshes(token):
    return [l for l in oauth if l.get("refresh-token") == token]
def msgs(name):
    return [l for l in jl(f"{R}/{name}/api.jsonl") if l["path"] == "/v1/messages"]
def creds(name):
    return json.load(open(f"{R}/{name}/cfg/.credentials.json"))["claudeAiOauth"]
def mtime_ms(name):
    return os.stat(f"{R}/{name}/cfg/.credentials.json").st_mtime_ns // 1_000_000
def check(cond, what):
    if not cond:
        raise SystemExit(f"FAILED: {what}")
    print(f"ok: {what}")
def ran(name):
    m = msgs(name)
    check(len(m) >= 1, f"{name}: the CLI sent Messages requests ({len(m)}; rc {open(f'{R}/{name}/rc').read().strip()}, "
                       f"out {open(f'{R}/{name}/out').read()[:300]!r})")
    check(all("api-key" not in l for l in m), f"{name}: every request authenticated with the OAuth token, not an API key")
    return m

# refresh: expired access token + refresh token -> one refresh through the stand-in over
# TLS, the new pair written to .credentials.json (0600) and used for the request.
m = ran("refresh")
r = refreshes("sk-ant-ort01-A")
check(len(r) >= 1 and r[0]["oauth"] == "refreshed", "refresh: POST /v1/oauth/token with the file's refresh token, answered")
issued_a, issued_r = r[0]["issued-access"], r[0]["issued-refresh"]
check(all(l["bearer"] == issued_a for l in m), f"refresh: every Messages request carried the new access token {issued_a}")
c = creds("refresh")
check(c["accessToken"] == issued_a and c["refreshToken"] == issued_r, "refresh: the new pair is in .credentials.json")
check(abs(c["expiresAt"] - (r[0]["t_ms"] + HOUR)) < 60_000, "refresh: expiresAt is now + expires_in")
check(os.stat(f"{R}/refresh/cfg/.credentials.json").st_mode & 0o777 == 0o600, "refresh: written mode 0600")
check(os.stat(f"{R}/refresh/cfg/.credentials.json").st_ino != num(f"{R}/refresh/inode_before"),
      "refresh: written as a new file renamed over the old one (new inode)")
left = [f for f in os.listdir(f"{R}/refresh/cfg") if f.startswith(".credentials.json.")]
check(not left, f"refresh: no temp file left beside it ({left})")
check(not os.path.exists(f"{R}/refresh/cfg/.oauth_refresh.lock") and not os.path.exists(f"{R}/refresh/cfg/.storage-write.lock"),
      "refresh: the lock folders are gone afterwards")

# reuse: a copy holding the refresh token another place already used.
r = refreshes("sk-ant-ort01-A")
check(len(r) >= 2 and r[1]["oauth"] == "invalid_grant", "reuse: the used refresh token is refused with invalid_grant")
c = creds("reuse")
check(c["accessToken"] == "" and c["refreshToken"] == "" and c["expiresAt"] == 0,
      "reuse: the CLI wiped accessToken/refreshToken/expiresAt in its .credentials.json (logged out)")

# swap: replaced by temp + rename between two requests of one session.
m = ran("swap")
sw = num(f"{R}/swap/swapped_ms")
before = [l for l in m if l["t_ms"] < sw]
after = [l for l in m if l["t_ms"] > sw]
check(before and all(l["bearer"] == "sk-ant-oat01-B" for l in before), "swap: requests before the swap carried the old token")
check(after and all(l["bearer"] == "sk-ant-oat01-C" for l in after),
      f"swap: every request after the swap carried the NEW token ({[l['bearer'] for l in after]})")
check(not refreshes("sk-ant-ort01-B") and not refreshes("sk-ant-ort01-C"), "swap: no refresh was made")

# swap_same_mtime: the new file given the old one's mtime.
m = ran("swap_same_mtime")
sw = num(f"{R}/swap_same_mtime/swapped_ms")
after = [l for l in m if l["t_ms"] > sw]
check(after and all(l["bearer"] == "sk-ant-oat01-D" for l in after),
      f"swap_same_mtime: requests after the swap still carried the OLD token ({[l['bearer'] for l in after]}): "
      "the CLI re-reads the file only when its mtime changed")

# swap_expired: the swapped-in access token is expired; the next request refreshes with
# the swapped-in refresh token.
m = ran("swap_expired")
sw = num(f"{R}/swap_expired/swapped_ms")
check(not refreshes("sk-ant-ort01-F"), "swap_expired: the old refresh token was never presented")
r = refreshes("sk-ant-ort01-G")
check(len(r) == 1 and r[0]["oauth"] == "refreshed" and r[0]["t_ms"] > sw,
      "swap_expired: after the swap, one refresh with the NEW refresh token")
after = [l for l in m if l["t_ms"] > sw]
check(after and all(l["bearer"] == r[0]["issued-access"] for l in after), "swap_expired: the next request carried the token it got")
check(creds("swap_expired")["refreshToken"] == r[0]["issued-refresh"], "swap_expired: the refreshed pair is on disk")

# Locks: a lock folder held 3 s from the CLI's start.
for name, lock in (("hold_refresh_lock", ".oauth_refresh.lock"), ("hold_legacy_lock", "<config dir>.lock")):
    ran(name)
    rel = num(f"{R}/{name}/released_ms")
    tok = "sk-ant-ort01-" + {"hold_refresh_lock": "H", "hold_legacy_lock": "I"}[name]
    r = refreshes(tok)
    check(len(r) == 1 and r[0]["oauth"] == "refreshed", f"{name}: refreshed once")
    check(r[0]["t_ms"] >= rel, f"{name}: the refresh waited for {lock} ({r[0]['t_ms'] - rel} ms after its release)")
ran("hold_write_lock")
rel = num(f"{R}/hold_write_lock/released_ms")
r = refreshes("sk-ant-ort01-J")
check(len(r) == 1 and r[0]["t_ms"] < rel, "hold_write_lock: the refresh itself did not wait for .storage-write.lock "
      f"(answered {rel - r[0]['t_ms'] if r else '?'} ms before the release)")
check(creds("hold_write_lock")["accessToken"] == r[0]["issued-access"], "hold_write_lock: the new pair was written")
check(mtime_ms("hold_write_lock") >= rel,
      f"hold_write_lock: .credentials.json was written only after .storage-write.lock was released "
      f"({mtime_ms('hold_write_lock') - rel} ms after)")
# Races: an install landing while a refresh is in flight.
m = ran("race_refused")
inst = num(f"{R}/race_refused/installed_ms")
r = refreshes("sk-ant-ort01-L")
check(len(r) == 1 and r[0]["oauth"] == "invalid_grant" and r[0]["t_ms"] > inst,
      f"race_refused: the refresh was in flight when the install landed, and was refused ({r}, installed at {inst}; "
      f"started {num(f'{R}/race_refused/started_ms')}, lock asked {num(f'{R}/race_refused/lock_wait_ms')}, "
      f"got {num(f'{R}/race_refused/locked_ms')}; token endpoint log {[(x.get('refresh-token'), x['t_ms']) for x in oauth]}; "
      f"requests {[(l.get('bearer'), l['t_ms']) for l in m]}; out {open(f'{R}/race_refused/out').read()[:200]!r})")
check(all(l["bearer"] == "sk-ant-oat01-M" for l in m), "race_refused: the request carried the INSTALLED access token")
c = creds("race_refused")
check(c["accessToken"] == "sk-ant-oat01-M" and c["refreshToken"] == "sk-ant-ort01-M",
      "race_refused: the installed credentials stay on disk (no wipe after the refused refresh)")
check(not refreshes("sk-ant-ort01-M"), "race_refused: no second refresh")
# Observed, not assumed: printed for the record whatever it is, checked below.
d = f"{R}/race_refused_refresh_lock"
m = [l for l in jl(f"{d}/api.jsonl") if l["path"] == "/v1/messages"]
r = refreshes("sk-ant-ort01-Q")
print(f"race_refused_refresh_lock: rc {open(d + '/rc').read().strip()}, refresh {[(x['oauth'], x['t_ms']) for x in r]}, "
      f"installer asked for the lock at {num(d + '/lock_wait_ms')}, got it at {num(d + '/locked_ms')}, "
      f"installed at {num(d + '/installed_ms')}; requests carried {[l.get('bearer', '(none)') for l in m]} "
      f"at {[l['t_ms'] for l in m]}; file now {creds('race_refused_refresh_lock')}; "
      f"out {open(d + '/out').read()[:300]!r}")
check(len(r) == 1 and r[0]["oauth"] == "invalid_grant" and num(f"{d}/lock_wait_ms") < r[0]["t_ms"] <= num(f"{d}/locked_ms"),
      "race_refused_refresh_lock: the installer waited for .oauth_refresh.lock until the refused refresh was over")
check(not m and "Not logged in" in open(f"{d}/out").read() and open(f"{d}/rc").read().strip() != "0",
      "race_refused_refresh_lock: the session's turn failed (\"Not logged in\"), no request sent")
check(creds("race_refused_refresh_lock")["accessToken"] == "sk-ant-oat01-R",
      "race_refused_refresh_lock: the install landed after the CLI's wipe (the file holds it now)")
m = ran("race_refreshed")
inst = num(f"{R}/race_refreshed/installed_ms")
r = refreshes("sk-ant-ort01-N")
check(len(r) == 1 and r[0]["oauth"] == "refreshed" and r[0]["t_ms"] > inst,
      "race_refreshed: the refresh was in flight when the install landed, and succeeded")
c = creds("race_refreshed")
check(c["accessToken"] == r[0]["issued-access"] and c["expiresAt"] < NOW_MS + 3 * HOUR,
      "race_refreshed: the CLI wrote its refresh result OVER the newer installed credentials "
      f"(expiresAt {c['expiresAt']} < the installed {NOW_MS + 3 * HOUR})")
check(all(l["bearer"] == r[0]["issued-access"] for l in m), "race_refreshed: the request carried the token it got")
print(f"Claude Code {version}: all findings hold")
PY
sed 's/^/    /' "$E2E_WORK/findings.txt" >&2
e2e_pass
