#!/usr/bin/env bash
# The live dir replaced or removed while the init runs: moved away and made again, or
# removed and recreated. The new folder's files reach the outbox; health says "live dir
# replaced, rescanning" until they have, and "unhealthy: ... missing" while there is no
# folder, when a barrier is never complete; the moved-away folder is no longer synced.
source "$(dirname "$0")/sync_common.bash"

healthz() { curl -s --max-time 2 "http://127.0.0.1:$PORT/healthz"; }
same() { cmp -s "$1" "$2"; }

mkdir -p "$LIVE/projects/-w-p"
echo '{"a":1}' >"$LIVE/settings.json"
echo '{"n":0}' >"$LIVE/projects/-w-p/s.jsonl"
start_sync
wait_until 10 same "$LIVE/settings.json" "$OUTBOX/tree/settings.json" || fail "the first publish"

# 1. Moved away, a new one made and written.
mv "$LIVE" "$WORK/live.old"
mkdir -p "$LIVE/projects/-w-p"
echo '{"b":2}' >"$LIVE/settings.json"
echo '{"new":1}' >"$LIVE/new.json"
printf '{"n":1}\n{"n":2}\n' >"$LIVE/projects/-w-p/s.jsonl"
for f in settings.json new.json projects/-w-p/s.jsonl; do
  wait_until 10 same "$LIVE/$f" "$OUTBOX/tree/$f" || { tail -5 "$WORK/init.log" >&2; fail "moved away and made again: $f never reached the outbox"; }
done
echo '{"old":1}' >"$WORK/live.old/stale.json"
echo '{"n":9}' >>"$WORK/live.old/projects/-w-p/s.jsonl"
barrier || fail "barrier after the live dir was replaced"
[ ! -e "$OUTBOX/tree/stale.json" ] || fail "a file written into the moved-away folder was published"
outbox_matches_live || fail "the outbox does not match the new live dir"
[ "$(healthz)" = ok ] || fail "health after the replaced dir is in sync: $(healthz)"
grep -q '"reason":"live dir replaced"' "$OUTBOX/reports/events.jsonl" || fail "no rescan event for the replaced live dir"
pass "moved away and made again: the new folder's files reach the outbox, the old folder is no longer synced, health ok once in sync"

# 2. Replaced by a folder of 4000 files: health reports the rescan until they are out.
python3 - "$WORK/live.new" <<'PY'
import json, os, sys
root = sys.argv[1]
for d in range(40):
    os.makedirs(os.path.join(root, "todos", "d%d" % d))
    for i in range(100):
        with open(os.path.join(root, "todos", "d%d" % d, "t%d.json" % i), "w") as f: f.write(json.dumps([d, i]))
with open(os.path.join(root, "settings.json"), "w") as f: f.write('{"c":3}')
PY
python3 - "$LIVE" "$WORK/live.new" "$WORK/live.old2" "$PORT" >"$WORK/answers" <<'PY'
import os, sys, time, urllib.request, urllib.error
live, new, old, port = sys.argv[1:5]
def health():
    try: return urllib.request.urlopen("http://127.0.0.1:%s/healthz" % port, timeout=2).read().decode().strip()
    except urllib.error.HTTPError as e: return "%d %s" % (e.code, e.read().decode().strip())
os.rename(live, old); os.rename(new, live)
seen, t0 = [], time.monotonic()
while time.monotonic() - t0 < 30:
    h = health()
    if not seen or seen[-1] != h: seen.append(h)
    if h == "ok" and len(seen) > 1: break
    time.sleep(0.002)
print("\n".join(seen))
PY
grep -q "^degraded: .*live dir replaced, rescanning" "$WORK/answers" || { tail -20 "$WORK/init.log" >&2; fail "health never said the live dir was being rescanned: $(cat "$WORK/answers")"; }
# (Meanwhile the init holds over a thousand descriptors: the endpoint still answers.)
! grep -q '^5[0-9][0-9] \(busy\|$\)' "$WORK/answers" || fail "the endpoint failed while the rescan ran: $(cat "$WORK/answers")"
[ "$(tail -1 "$WORK/answers")" = ok ] || { tail -20 "$WORK/init.log" >&2; fail "health not ok after the rescan: $(cat "$WORK/answers")"; }
[ "$(find "$OUTBOX/tree/todos" -name '*.json' | wc -l)" = 4000 ] || fail "the rescan did not publish the 4000 files"
barrier || fail "barrier after the big replacement"
outbox_matches_live || fail "the outbox does not match the replacing folder"
pass "replaced by 4000 files: health said $(tr '\n' '|' <"$WORK/answers"), then everything was published"

# 3. Removed, then created again.
rm -rf "$LIVE"
wait_until 10 bash -c "curl -s http://127.0.0.1:$PORT/healthz | grep -q '^unhealthy: .*live dir .* missing'" ||
  fail "health while the live dir is missing: $(healthz)"
rc=0; out=$("$INIT" sync --health-port "$PORT") || rc=$?
[ "$rc" = 1 ] && [[ "$out" == "sync incomplete"* ]] || fail "a barrier while the live dir is missing said (rc=$rc): $out"
mkdir -p "$LIVE/projects/-w-p"
echo '{"d":4}' >"$LIVE/settings.json"
echo '{"again":1}' >"$LIVE/again.json"
printf '{"n":3}\n' >"$LIVE/projects/-w-p/s.jsonl"
for f in settings.json again.json projects/-w-p/s.jsonl; do
  wait_until 10 same "$LIVE/$f" "$OUTBOX/tree/$f" || { tail -5 "$WORK/init.log" >&2; fail "removed and recreated: $f never reached the outbox"; }
done
wait_until 5 bash -c "[ \"\$(curl -s http://127.0.0.1:$PORT/healthz)\" = ok ]" || fail "health after the dir came back: $(healthz)"
barrier || fail "barrier after the live dir came back"
outbox_matches_live || fail "the outbox does not match the recreated live dir"
pass "removed: unhealthy and barriers incomplete while missing; recreated: its files reach the outbox, health ok"

stop_sync
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["flush_complete"], r' "$OUTBOX/reports/run.json" ||
  fail "the final flush was not complete"
echo "sync_live_dir_replaced: all passed"
