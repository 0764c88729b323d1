#!/usr/bin/env bash
# Several claude-host processes at once: stage and readback serialize on
# ~/.claude-docker/lock (no lost updates to .claude.json or session logs), and a waiter that
# times out names the lock file and the holder.
source "$(dirname "$0")/../helpers/host_test_lib.sh" "$1"

PROJ="$TEST_ROOT/proj"; mkdir -p "$PROJ"; cd "$PROJ"
ENC=$(make_claude_home "$PROJ")
N=5

# Stage N runs concurrently.
for i in $(seq 1 $N); do "$CLAUDE_HOST" stage --json > "$TEST_ROOT/stage.$i.json" & done
wait
RUNS=()
for i in $(seq 1 $N); do RUNS+=("$(json_get "$TEST_ROOT/stage.$i.json" '["run_id"]')"); done
[ "$(printf '%s\n' "${RUNS[@]}" | sort -u | wc -l)" = $N ] || fail "run ids collided: ${RUNS[*]}"
pass "$N concurrent stages"

# Each simulated container adds its own key to .claude.json and its own session line.
for i in $(seq 1 $N); do
  run=${RUNS[$((i-1))]}
  o="$HOME/.claude-docker/runs/$run/outbox"
  python3 "$OUTBOX_WRITER" "$o" begin "$run" "t$i"
  python3 - "$HOME/.claude-docker/runs/$run/stage/tree/.claude.json" "$TEST_ROOT/box.$i.json" "$i" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); d["fromContainer" + sys.argv[3]] = int(sys.argv[3])
json.dump(d, open(sys.argv[2], "w"))
PY
  python3 "$OUTBOX_WRITER" "$o" put .claude.json "$TEST_ROOT/box.$i.json"
  python3 "$OUTBOX_WRITER" "$o" put "projects/$ENC/s1.jsonl" "$HOME/.claude-docker/runs/$run/stage/tree/projects/$ENC/s1.jsonl" 600
  python3 "$OUTBOX_WRITER" "$o" append "projects/$ENC/s1.jsonl" "{\"uuid\":\"box-$i\"}"$'\n'
done
# Read them all back at once, while a host writer keeps changing .claude.json under the CLI's
# own lock (mkdir .claude.json.lock), like a `claude` running on the host.
python3 - "$HOME/.claude.json" <<'PY' &
import json, os, sys, time
path = sys.argv[1]
for n in range(40):
    while True:
        try:
            os.mkdir(path + ".lock"); break
        except FileExistsError:
            time.sleep(0.005)
    d = json.load(open(path)); d["hostCounter"] = n
    tmp = path + ".tmp.%d" % os.getpid(); json.dump(d, open(tmp, "w")); os.rename(tmp, path)
    os.rmdir(path + ".lock")
    time.sleep(0.01)
PY
HOSTW=$!
for i in $(seq 1 $N); do "$CLAUDE_HOST" readback --run "${RUNS[$((i-1))]}" --json > "$TEST_ROOT/rb.$i.json" & done
rcs=0
for job in $(jobs -p); do [ "$job" = "$HOSTW" ] && continue; wait "$job" || rcs=$((rcs+1)); done
wait "$HOSTW"
[ "$rcs" = 0 ] || fail "$rcs read-backs failed: $(cat "$TEST_ROOT"/rb.*.json)"
python3 - "$HOME" "$ENC" "$N" <<'PY' || fail "lost updates"
import json, sys
home, enc, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
d = json.load(open(home + "/.claude.json"))
for i in range(1, n + 1):
    assert d.get("fromContainer%d" % i) == i, ("lost key", i, d)
assert d["hostCounter"] == 39, d.get("hostCounter")
lines = open(f"{home}/.claude/projects/{enc}/s1.jsonl").read().splitlines()
box = sorted(json.loads(l)["uuid"] for l in lines if "box-" in l)
assert box == ["box-%d" % i for i in range(1, n + 1)], box
assert len(lines) == len(set(lines)), "duplicate lines"
PY
pass "$N concurrent read-backs and a host writer: no lost updates"

# A waiter that times out names the lock file and the holder.
printf 'pid 4242 (claude-host readback --run X) since 2026-11-22T00:00:00Z\n' > "$HOME/.claude-docker/lock"
exec 9<"$HOME/.claude-docker/lock"
flock -x 9
set +e
start=$(date +%s%N)
"$CLAUDE_HOST" stage --lock-timeout 1 > "$TEST_ROOT/out.txt" 2>&1; rc=$?
took=$(( ($(date +%s%N) - start) / 1000000 ))
set -e
exec 9<&-
[ "$rc" != 0 ] || fail "stage ran while the lock was held"
grep -q "$HOME/.claude-docker/lock" "$TEST_ROOT/out.txt" && grep -q "pid 4242" "$TEST_ROOT/out.txt" \
  && grep -q "claude-host readback" "$TEST_ROOT/out.txt" || fail "lock message: $(cat "$TEST_ROOT/out.txt")"
[ "$took" -ge 1000 ] || fail "gave up after $took ms, before the timeout"
pass "lock timeout names the holder and the lock file ($took ms)"
"$CLAUDE_HOST" stage > /dev/null || fail "stage after the lock was released"
pass "lock released: stage runs"
