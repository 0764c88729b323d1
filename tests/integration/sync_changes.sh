#!/usr/bin/env bash
# Real inotify on a temp live dir, claude-init as PID 1: a burst of 1 000 files, appends at
# 100 lines/s, a rename storm, mkdir-then-write, deletes, a JSON file written in two halves
# (never published torn), a truncated log, symlinks in and out of the tree, FIFOs, and the
# `claude-init sync` barrier. After each step the outbox equals the live dir and its journal.
source "$(dirname "$0")/sync_common.bash"

start_sync

# A burst of 1 000 files, checked by polling (no barrier): events alone converge.
mkdir -p "$LIVE/todos"
for i in $(seq 1 1000); do echo "{\"n\":$i}" >"$LIVE/todos/t$i.json"; done
wait_until 20 files_in "$OUTBOX/tree/todos" 1000 || fail "burst: $(ls "$OUTBOX/tree/todos" | wc -l) of 1000 files in the outbox"
outbox_matches_live >/dev/null || { outbox_matches_live; fail "burst: outbox differs"; }
pass "a burst of 1000 files reaches the outbox without a barrier"

# mkdir then write at once, several levels deep: the scan after the watch catches it.
mkdir -p "$LIVE/projects/-w-a/deep/er" && echo '{"cwd":"/w/a"}' >"$LIVE/projects/-w-a/deep/er/s.jsonl"
wait_until 10 test -f "$OUTBOX/tree/projects/-w-a/deep/er/s.jsonl" || fail "mkdir-then-write was missed"
pass "mkdir -p then write is published"

# Appends at 100 lines/s for 2 s, with a partial line held back until its newline.
log="$LIVE/projects/-w-a/session.jsonl"
python3 - "$log" <<'PY'
import sys, time, os
with open(sys.argv[1], "a") as f:
    for i in range(200):
        f.write('{"cwd":"/w/a","i":%d,"pad":"%s"}\n' % (i, "x" * 50)); f.flush()
        time.sleep(0.01)
    f.write('{"partial":'); f.flush()
PY
wait_until 10 lines_in "$OUTBOX/tree/projects/-w-a/session.jsonl" 200 || fail "appends: $(wc -l <"$OUTBOX/tree/projects/-w-a/session.jsonl") of 200 lines"
tail -c 12 "$OUTBOX/tree/projects/-w-a/session.jsonl" | grep -q '}$' || fail "a partial line reached the outbox"
# No barrier: once the log has been quiet for 250 ms, one record describes all the appends.
outbox_size=$(stat -c %s "$OUTBOX/tree/projects/-w-a/session.jsonl")
wait_until 5 grep -q "\"op\":\"append\",\"path\":\"projects/-w-a/session.jsonl\",.*\"size\":$outbox_size," "$OUTBOX/journal.jsonl" ||
  fail "no journal record for the appends after the log went quiet"
appends=$(grep -c '"op":"append","path":"projects/-w-a/session.jsonl"' "$OUTBOX/journal.jsonl" || true)
puts=$(grep -c '"op":"put","path":"projects/-w-a/session.jsonl"' "$OUTBOX/journal.jsonl" || true)
# The first version is put whole, then only appends, which share their records (2 s of
# appends every 10 ms: one record, a few if the writer stalled past the quiet time).
[ "$puts" = 1 ] && [ "$appends" -ge 1 ] && [ "$appends" -le 3 ] || fail "appends were not incremental or did not share a record ($puts puts, $appends append records)"
echo '"done"}' >>"$log"
wait_until 10 lines_in "$OUTBOX/tree/projects/-w-a/session.jsonl" 201 || fail "the completed line was not appended"
pass "200 appends at 100/s arrive incrementally ($appends journal records); the partial line waits for its newline"

# A log that never goes quiet still gets its record: 10 s after the first append at the
# latest (appends every 20 ms for 13 s; the quiet time never passes while it runs).
# The record owed for the appends above is written first (a barrier journals held appends),
# so that the count below only grows with this writer's record.
barrier
journaled_before=$(grep -c '"op":"append","path":"projects/-w-a/session.jsonl"' "$OUTBOX/journal.jsonl")
started=$(date +%s.%N)
python3 - "$log" <<'PY' &
import sys, time
with open(sys.argv[1], "a") as f:
    for i in range(650):
        f.write('{"cwd":"/w/a","steady":%d}\n' % i); f.flush(); time.sleep(0.02)
PY
writer=$!
while kill -0 "$writer" 2>/dev/null; do
  n=$(grep -c '"op":"append","path":"projects/-w-a/session.jsonl"' "$OUTBOX/journal.jsonl")
  [ "$n" -gt "$journaled_before" ] && break
  sleep 0.05
done
held=$(awk -v a="$(date +%s.%N)" -v b="$started" 'BEGIN { printf "%.1f", a - b }')
kill -0 "$writer" 2>/dev/null || fail "appends every 20 ms for 13 s got no journal record while they ran"
wait "$writer"
awk -v h="$held" 'BEGIN { exit !(h >= 9.5 && h <= 12) }' || fail "the steady log's record came after ${held}s (the hold is 10 s)"
barrier
outbox_matches_live >/dev/null || { outbox_matches_live; fail "steady appends: outbox differs"; }
pass "a log appended without pause is journaled at the hold's end (${held}s), not only when it goes quiet"

# Truncation, then rotation (a new inode under the same name): whole copies, not appends.
: >"$log"; echo '{"after":"truncate"}' >>"$log"
wait_until 10 cmp -s "$log" "$OUTBOX/tree/projects/-w-a/session.jsonl" || fail "truncated log not republished"
mv "$log" "$log.old"; echo '{"rotated":1}' >"$log"
wait_until 10 cmp -s "$log" "$OUTBOX/tree/projects/-w-a/session.jsonl" || fail "rotated log not republished"
pass "a truncated and a rotated log are republished whole"

# A rename storm: 300 files renamed back and forth, then a folder renamed.
mkdir -p "$LIVE/agents"
for i in $(seq 1 300); do echo "agent $i" >"$LIVE/agents/a$i.md"; done
for round in 1 2 3; do
  for i in $(seq 1 300); do mv "$LIVE/agents/a$i.md" "$LIVE/agents/b$i.md"; done
  for i in $(seq 1 300); do mv "$LIVE/agents/b$i.md" "$LIVE/agents/a$i.md"; done
done
mv "$LIVE/agents" "$LIVE/agents2"
barrier || fail "barrier after the rename storm"
outbox_matches_live >/dev/null || { outbox_matches_live; fail "rename storm: outbox differs"; }
[ ! -e "$OUTBOX/tree/agents" ] || fail "the renamed folder's old name is still in the outbox"
pass "a rename storm and a folder rename converge (barrier)"

# Deletes: files and a whole folder.
rm -f "$LIVE/todos/t1"*.json
rm -rf "$LIVE/agents2"
barrier || fail "barrier after deletes"
outbox_matches_live >/dev/null || { outbox_matches_live; fail "deletes: outbox differs"; }
grep -q '"op":"delete","path":"agents2/a1.md"' "$OUTBOX/journal.jsonl" || fail "folder delete not journaled"
pass "deletes of files and a folder propagate and are journaled"

# A JSON file written in two halves, with a pause: a reader of the outbox never sees it torn.
echo '{"v":0}' >"$LIVE/settings.json"
barrier
python3 - "$OUTBOX/tree/settings.json" "$WORK/torn" <<'PY' &
import json, sys, time, os
torn = seen = 0; end = time.time() + 4
while time.time() < end:
    try:
        with open(sys.argv[1]) as f: text = f.read()
        json.loads(text); seen += 1
    except FileNotFoundError: pass
    except ValueError: torn += 1
open(sys.argv[2], "w").write("%d %d\n" % (torn, seen))
PY
reader=$!
python3 - "$LIVE/settings.json" <<'PY'
import sys, time
for v in range(1, 21):
    doc = '{"v": %d, "hooks": {"PreToolUse": [{"command": "/usr/bin/true %s"}]}}' % (v, "y" * 3000)
    with open(sys.argv[1], "w") as f:
        f.write(doc[: len(doc) // 2]); f.flush(); time.sleep(0.05)
        f.write(doc[len(doc) // 2 :])
    time.sleep(0.05)
PY
wait "$reader"
read -r torn seen <"$WORK/torn"
[ "$torn" = 0 ] || fail "a torn settings.json was seen in the outbox $torn times"
barrier
grep -q '"v": 20' "$OUTBOX/tree/settings.json" || fail "the final settings.json was not published"
held=$(curl -s "http://127.0.0.1:$PORT/metrics" | awk '/^claude_init_sync_invalid_json_total/ {print $2}')
[ "${held:-0}" -ge 1 ] || fail "no half-written JSON was ever held back (metric $held)"
pass "a JSON written in two halves is never published torn ($seen good reads, $held halves held back)"

# Symlinks: inside the tree copied as links; out of it and FIFOs skipped, with a warning.
echo secret >"$WORK/outside.txt"
mkdir -p "$LIVE/commands"
echo "# c" >"$LIVE/commands/real.md"
ln -s real.md "$LIVE/commands/inside.md"
ln -s "$WORK/outside.txt" "$LIVE/commands/outside.md"
ln -s ../../outside.txt "$LIVE/commands/climb.md"
mkfifo "$LIVE/commands/pipe"
barrier
[ "$(readlink "$OUTBOX/tree/commands/inside.md")" = real.md ] || fail "the link inside the tree was not copied as a link"
[ ! -e "$OUTBOX/tree/commands/outside.md" ] && [ ! -L "$OUTBOX/tree/commands/outside.md" ] || fail "a link leaving the tree was synced"
[ ! -L "$OUTBOX/tree/commands/climb.md" ] || fail "a climbing link was synced"
[ ! -e "$OUTBOX/tree/commands/pipe" ] || fail "a FIFO was synced"
! grep -rq secret "$OUTBOX/tree" || fail "content behind an outside link reached the outbox"
grep -q '"event":"skipped","path":"commands/outside.md"' "$OUTBOX/reports/events.jsonl" 2>/dev/null ||
  grep -q 'commands/outside.md' "$OUTBOX/reports/events.jsonl" || fail "the skipped link is not in the events log"
pass "links inside the tree are copied, links out of it and FIFOs are skipped and reported"

# Excluded paths never reach the outbox.
mkdir -p "$LIVE/debug" "$LIVE/statsig"
echo x >"$LIVE/debug/log.txt"; echo x >"$LIVE/statsig/s"; echo '{}' >"$LIVE/.claude.json.tmp.1.ab"
echo '{}' >"$LIVE/.claude.json"
barrier
[ ! -e "$OUTBOX/tree/debug" ] && [ ! -e "$OUTBOX/tree/statsig" ] && [ ! -e "$OUTBOX/tree/.claude.json.tmp.1.ab" ] || fail "an excluded path was synced"
pass "excluded paths (debug/, statsig/, CLI temp files) are not synced"

stop_sync
"$CHECK" "$OUTBOX" --live "$LIVE" || { grep inside.md "$OUTBOX/journal.jsonl"; ls -la "$OUTBOX/tree/commands"; fail "final outbox check"; }
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["format"]=="claude-report/1", r; assert r["counts"]["files_published"]>=1000, r["counts"]; assert r["skipped"], r' "$OUTBOX/reports/run.json" || fail "run.json"
# metrics.jsonl ends with the run's final counts, the same as run.json's (the run is
# shorter than the 60 s interval: that closing line is its only one).
python3 - "$OUTBOX/reports/metrics.jsonl" "$OUTBOX/reports/run.json" <<'PY' || fail "metrics.jsonl does not end with the final counts"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
run = json.load(open(sys.argv[2]))
assert lines and all(l["format"] == "claude-metrics/1" for l in lines), lines
last = lines[-1]["counts"] if "counts" in lines[-1] else lines[-1]
for k, v in run["counts"].items():
    assert last.get(k) == v, (k, last.get(k), v)
PY
pass "final report written; metrics.jsonl closes with its counts; outbox matches its journal and the live dir"

# A second init given the same outbox (a compose file that shares one) is refused: it
# says why in its health, and the first one's journal goes on alone.
start_sync
first_pid=$INIT_PID first_launcher=$LAUNCHER first_port=$PORT
PORT2=$(free_port)
mkdir -p "$WORK/live2"
start_init pid1 "$WORK/init2.log" --stage "$STAGE" --outbox "$OUTBOX" --live-dir "$WORK/live2" \
  --health-port "$PORT2" -- sleep infinity
second_pid=$INIT_PID second_launcher=$LAUNCHER
wait_until 10 bash -c "curl -s http://127.0.0.1:$PORT2/status | grep -q 'another claude-init is syncing into it'" ||
  fail "a second init on one outbox did not say so: $(curl -s "http://127.0.0.1:$PORT2/status")"
"$INIT" health --health-port "$PORT2" >"$WORK/health2.txt" 2>&1 && fail "a refused second init is healthy: $(cat "$WORK/health2.txt")"
echo '{"second":true}' >"$WORK/live2/only-second.json"
echo '{"first":true}' >"$LIVE/only-first.json"
PORT=$first_port barrier
[ -f "$OUTBOX/tree/only-first.json" ] && [ ! -e "$OUTBOX/tree/only-second.json" ] || fail "the refused init wrote into the outbox"
INIT_PID=$first_pid LAUNCHER=$first_launcher PORT=$first_port
stop_sync
"$CHECK" "$OUTBOX" --live "$LIVE" || fail "outbox check after a second init was refused"
# Nor does it take the outbox over once the first is gone: that would publish its own live
# dir over the first container's results before the host read them back.
echo '{"second":2}' >"$WORK/live2/only-second.json"
"$INIT" sync --health-port "$PORT2" >/dev/null 2>&1 || true  # a flush barrier tries the outbox at once
[ ! -e "$OUTBOX/tree/only-second.json" ] || fail "the refused init took the outbox over after the first stopped"
"$CHECK" "$OUTBOX" --live "$LIVE" || fail "outbox changed after the first init stopped"
kill -KILL "$second_pid"; wait "$second_launcher" 2>/dev/null || true
pass "a second init on the same outbox is refused (health says why); the first one's outbox stays consistent"

# Killed right after appends, inside the time their journal record is held back: the lines
# are already in the outbox log, so the restart journals them (nothing the container wrote
# out is cut), and only then looks at the live dir.
log=$LIVE/projects/-w-a/session.jsonl
inside=0
for attempt in 1 2 3 4 5; do  # a slow machine may journal them before the kill lands: again
  start_sync
  size_before=$(stat -c %s "$OUTBOX/tree/projects/-w-a/session.jsonl")
  printf '{"kill":%d}\n{"kill":%d}\n' "$attempt" "$attempt" >>"$log"
  wait_until 5 cmp -s "$log" "$OUTBOX/tree/projects/-w-a/session.jsonl" || fail "the appends were not published"
  kill -KILL "$INIT_PID"; wait "$LAUNCHER" 2>/dev/null || true
  if ! grep -q "\"size\":$(stat -c %s "$log")," "$OUTBOX/journal.jsonl"; then inside=1; break; fi
done
[ "$inside" = 1 ] || fail "5 kills all came after the appends' journal record: the case was never tried"
start_sync
wait_until 10 grep -q "journaled projects/-w-a/session.jsonl: $(( $(stat -c %s "$log") - size_before )) bytes of whole lines" "$OUTBOX/reports/events.jsonl" ||
  { grep outbox_recovered "$OUTBOX/reports/events.jsonl" >&2; fail "the restart did not journal the unjournaled whole lines"; }
stop_sync
"$CHECK" "$OUTBOX" --live "$LIVE" || fail "outbox check after the kill inside the journal hold"
pass "a kill inside the journal hold: the restart journals the whole lines already in the outbox"
