#!/usr/bin/env bash
# Alerts reach a real HTTP receiver on loopback as Slack-style JSON: a failed read-back, a
# corrupt outbox, an unhealthy run with repeated sync failures, a stale backup; a 500 is
# retried; the same alert again within 15 minutes is suppressed (and logged as such).
source "$(dirname "$0")/../helpers/host_test_lib.sh" "$1"

LOG="$TEST_ROOT/webhook.jsonl"
python3 "$HELPERS/host_webhook_receiver.py" "$TEST_ROOT/port" "$LOG" 1 &
CLEANUP_PIDS+=($!)
wait_for 10 test -s "$TEST_ROOT/port" || fail "receiver did not start"
PORT=$(cat "$TEST_ROOT/port")
mkdir -p "$HOME/.claude-docker"
printf '{"webhook_url":"http://127.0.0.1:%s/hooks/claude","desktop_notifications":false}' "$PORT" > "$HOME/.claude-docker/config.json"
posts() { [ -f "$LOG" ] && grep -c '"status": 200' "$LOG" || echo 0; }

# A stale (missing) backup, with the receiver failing the first request: retried.
"$CLAUDE_HOST" alerts check > "$TEST_ROOT/check.txt" || fail "alerts check: $(cat "$TEST_ROOT/check.txt")"
grep -q "alert stale-backup: sent \[webhook\]" "$TEST_ROOT/check.txt" || fail "$(cat "$TEST_ROOT/check.txt")"
[ "$(grep -c '"status": 500' "$LOG")" = 1 ] && [ "$(posts)" = 1 ] || fail "expected a 500 then a retried 200: $(cat "$LOG")"
python3 - "$LOG" <<'PY' || fail "webhook body"
import json, sys
last = [json.loads(l) for l in open(sys.argv[1])][-1]
assert last["path"] == "/hooks/claude" and last["content_type"] == "application/json", last
b = last["body"]
assert "backup" in b["text"] and b["attachments"][0]["title"] == b["text"], b
assert any(f["title"] == "alert" and f["value"] == "stale-backup" for f in b["attachments"][0]["fields"])
PY
pass "stale backup alert delivered as Slack-style JSON after a retry"

# The same alert again: suppressed by the throttle, logged.
"$CLAUDE_HOST" alerts check > "$TEST_ROOT/check2.txt" || true
grep -q "alert stale-backup: suppressed" "$TEST_ROOT/check2.txt" || fail "not throttled: $(cat "$TEST_ROOT/check2.txt")"
[ "$(posts)" = 1 ] || fail "a throttled alert was posted"
grep -q '"event":"alert_suppressed"' "$HOME/.claude-docker-events.jsonl" || fail "suppression not logged"
pass "the same alert within 15 minutes is suppressed"

# A corrupt outbox and an unhealthy run with repeated sync failures.
PROJ="$TEST_ROOT/proj"; mkdir -p "$PROJ"; cd "$PROJ"
ENC=$(make_claude_home "$PROJ")
"$CLAUDE_HOST" stage --json > "$TEST_ROOT/stage.json"
RUN=$(json_get "$TEST_ROOT/stage.json" '["run_id"]')
O="$HOME/.claude-docker/runs/$RUN/outbox"
python3 "$OUTBOX_WRITER" "$O" begin "$RUN" trace-a
python3 "$OUTBOX_WRITER" "$O" append "projects/$ENC/new.jsonl" $'{"a":1}\n'
python3 "$OUTBOX_WRITER" "$O" append "projects/$ENC/new.jsonl" $'{"a":2}\n'
truncate -s 3 "$O/tree/projects/$ENC/new.jsonl"
for i in 1 2 3; do python3 "$OUTBOX_WRITER" "$O" report-event "{\"event\":\"error\",\"message\":\"ENOSPC $i\"}"; done
python3 "$OUTBOX_WRITER" "$O" run-report '{"exit_code":1,"clean_stop":false,"flush_complete":false,"errors":["ENOSPC"]}'
set +e; "$CLAUDE_HOST" readback --run "$RUN" --json > "$TEST_ROOT/rb.json"; rc=$?; set -e
[ "$rc" = 1 ] || fail "corrupt read-back exit $rc"
python3 - "$LOG" "$TEST_ROOT/rb.json" <<'PY' || fail "alerts for the run"
import json, sys
keys = [json.loads(l)["body"]["attachments"][0]["fields"][2]["value"] for l in open(sys.argv[1]) if '"status": 200' in l]
for k in ("corruption", "unhealthy-run", "sync-failures"):
    assert k in keys, (k, keys)
rb = json.load(open(sys.argv[2]))
assert {a["key"]: a["decision"] for a in rb["alerts"]}["corruption"] == "sent", rb["alerts"]
PY
pass "corruption, unhealthy run and repeated sync failures alerted"

# A read-back that cannot run at all (no such run) alerts too.
set +e; "$CLAUDE_HOST" readback --run no-such-run > "$TEST_ROOT/rb2.txt" 2>&1; rc=$?; set -e
[ "$rc" = 1 ] && grep -q "claude-host status" "$TEST_ROOT/rb2.txt" || fail "missing run: $rc $(cat "$TEST_ROOT/rb2.txt")"
wait_for 5 grep -q "readback-failed" "$LOG" || fail "no readback-failed alert"
grep -q '"run_id": "no-such-run"\|no-such-run' "$HOME/.claude-docker-errors.log" || fail "error not logged as JSON"
python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$HOME/.claude-docker-errors.log" || fail "errors log is not JSON lines"
pass "failed read-back alerted and logged"
