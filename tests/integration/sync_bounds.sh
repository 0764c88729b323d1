#!/usr/bin/env bash
# Hostile sizes and kinds in the live dir, claude-init as PID 1: its peak RSS (VmHWM) stays
# under 32 MiB while it publishes a 512 MiB sparse file byte for byte and a 100 MiB log
# append, refuses a 100 MiB .json and a 80 MiB new .jsonl (above the 64 MiB cap for files it
# rewrites: named in health, events.jsonl and run.json, the barrier not complete, the last
# good version kept), and a path that keeps changing kind (folder, file, link) ends with
# the outbox holding what the live dir holds and health ok.
source "$(dirname "$0")/sync_common.bash"

# Scaled under AddressSanitizer, whose allocator is not the product's (tests/CMakeLists.txt).
HWM_LIMIT_KIB=$(( (32 << 10) * ${CLAUDE_TEST_RSS_FACTOR:-1} ))
hwm_kib() { awk '/^VmHWM:/ {print $2}' "/proc/$INIT_PID/status"; }
check_hwm() {
  local hwm; hwm=$(hwm_kib)
  [ -n "$hwm" ] || fail "no VmHWM for the init (pid $INIT_PID)"
  [ "$hwm" -lt "$HWM_LIMIT_KIB" ] || fail "$1: the init's peak RSS is $((hwm >> 10)) MiB (bound $((HWM_LIMIT_KIB >> 10)) MiB)"
  echo "# $1: VmHWM $((hwm >> 10)) MiB"
}
sync_health() { health_json | python3 -c 'import json,sys; c=json.load(sys.stdin)["components"]["sync"]; print(c["status"], c.get("reason",""))'; }

# too_large_event PATH: events.jsonl has a too_large event for PATH naming the cap.
too_large_event() {
  python3 - "$OUTBOX/reports/events.jsonl" "$1" <<'PY'
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
sys.exit(not any(e.get("event") == "too_large" and e.get("path") == sys.argv[2] and "64 MiB" in e.get("error", "") for e in evs))
PY
}
# barrier_once: one `claude-init sync` (barrier retries for 20 s until it is complete).
barrier_once() { "$INIT" sync --health-port "$PORT" >/dev/null 2>&1; }

start_sync
check_hwm "started"

# A 512 MiB sparse file that is not rewritten: copied, never held in memory.
mkdir -p "$LIVE/todos"
python3 - "$LIVE/todos/huge.bin" <<'PY'
import sys
with open(sys.argv[1], "wb") as f:
    f.write(b"head")
    f.seek(256 << 20); f.write(b"middle")
    f.truncate(512 << 20)
    f.seek((512 << 20) - 4); f.write(b"tail")
PY
barrier || fail "the barrier after a 512 MiB file did not complete"
cmp -s "$LIVE/todos/huge.bin" "$OUTBOX/tree/todos/huge.bin" || fail "the 512 MiB file is not in the outbox byte for byte"
check_hwm "a 512 MiB file published"
outbox_matches_live >/dev/null || { outbox_matches_live; fail "512 MiB file: outbox differs"; }
pass "a 512 MiB sparse file is published byte for byte with the init's VmHWM under 32 MiB"
rm "$LIVE/todos/huge.bin"
barrier || fail "the barrier after removing the 512 MiB file did not complete"

# A .json above the cap: not read, not published; the last good version stays.
echo '{"model":"good"}' >"$LIVE/settings.json"
barrier || fail "the barrier after a small settings.json did not complete"
python3 -c 'import sys; open(sys.argv[1], "w").write("{\"model\":\"" + "x" * (100 << 20) + "\"}")' "$LIVE/settings.json"
if barrier_once; then fail "a barrier reported complete with a 100 MiB settings.json held back"; fi
[ "$(cat "$OUTBOX/tree/settings.json")" = '{"model":"good"}' ] || fail "the outbox lost the last good settings.json"
h=$(sync_health)
case "$h" in degraded*settings.json*64\ MiB*) ;; *) fail "health for a 100 MiB settings.json: $h" ;; esac
too_large_event settings.json || fail "no too_large event names settings.json"
check_hwm "a 100 MiB .json refused"
pass "a 100 MiB settings.json is refused: degraded health ($h), a too_large event, the last good version kept"

# A new session log above the cap (moved in whole): refused the same way, never read whole.
mkdir -p "$LIVE/projects/-w"
python3 -c 'import sys; f=open(sys.argv[1], "w"); line="{\"type\":\"user\",\"text\":\"" + "y" * 1000 + "\"}\n"; [f.write(line) for _ in range(80 * 1024)]' "$WORK/big.jsonl"
mv "$WORK/big.jsonl" "$LIVE/projects/-w/big.jsonl"
if barrier_once; then fail "a barrier reported complete with an 80 MiB new log held back"; fi
[ ! -e "$OUTBOX/tree/projects/-w/big.jsonl" ] || fail "the 80 MiB new log was published"
too_large_event projects/-w/big.jsonl || fail "no too_large event names big.jsonl"
check_hwm "an 80 MiB new log refused"
pass "an 80 MiB new session log is refused and named"
rm "$LIVE/projects/-w/big.jsonl"

# Both gone or small again: settings.json published, health ok, the barrier complete.
echo '{"model":"better"}' >"$LIVE/settings.json"
barrier || fail "the barrier did not complete once settings.json was small again"
[ "$(cat "$OUTBOX/tree/settings.json")" = '{"model":"better"}' ] || fail "the small settings.json was not published"
h=$(sync_health)
[ "$h" = "ok " ] || fail "health once settings.json is small again: $h"
pass "settings.json small again and the big log gone: published, health ok, the barrier complete"

# A 100 MiB append to a published log: published in chunks, identical.
echo '{"uuid":"0"}' >"$LIVE/projects/-w/s.jsonl"
barrier || fail "the barrier after a small log did not complete"
python3 -c 'import sys; f=open(sys.argv[1], "a"); [f.write("{\"uuid\":\"%d\",\"text\":\"%s\"}\n" % (i, "z" * 1000)) for i in range(100 * 1024)]' "$LIVE/projects/-w/s.jsonl"
barrier || fail "the barrier after a 100 MiB append did not complete"
cmp -s "$LIVE/projects/-w/s.jsonl" "$OUTBOX/tree/projects/-w/s.jsonl" || fail "the 100 MiB append is not in the outbox as written"
check_hwm "a 100 MiB append published"
pass "a 100 MiB append to a session log is published identical with a bounded VmHWM"

# commands/ changes kind (folder -> file -> link -> folder) 20 times without a pause.
mkdir -p "$LIVE/commands"
echo a >"$LIVE/commands/a.md"
barrier || fail "the barrier after commands/a.md did not complete"
for i in $(seq 0 19); do
  rm -rf "$LIVE/commands"
  echo "file $i" >"$LIVE/commands"
  rm "$LIVE/commands"
  ln -s settings.json "$LIVE/commands"
  rm "$LIVE/commands"
  mkdir "$LIVE/commands"
  echo "a$i" >"$LIVE/commands/a.md"
done
barrier || fail "the barrier after the kind swaps did not complete"
[ "$(cat "$OUTBOX/tree/commands/a.md" 2>/dev/null)" = a19 ] || fail "commands/a.md is not the last version in the outbox"
outbox_matches_live >/dev/null || { outbox_matches_live; fail "kind swaps: outbox differs"; }
h=$(sync_health)
[ "$h" = "ok " ] || fail "health after the kind swaps: $h"
# Each change of kind in one atomic step (renameat2 RENAME_EXCHANGE), so that no look can
# fall between the old entry leaving and the new one arriving: folder -> file -> folder ->
# link -> folder, a barrier after each.
swap_in() {  # swap_in NEW: NEW (made in $WORK) takes the place of $LIVE/commands
  python3 - "$1" "$LIVE/commands" <<'PY' || fail "renameat2 RENAME_EXCHANGE $1"
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
if libc.renameat2(-100, os.fsencode(sys.argv[1]), -100, os.fsencode(sys.argv[2]), 2) != 0:
    raise OSError(ctypes.get_errno(), "renameat2")
PY
  rm -rf "$1"
}
kind_step() {  # kind_step WHAT: after a swap, the outbox holds what the live dir holds
  barrier || fail "the barrier after commands became $1 did not complete"
  outbox_matches_live >/dev/null || { outbox_matches_live; fail "commands became $1: outbox differs"; }
  h=$(sync_health)
  [ "$h" = "ok " ] || fail "health after commands became $1: $h"
}
echo "a file now" >"$WORK/next"; swap_in "$WORK/next"
kind_step "a file"
[ "$(cat "$OUTBOX/tree/commands")" = "a file now" ] || fail "the outbox does not hold commands as the file"
mkdir "$WORK/next"; echo b >"$WORK/next/b.md"; swap_in "$WORK/next"
kind_step "a folder again"
[ "$(cat "$OUTBOX/tree/commands/b.md")" = b ] || fail "the outbox does not hold commands/b.md"
ln -s settings.json "$WORK/next"; swap_in "$WORK/next"
kind_step "a link"
[ "$(readlink "$OUTBOX/tree/commands")" = settings.json ] || fail "the outbox does not hold commands as the link"
mkdir "$WORK/next"; echo c >"$WORK/next/c.md"; swap_in "$WORK/next"
kind_step "a folder once more"
[ "$(cat "$OUTBOX/tree/commands/c.md")" = c ] || fail "the outbox does not hold commands/c.md"
pass "commands/ as folder, file and link 20 times, then each kind in one atomic swap: the outbox follows, health ok"

stop_sync
python3 - "$OUTBOX/reports/run.json" <<'PY' || fail "run.json does not carry the too_large errors"
import json, sys
r = json.load(open(sys.argv[1]))
errs = " ".join(r["errors"])
assert "settings.json" in errs and "64 MiB" in errs, r["errors"]
assert "big.jsonl" in errs, r["errors"]
PY
pass "run.json's errors name the files held back and the cap"
