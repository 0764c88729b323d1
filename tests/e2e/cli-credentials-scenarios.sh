#!/bin/sh
# Runs inside a test container for cli_credentials_pickup_test.sh (never on the host):
#   cli-credentials-scenarios.sh ROOT SCENARIO...
# ROOT (mounted read-write) holds certs/ (ca.pem, srv.pem, srv.key), accept (the refresh
# tokens the stand-in's token endpoint knows at start, one a line) and one folder per
# SCENARIO with cfg/ (the CLI's config dir: .credentials.json, .claude.json), and optional
#   script.json  the stand-in's scripted tool uses (a Bash step swaps the credentials)
#   hold         "PATH SECONDS [TOKEN]": PATH (a lock folder, made here with mkdir, as the
#                CLI's proper-lockfile makes it) is held from before the CLI starts until
#                SECONDS after it starts, or after the token endpoint logged TOKEN
#   env          NAME=VALUE lines added to the CLI's environment
#   refresh_delay_ms  the token endpoint answers each refresh after this many ms
#   install      "SECONDS FILE [PATH [LOCK]]": SECONDS after the CLI starts (or after PATH
#                appeared), FILE is installed as the config dir's .credentials.json (temp +
#                rename), holding the lock folder LOCK if given (waiting while it exists);
#                the time goes to installed_ms (lock_wait_ms, locked_ms: asked, got)
# One stand-in serves the OAuth token endpoint over TLS on 127.0.0.1:443 for every
# scenario (the container maps platform.claude.com to 127.0.0.1; refresh tokens are
# single-use across scenarios); each scenario gets its own Messages stand-in and runs
# `claude -p` once with CLAUDE_CONFIG_DIR=<scenario>/cfg. Leaves in each scenario folder:
# api.jsonl (every request, with the access token it carried), rc, out, debug.log (the
# CLI's --debug-file), started_ms,
# released_ms (when the held lock was removed).
set -eu
root=$1
shift
api=/opt/e2e/bin/fake_anthropic_api
now_ms() { date +%s%3N; }

accept=""
while IFS= read -r t; do [ -n "$t" ] && accept="$accept --accept-refresh $t"; done <"$root/accept"
# shellcheck disable=SC2086  # one word per token
"$api" --port 443 --tls-cert "$root/certs/srv.pem" --tls-key "$root/certs/srv.key" \
  --log "$root/oauth.jsonl" --token-ttl 3600 --refresh-delay-file "$root/refresh_delay_ms" $accept >"$root/oauth.out" 2>&1 </dev/null &
oauth_pid=$!
tries=0
until grep -q listening "$root/oauth.out" 2>/dev/null; do
  kill -0 "$oauth_pid" 2>/dev/null || { echo "the TLS stand-in exited: $(cat "$root/oauth.out")" >&2; exit 125; }
  tries=$((tries + 1)); [ $tries -lt 200 ] || { echo "the TLS stand-in did not listen" >&2; exit 125; }
  sleep 0.05
done

export NODE_EXTRA_CA_CERTS="$root/certs/ca.pem"
export CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 DISABLE_TELEMETRY=1 IS_SANDBOX=1
unset ANTHROPIC_API_KEY CLAUDE_CODE_OAUTH_TOKEN

for name in "$@"; do
  d=$root/$name
  portfile=$d/port
  rm -f "$portfile"
  if [ -f "$d/script.json" ]; then
    "$api" --port-file "$portfile" --log "$d/api.jsonl" --script "$d/script.json" --cwd "$d" \
      >/dev/null 2>&1 </dev/null &
  else
    "$api" --port-file "$portfile" --log "$d/api.jsonl" >/dev/null 2>&1 </dev/null &
  fi
  api_pid=$!
  tries=0
  until [ -s "$portfile" ]; do
    tries=$((tries + 1)); [ $tries -lt 200 ] || { echo "$name: the stand-in did not listen" >&2; exit 125; }
    sleep 0.05
  done
  hold_pid=""
  if [ -f "$d/hold" ]; then
    read -r lock secs after <"$d/hold"
    mkdir "$lock"
    (if [ -n "$after" ]; then
       n=0
       until grep -q "\"$after\"" "$root/oauth.jsonl" 2>/dev/null || [ $n -gt 1200 ]; do n=$((n + 1)); sleep 0.05; done
     fi
     sleep "$secs"; now_ms >"$d/released_ms"; rmdir "$lock") &
    hold_pid=$!
  fi
  rm -f "$root/refresh_delay_ms" "$root/refresh_delay_ms.arrived"
  [ ! -f "$d/refresh_delay_ms" ] || cp "$d/refresh_delay_ms" "$root/refresh_delay_ms"
  install_pid=""
  if [ -f "$d/install" ]; then
    read -r secs src wait_for lock <"$d/install"
    (if [ -n "$wait_for" ]; then
       n=0
       until [ -e "$wait_for" ] || [ $n -gt 12000 ]; do n=$((n + 1)); sleep 0.005; done
     fi
     sleep "$secs"
     if [ -n "$lock" ]; then
       now_ms >"$d/lock_wait_ms"
       n=0
       until mkdir "$lock" 2>/dev/null || [ $n -gt 6000 ]; do n=$((n + 1)); sleep 0.005; done
       now_ms >"$d/locked_ms"
     fi
     cp "$src" "$d/cfg/.credentials.json.tmp.install"
     mv -f "$d/cfg/.credentials.json.tmp.install" "$d/cfg/.credentials.json"; now_ms >"$d/installed_ms"
     [ -z "$lock" ] || rmdir "$lock") &
    install_pid=$!
  fi
  now_ms >"$d/started_ms"
  set +e
  (cd "$d" && if [ -f "$d/env" ]; then while IFS= read -r kv; do export "$kv"; done <"$d/env"; fi &&
    ANTHROPIC_BASE_URL="http://127.0.0.1:$(cat "$portfile")" CLAUDE_CONFIG_DIR="$d/cfg" \
    timeout 120 claude -p "run the scripted steps" --dangerously-skip-permissions \
    --debug-file "$d/debug.log" --output-format json >"$d/out" 2>&1 </dev/null)
  echo $? >"$d/rc"
  set -e
  [ -z "$hold_pid" ] || wait "$hold_pid"
  [ -z "$install_pid" ] || wait "$install_pid"
  kill "$api_pid" 2>/dev/null || true
  wait "$api_pid" 2>/dev/null || true
done
kill "$oauth_pid" 2>/dev/null || true
wait "$oauth_pid" 2>/dev/null || true
