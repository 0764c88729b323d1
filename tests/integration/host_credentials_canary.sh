#!/usr/bin/env bash
# Canary tokens: the login in the host's .credentials.json, the login a container refreshes,
# a broken credentials file a container publishes, and CLAUDE_CODE_OAUTH_TOKEN all carry
# unique markers. After stage, run (with the credential broker), readback, doctor, status,
# backup and alerts (to a webhook), the markers are found in no file, output, log, event,
# metric, report, journal, alert or docker argument: only in credential files themselves
# (the host store, staged .credentials.json, inboxes, the outbox tree, and backups that
# are byte-for-byte copies of those). CLAUDE_CODE_OAUTH_TOKEN's is found nowhere at all.
source "$(dirname "$0")/../helpers/host_test_lib.sh" "$1"

FIX="$TEST_ROOT/fixtures"; OUT="$TEST_ROOT/out"; BIN="$TEST_ROOT/bin"
mkdir -p "$FIX" "$OUT" "$BIN"
ln -s "$HELPERS/host_fake_docker.sh" "$BIN/docker"
export PATH="$BIN:$PATH"
export FAKE_DOCKER_LOG="$OUT/docker-args.txt"
export CLAUDE_CODE_OAUTH_TOKEN="sk-ant-oat01-CANARYENVTOKEN7c1e"
LOG="$OUT/webhook.jsonl"
python3 "$HELPERS/host_webhook_receiver.py" "$OUT/port" "$LOG" 0 &
CLEANUP_PIDS+=($!)
wait_for 10 test -s "$OUT/port" || fail "receiver did not start"
mkdir -p "$HOME/.claude-docker"
printf '{"webhook_url":"http://127.0.0.1:%s/hooks/claude","desktop_notifications":false}' "$(cat "$OUT/port")" \
  > "$HOME/.claude-docker/config.json"

PROJ="$TEST_ROOT/work/app"; mkdir -p "$PROJ"; cd "$PROJ"
ENC=$(make_claude_home "$PROJ")
EXP=$(( ($(date +%s) + 1800) * 1000 ))
creds() { printf '{"claudeAiOauth":{"accessToken":"sk-ant-oat01-%s","refreshToken":"sk-ant-ort01-%s","expiresAt":%s}}' "$1" "$2" "$3"; }
HOST=$(creds CANARYHOSTACCESS41 CANARYHOSTREFRESH41 "$EXP")
REFRESHED=$(creds CANARYRUNACCESS52 CANARYRUNREFRESH52 $(( EXP + 3600000 )))
BROKEN='{"claudeAiOauth":{"accessToken":"sk-ant-oat01-CANARYBROKEN63","refreshToken":"sk-ant-ort01-CANARYBROKEN63'
printf '%s' "$HOST" > "$HOME/.claude/.credentials.json"
printf '%s' "$REFRESHED" > "$FIX/refreshed.json"
printf '%s' "$BROKEN" > "$FIX/broken.json"

# Container 1 refreshes its login (the broker carries it to the host) and reports an event.
cat > "$FIX/refresh.sh" <<SH
#!/usr/bin/env bash
set -euo pipefail
python3 "$OUTBOX_WRITER" "\$OUTBOX" begin "\$RUN_ID" "\$TRACE_ID"
python3 "$OUTBOX_WRITER" "\$OUTBOX" put .credentials.json "$FIX/refreshed.json" 600
python3 "$OUTBOX_WRITER" "\$OUTBOX" report-event '{"event":"session_start"}'
for i in \$(seq 100); do cmp -s "$HOME/.claude/.credentials.json" "$FIX/refreshed.json" && break; sleep 0.05; done
python3 "$OUTBOX_WRITER" "\$OUTBOX" put "projects/$ENC/s1.jsonl" "\$STAGE/tree/projects/$ENC/s1.jsonl" 600
SH
# Container 2 publishes a broken credentials file (read-back refuses it, an alert follows).
cat > "$FIX/broken.sh" <<SH
#!/usr/bin/env bash
set -euo pipefail
python3 "$OUTBOX_WRITER" "\$OUTBOX" begin "\$RUN_ID" "\$TRACE_ID"
python3 "$OUTBOX_WRITER" "\$OUTBOX" put .credentials.json "$FIX/broken.json" 600
exit 3
SH
chmod +x "$FIX"/*.sh

step() { local name=$1; shift; "$@" > "$OUT/$name.out" 2> "$OUT/$name.err" || echo "$name exited $?" >> "$OUT/exits.txt"; }
step stage "$CLAUDE_HOST" stage
step stage-json "$CLAUDE_HOST" stage --json --print-docker-args
FAKE_CONTAINER="$FIX/refresh.sh" step run1 "$CLAUDE_HOST" run -- -p hi
cmp -s "$HOME/.claude/.credentials.json" "$FIX/refreshed.json" || fail "the refreshed login did not reach the host"
FAKE_CONTAINER="$FIX/broken.sh" step run2 "$CLAUDE_HOST" run --json
for id in $(ls "$HOME/.claude-docker/runs"); do step "readback-$id" "$CLAUDE_HOST" readback --run "$id" --json; done
step doctor "$CLAUDE_HOST" doctor
step doctor-json "$CLAUDE_HOST" doctor --json
step status "$CLAUDE_HOST" status
step status-json "$CLAUDE_HOST" status --json
step backup-create "$CLAUDE_HOST" backup create
step backup-list "$CLAUDE_HOST" backup list --json
step backup-verify "$CLAUDE_HOST" backup verify
step alerts-check "$CLAUDE_HOST" alerts check
step alerts-test "$CLAUDE_HOST" alerts test
# An expired login with no refresh token: the warnings name the time, never the token.
creds CANARYEXPIREDACCESS74 CANARYEXPIREDREFRESH74 1700000000000 | sed 's/,"refreshToken":"[^"]*"//' \
  > "$HOME/.claude/.credentials.json"
step stage-expired "$CLAUDE_HOST" stage
step doctor-expired "$CLAUDE_HOST" doctor
grep -q "access token expired at 2023-11-14T22:13:20Z" "$OUT/stage-expired.out" || fail "stage does not say when it expired: $(cat "$OUT/stage-expired.out")"
grep -q "no refresh token" "$OUT/doctor-expired.out" || fail "doctor does not say there is no refresh token: $(cat "$OUT/doctor-expired.out")"
grep -q '^-e$' "$FAKE_DOCKER_LOG" && grep -qx 'CLAUDE_CODE_OAUTH_TOKEN' "$FAKE_DOCKER_LOG" || fail "CLAUDE_CODE_OAUTH_TOKEN not passed by name"
[ -s "$LOG" ] || fail "no alert reached the webhook (the alert path was not exercised)"
pass "stage, run x2, readback, doctor, status, backup, alerts ran ($(wc -l < "$LOG") webhook posts)"

python3 - "$TEST_ROOT" "$FIX" <<'PY' || fail "a canary leaked (above)"
import os, re, sys
root, fix = sys.argv[1], sys.argv[2]
canary = re.compile(rb"CANARY[A-Z]+[0-9a-f]+")
env_canary = b"CANARYENVTOKEN7c1e"
# Every credentials text that may legitimately exist as a file.
cred_names = {".credentials.json"}
allowed_dirs = ("/.claude/", "/stage/tree/", "/inbox/", "/outbox/tree/", "/backups/")
known = set()
for dirpath, _, files in os.walk(root):
    for f in files:
        if f == ".credentials.json":
            with open(os.path.join(dirpath, f), "rb") as h: known.add(h.read())
for f in os.listdir(fix):
    if f.endswith(".json"):
        with open(os.path.join(fix, f), "rb") as h: known.add(h.read())
bad = []
checked = 0
for dirpath, _, files in os.walk(root):
    if dirpath.startswith(fix): continue
    for f in files:
        p = os.path.join(dirpath, f)
        if os.path.islink(p) or not os.path.isfile(p): continue
        with open(p, "rb") as h: data = h.read()
        checked += 1
        if env_canary in data:
            bad.append(f"{p}: holds CLAUDE_CODE_OAUTH_TOKEN's value"); continue
        if not canary.search(data): continue
        is_cred_file = f in cred_names and any(d in p for d in allowed_dirs)
        is_copy = data in known and any(d in p for d in allowed_dirs + ("/stage-objects/",))
        if not (is_cred_file or is_copy):
            bad.append(f"{p}: {canary.search(data).group().decode()} in {data[:160]!r}")
for b in bad: print("LEAK", b)
print(f"{checked} files checked")
sys.exit(1 if bad else 0)
PY
pass "no canary outside credential files; CLAUDE_CODE_OAUTH_TOKEN's value in no file at all"
