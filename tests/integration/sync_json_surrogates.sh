#!/usr/bin/env bash
# A .claude.json as Claude Code (a JavaScript program) writes it may hold lone surrogate
# escapes ("\ud800": JSON.stringify writes them, JSON.parse reads them back). It is carried
# to the outbox byte for byte in host form, paths mapped around them. JSON that truly does
# not parse is reported — degraded health, a barrier that is not complete, an error in
# events.jsonl and run.json — while the last good version stays in the outbox.
source "$(dirname "$0")/sync_common.bash"

start_sync --map /home/al=/root

# Lone high, lone low and a reversed pair, in keys, path values and plain values.
printf '%s' '{"projects":{"/root/w\ud800":{"allowedTools":[]},"/root/x\udc00\ud800y":{}},"note":"\udbff tail \udfff","\ud83d":1}' >"$LIVE/.claude.json.tmp"
mv "$LIVE/.claude.json.tmp" "$LIVE/.claude.json"
printf '%s' '{"projects":{"/home/al/w\ud800":{"allowedTools":[]},"/home/al/x\udc00\ud800y":{}},"note":"\udbff tail \udfff","\ud83d":1}' >"$WORK/expected.json"
"$INIT" sync --health-port "$PORT" >"$WORK/sync.out" || fail "the barrier was not complete: $(cat "$WORK/sync.out")"
cmp "$OUTBOX/tree/.claude.json" "$WORK/expected.json" ||
  fail "the outbox .claude.json differs from the host form: $(cat "$OUTBOX/tree/.claude.json")"
sha=$(sha256sum <"$WORK/expected.json" | cut -d' ' -f1)
grep -q "\"op\":\"put\",\"path\":\".claude.json\",.*\"sha256\":\"$sha\"" "$OUTBOX/journal.jsonl" || fail "no journal record for it"
health_json | python3 -c 'import json,sys; s=json.load(sys.stdin); assert s["status"]=="ok", s' || fail "health is not ok: $(health_json)"
pass "a .claude.json with lone and reversed surrogate escapes reaches the outbox byte-identical in host form"

# A session log line with one is rewritten too (a line the old check passed over unmapped).
mkdir -p "$LIVE/projects/-root-w"
printf '%s\n' '{"cwd":"/root/w","text":"\ud800"}' >"$LIVE/projects/-root-w/s.jsonl"
"$INIT" sync --health-port "$PORT" >/dev/null || fail "the barrier after the log was not complete"
out_log=$(find "$OUTBOX/tree/projects" -name s.jsonl)
[ "$(cat "$out_log")" = '{"cwd":"/home/al/w","text":"\ud800"}' ] || fail "the log line was not mapped: $(cat "$out_log")"
pass "a session-log line with a lone surrogate has its paths mapped"

# Truly broken JSON: held back and reported, never a silent "complete".
good=$(sha256sum <"$OUTBOX/tree/.claude.json")
printf '%s' '{"projects":{"/root/w":' >"$LIVE/.claude.json"
if "$INIT" sync --health-port "$PORT" >"$WORK/sync.out"; then fail "the barrier said complete with a .claude.json that does not parse"; fi
grep -q incomplete "$WORK/sync.out" || fail "the barrier did not say incomplete: $(cat "$WORK/sync.out")"
[ "$(sha256sum <"$OUTBOX/tree/.claude.json")" = "$good" ] || fail "the last good version did not stay in the outbox"
status=$(health_json)
echo "$status" | grep -q '"degraded"' || fail "health is not degraded: $status"
echo "$status" | grep -q 'do not parse: .claude.json: invalid JSON at line 1 column 24' || fail "health does not name the file and place: $status"
grep -q '"event":"error".*\.claude\.json.*invalid JSON at line 1 column 24' "$OUTBOX/reports/events.jsonl" ||
  fail "no error event names the file: $(cat "$OUTBOX/reports/events.jsonl")"
# A broken .json that is removed is no longer owed (only .claude.json is still held).
printf '{"half":' >"$LIVE/never-good.json"
if "$INIT" sync --health-port "$PORT" >/dev/null; then fail "the barrier said complete with never-good.json broken"; fi
health_json | grep -q '"2 JSON file(s) held back' || fail "two broken files are not both held: $(health_json)"
rm "$LIVE/never-good.json"
printf '%s' '{"fixed":"\udc00"}' >"$LIVE/fixed.json"
if "$INIT" sync --health-port "$PORT" >/dev/null; then fail "the barrier said complete with .claude.json still broken"; fi
health_json | grep -q '"1 JSON file(s) held back because they do not parse: .claude.json' || fail "a removed broken file is still held: $(health_json)"
[ "$(cat "$OUTBOX/tree/fixed.json")" = '{"fixed":"\udc00"}' ] || fail "fixed.json was not published"
stop_sync
python3 - "$OUTBOX/reports/run.json" <<'PY' || fail "run.json does not report the file as an error and the flush as incomplete"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["flush_complete"] is False, r["flush_complete"]
assert any(".claude.json" in e and "invalid JSON" in e for e in r["errors"]), r["errors"]
PY
[ "$(sha256sum <"$OUTBOX/tree/.claude.json")" = "$good" ] || fail "the final flush replaced the last good version"
pass "JSON that does not parse: degraded health, barrier incomplete, error in events and run.json, last good version kept; a removed one is no longer owed"
