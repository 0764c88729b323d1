#!/usr/bin/env bash
# A kill right after an append: a writer appends session-log lines while claude-init is
# SIGKILLed 0-250 ms after a line was written, SYNC_KILL_ROUNDS times (50). After every
# kill, without a restart, each log in the outbox tree is a whole-line prefix of the live
# log that holds every line written at least settle + 20 ms before the kill: appends reach
# the outbox file at once, whether or not their journal record (held up to 250 ms) is out.
source "$(dirname "$0")/sync_common.bash"
ROUNDS=${SYNC_KILL_ROUNDS:-50}
SETTLE_MS=10
MARGIN_MS=$((SETTLE_MS + 20))
mkdir -p "$LIVE/projects/-w-p"
# The logs exist before the first start: a new log's first version is a whole-file put,
# which waits for its group's sync; what is measured here is the appends after it.
for log in projects/-w-p/s1.jsonl projects/-w-p/s2.jsonl history.jsonl; do
  echo '{"type":"summary"}' >"$LIVE/$log"
done

cat >"$WORK/round.py" <<'PY'
# Appends lines to the logs (and replaces JSON files between them), then after a line kills the init 0-250 ms later (writing on
# meanwhile); records each line's write time and the kill time.
import json, os, random, signal, sys, time
live, pid, rnd, out = sys.argv[1], int(sys.argv[2]), random.Random(int(sys.argv[3])), sys.argv[4]
logs = ["projects/-w-p/s1.jsonl", "projects/-w-p/s2.jsonl", "history.jsonl"]
written = []  # (log, bytes through this line, time written)
def size(rel):
    try: return os.path.getsize(os.path.join(live, rel))
    except FileNotFoundError: return 0
run_until = time.monotonic() + rnd.uniform(0.2, 0.8)
kill_at = None
n = 0
while True:
    rel = rnd.choice(logs)
    line = json.dumps({"type": "user", "cwd": "/w/p", "n": n, "pad": "x" * rnd.randrange(300)}) + "\n"
    with open(os.path.join(live, rel), "a") as f:
        if rnd.random() < 0.3:  # in two writes, as a line being written in pieces
            cut = rnd.randrange(1, len(line)); f.write(line[:cut]); f.flush(); f.write(line[cut:])
        else:
            f.write(line)
    now = time.monotonic()
    written.append((rel, size(rel), now))
    n += 1
    if kill_at is None and now >= run_until:
        kill_at = now + rnd.uniform(0, 0.25)
    if kill_at is not None and time.monotonic() >= kill_at:
        break
    if rnd.random() < 0.5:  # the CLI rewrites its state meanwhile (whole-file puts)
        doc = json.dumps({"n": n, "projects": {"/w/p": {"x": "y" * rnd.randrange(4000)}}})
        tmp = os.path.join(live, ".claude.json.tmp.%d" % n)
        with open(tmp, "w") as f: f.write(doc)
        os.rename(tmp, os.path.join(live, ".claude.json"))
        with open(os.path.join(live, "todos-%d.json" % rnd.randrange(20)), "w") as f: f.write(json.dumps([n]))
    pause = rnd.uniform(0.001, 0.03)
    if kill_at is not None: pause = min(pause, max(0, kill_at - time.monotonic()))
    time.sleep(pause)
os.kill(pid, signal.SIGKILL)
killed = time.monotonic()
json.dump({"written": written, "killed": killed}, open(out, "w"))
PY

cat >"$WORK/check.py" <<'PY'
# Each outbox log must be a whole-line prefix of its live log (the logs only grow) and
# reach at least the last line written `margin` before the kill.
import json, os, sys
live, outbox, rec, margin = sys.argv[1], sys.argv[2], json.load(open(sys.argv[3])), float(sys.argv[4]) / 1000
needed, last_write = {}, {}
for rel, size, t in rec["written"]:
    if t <= rec["killed"] - margin: needed[rel] = max(needed.get(rel, 0), size)
late = []
for rel in sorted({w[0] for w in rec["written"]}):
    lv = open(os.path.join(live, rel), "rb").read()
    try: ob = open(os.path.join(outbox, "tree", rel), "rb").read()
    except FileNotFoundError: ob = b""
    if not lv.startswith(ob) or (ob and not ob.endswith(b"\n")):
        sys.exit("%s: the outbox copy (%d bytes) is not a whole-line prefix of the live log" % (rel, len(ob)))
    if len(ob) < needed.get(rel, 0):
        ages = [rec["killed"] - t for r, s, t in rec["written"] if r == rel and len(ob) < s <= needed[rel]]
        sys.exit("%s: %d bytes in the outbox tree, %d written >= %d ms before the kill (missing lines written %s ms before it)"
                 % (rel, len(ob), needed[rel], margin * 1000, [int(a * 1000) for a in ages]))
    late.append(len(lv) - len(ob))
print("behind by", late, "bytes")
PY

# Other writes on the same filesystem (a build in the container, say) make each sync of
# the outbox slow; appends must not wait for those syncs.
( while [ ! -e "$WORK/stop-ballast" ]; do
    dd if=/dev/zero of="$WORK/ballast" bs=1M count=16 conv=notrunc status=none; sleep 0.05
  done ) &
BACKGROUND+=($!)
for round in $(seq 1 "$ROUNDS"); do
  start_sync --settle "${SETTLE_MS}ms"
  python3 "$WORK/round.py" "$LIVE" "$INIT_PID" "$round" "$WORK/round.json" || fail "round $round: the writer failed"
  wait "$LAUNCHER" 2>/dev/null || true
  python3 "$WORK/check.py" "$LIVE" "$OUTBOX" "$WORK/round.json" "$MARGIN_MS" >"$WORK/check.out" 2>&1 ||
    { cat "$WORK/init.log" | tail -5 >&2; fail "kill $round: $(cat "$WORK/check.out")"; }
done
touch "$WORK/stop-ballast"
pass "$ROUNDS SIGKILLs 0-250 ms after an append: every line written ${MARGIN_MS} ms or more before the kill was in the outbox tree, as whole lines"
# The next start recovers the unjournaled appends, and a clean stop leaves the outbox equal
# to the live dir.
start_sync --settle "${SETTLE_MS}ms"
barrier || fail "barrier after the kills"
stop_sync
outbox_matches_live || fail "the outbox did not converge to the live dir"
pass "after the kills, a restart and a clean stop: the outbox equals the live dir"
echo "sync_kill_after_append: all passed"
