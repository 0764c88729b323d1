#!/usr/bin/env bash
# Any kill, at any moment: the init is SIGKILLed at random moments 200 times while a writer
# appends to session logs, replaces JSON files (atomically, and in place in two halves),
# creates, renames and deletes files. After every restart's recovery, every outbox file
# matches its journal, every JSON parses and every log line is complete; at the end the
# outbox equals the live dir.
source "$(dirname "$0")/sync_common.bash"
ROUNDS=${SYNC_CRASH_ROUNDS:-200}

python3 - "$LIVE" "$WORK/stop-writer" <<'PY' &
import json, os, random, sys, time
live, stop = sys.argv[1], sys.argv[2]
os.makedirs(os.path.join(live, "projects", "-w-p"), exist_ok=True)
os.makedirs(os.path.join(live, "todos"), exist_ok=True)
r = random.Random(7); n = 0
while not os.path.exists(stop):
    n += 1
    k = r.randrange(10)
    if k < 4:  # a session log grows, sometimes line by line in pieces
        with open(os.path.join(live, "projects", "-w-p", "s%d.jsonl" % r.randrange(3)), "a") as f:
            line = json.dumps({"cwd": "/w/p", "n": n, "pad": "x" * r.randrange(2000)}) + "\n"
            cut = r.randrange(len(line))
            f.write(line[:cut]); f.flush(); f.write(line[cut:])
    elif k < 6:  # the CLI's way: temp file, then rename
        doc = json.dumps({"n": n, "projects": {"/w/p": {"x": "y" * r.randrange(5000)}}})
        tmp = os.path.join(live, ".claude.json.tmp.%d.%x" % (os.getpid(), n))
        with open(tmp, "w") as f: f.write(doc)
        os.rename(tmp, os.path.join(live, ".claude.json"))
    elif k < 7:  # in place, in two halves: never to be published torn
        doc = json.dumps({"n": n, "hooks": {"x": "z" * r.randrange(3000)}})
        with open(os.path.join(live, "settings.json"), "w") as f:
            f.write(doc[: len(doc) // 2]); f.flush(); f.write(doc[len(doc) // 2 :])
    elif k < 9:
        with open(os.path.join(live, "todos", "t%d.json" % r.randrange(50)), "w") as f: f.write(json.dumps([n]))
    else:
        names = os.listdir(os.path.join(live, "todos"))
        if names:
            a = os.path.join(live, "todos", r.choice(names))
            if r.random() < 0.5: os.unlink(a)
            else: os.rename(a, os.path.join(live, "todos", "t%d.json" % r.randrange(50)))
    time.sleep(0.001)
PY
WRITER=$!
BACKGROUND+=("$WRITER")

checked=0
for round in $(seq 1 "$ROUNDS"); do
  start_init pid1 "$WORK/init.log" --stage "$STAGE" --outbox "$OUTBOX" --live-dir "$LIVE" --health-port 0 -- sleep infinity
  sleep "0.$(printf '%03d' $((RANDOM % 300 + 20)))"
  kill -KILL "$INIT_PID" 2>/dev/null || true
  wait "$LAUNCHER" 2>/dev/null || true
  if [ $((round % 25)) = 0 ]; then
    # A restart recovers the outbox; a clean stop right after leaves it for the checker.
    # Wait for THIS start's event: a SIGTERM that reaches a namespace's PID 1 before its
    # main() has blocked signals is dropped by the kernel (no handler yet), which a slow
    # start (ASan) makes likely.
    starts=$(grep -c '"event":"started"' "$OUTBOX/reports/events.jsonl" 2>/dev/null || true)
    start_init pid1 "$WORK/init.log" --stage "$STAGE" --outbox "$OUTBOX" --live-dir "$LIVE" --health-port 0 -- sleep infinity
    started_again() { [ "$(grep -c '"event":"started"' "$OUTBOX/reports/events.jsonl" 2>/dev/null || true)" -gt "${starts:-0}" ]; }
    wait_until 20 started_again || fail "the init did not report its start after $round kills: $(tail -3 "$WORK/init.log")"
    kill -TERM "$INIT_PID"; wait_exit 20
    "$CHECK" "$OUTBOX" --allow-unjournaled >"$WORK/check.out" 2>&1 ||
      { cat "$WORK/check.out"; fail "after $round kills the outbox does not match its journal"; }
    "$CHECK" "$OUTBOX" >"$WORK/check.out" 2>&1 || { cat "$WORK/check.out"; fail "after $round kills and a clean stop, a file is not journaled"; }
    checked=$((checked + 1))
  fi
done
touch "$WORK/stop-writer"
wait "$WRITER"
ls -l "$LIVE/projects/-w-p"
# Ready means the start-up scan has published everything: after a restart (no trustworthy
# facts) that reads, rewrites and hashes every log whole, and the logs grew for as long as
# the rounds took (tens of MB under ASan, whose rounds take five times as long).
SYNC_READY_SECONDS=${SYNC_READY_SECONDS:-180}
start_time=$(date +%s)
start_sync
echo "ready $(( $(date +%s) - start_time )) s after the final start"
barrier || fail "barrier after the crash loop"
stop_sync
"$CHECK" "$OUTBOX" --live "$LIVE" || fail "the outbox did not converge to the live dir"
kills=$(grep -c '"op":"begin"' "$OUTBOX/journal.jsonl")
pass "$ROUNDS SIGKILLs during heavy writes: $checked mid-way checks and the final one pass ($kills starts journaled)"
