#!/usr/bin/env bash
# `claude-host broker` for containers no `claude-host run` started (compose): two runs staged
# with `claude-host stage`, one of them "running" — a claude-init holding the flock on its
# outbox, as it does while it syncs (here `flock` on the same folder) —, the other not.
# With the broker in the foreground: a newer host login reaches the running run's inbox and
# never the other's; a refresh the running container publishes reaches the host; once its
# lock is gone the run gets nothing more; a second broker stands by while the first serves
# and takes over when it is stopped; status names the broker; SIGTERM ends it with 0.
source "$(dirname "$0")/../helpers/host_test_lib.sh" "$1"

PROJ="$TEST_ROOT/work/app"; mkdir -p "$PROJ"; cd "$PROJ"
make_claude_home "$PROJ" > /dev/null
run_state() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["state"])' "$RUNS/$1/state.json"; }
host_write "$(creds h0 0)"

stage_run() {  # prints the run id
  "$CLAUDE_HOST" stage --json 2> "$TEST_ROOT/stage.err" | python3 -c 'import json,sys; print(json.load(sys.stdin)["run_id"])' ||
    fail "stage failed: $(cat "$TEST_ROOT/stage.err")"
}
UP=$(stage_run); DOWN=$(stage_run)
[ -n "$UP" ] && [ -n "$DOWN" ] && [ "$UP" != "$DOWN" ] || fail "two staged runs expected, got '$UP' '$DOWN'"
RUNS="$HOME/.claude-docker/runs"
for r in "$UP" "$DOWN"; do
  mkdir -p "$RUNS/$r/outbox"
  python3 "$OUTBOX_WRITER" "$RUNS/$r/outbox" begin "$r" "trace-$r"
  [ -d "$RUNS/$r/inbox" ] || fail "stage made no inbox for $r"
done
# The running container's claude-init: an exclusive flock on the outbox folder for as long
# as it runs (entrypoint/outbox_tree.cc).
python3 -c 'import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY)
fcntl.flock(fd, fcntl.LOCK_EX)
time.sleep(600)' "$RUNS/$UP/outbox" &
INIT_LOCK=$!; CLEANUP_PIDS+=("$INIT_LOCK")
OUTBOX_INODE=$(stat -c %i "$RUNS/$UP/outbox")
lock_listed() { grep -q ":$OUTBOX_INODE " /proc/locks; }
lock_gone() { ! lock_listed; }
wait_for 5 lock_listed || fail "the stand-in claude-init holds no flock on $RUNS/$UP/outbox"

"$CLAUDE_HOST" broker > "$TEST_ROOT/broker1.out" 2> "$TEST_ROOT/broker1.err" &
B1=$!; CLEANUP_PIDS+=("$B1")
wait_for 5 grep -q 'serving as' "$TEST_ROOT/broker1.err" || fail "broker did not serve: $(cat "$TEST_ROOT/broker1.err")"
"$CLAUDE_HOST" status > "$TEST_ROOT/status.out" || fail "status failed"
grep -q "^credential broker: pid $B1 (claude-host broker)" "$TEST_ROOT/status.out" ||
  fail "status does not name the broker: $(cat "$TEST_ROOT/status.out")"
grep -q "^  $UP .*(container running)" "$TEST_ROOT/status.out" || fail "status does not show $UP's container running: $(cat "$TEST_ROOT/status.out")"
grep -q "^  $DOWN .*(container running)" "$TEST_ROOT/status.out" && fail "status shows $DOWN's container running"
pass "claude-host broker serves, and status names it and the running container"

# The staged login is the host's: nothing newer to push until the host logs in again.
host_write "$(creds h1 100)"
wait_for 3 holds "$RUNS/$UP/inbox/.credentials.json" "$(creds h1 100)" ||
  fail "a newer host login did not reach the running run's inbox"
sleep 0.5
[ ! -e "$RUNS/$DOWN/inbox/.credentials.json" ] || fail "a run with no container got the login"
pass "a newer host login reaches the inbox of the run whose claude-init holds its outbox, not the other's"

# The container refreshes (its claude-init publishes the new file into its outbox).
python3 "$OUTBOX_WRITER" "$RUNS/$UP/outbox" put-text .credentials.json "$(creds c1 200)" 600
wait_for 3 holds "$HOST_CREDS" "$(creds c1 200)" || fail "the container's refresh did not reach the host"
pass "the running container's refresh reaches the host store"

# A running container's run is never read back half-way: stage skips it (and says so),
# readback refuses it; the stopped one is read back.
"$CLAUDE_HOST" stage --json > "$TEST_ROOT/stage3.json" 2> "$TEST_ROOT/stage3.err" || fail "stage failed: $(cat "$TEST_ROOT/stage3.err")"
python3 - "$TEST_ROOT/stage3.json" "$UP" "$DOWN" <<'PY' || fail "stage read back a running run, or not the stopped one: $(cat "$TEST_ROOT/stage3.json")"
import json, sys
r, up, down = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3]
assert up not in r["applied_runs"], r["applied_runs"]
assert down in r["applied_runs"], r["applied_runs"]
assert any(up in w and "still running" in w for w in r["warnings"]), r["warnings"]
PY
rc=0; "$CLAUDE_HOST" readback --run "$UP" > "$TEST_ROOT/rb-up.out" 2> "$TEST_ROOT/rb-up.err" || rc=$?
[ "$rc" = 1 ] || fail "readback of a running run exited $rc, not 1"
grep -q "container is still running" "$TEST_ROOT/rb-up.err" || fail "readback does not say why: $(cat "$TEST_ROOT/rb-up.err")"
[ "$(run_state "$UP")" = staged ] || fail "the refused readback changed the run's state"
pass "a run whose container runs is not read back (stage skips it and says so, readback exits 1); the stopped run is"

# A second broker stands by, and takes over when the first stops.
"$CLAUDE_HOST" broker > "$TEST_ROOT/broker2.out" 2> "$TEST_ROOT/broker2.err" &
B2=$!; CLEANUP_PIDS+=("$B2")
wait_for 5 grep -q "standing by; pid $B1 (claude-host broker) is the broker" "$TEST_ROOT/broker2.err" ||
  fail "the second broker does not stand by: $(cat "$TEST_ROOT/broker2.err")"
kill -TERM "$B1"; wait "$B1"; rc=$?
[ "$rc" = 0 ] || fail "broker exited $rc on SIGTERM"
grep -q 'stopped; wrote the newest login to the host 1 time(s) and to running containers 1 time(s)' "$TEST_ROOT/broker1.err" ||
  fail "the broker's last line does not count its writes: $(tail -1 "$TEST_ROOT/broker1.err")"
wait_for 3 grep -q 'serving as' "$TEST_ROOT/broker2.err" || fail "the second broker did not take over"
host_write "$(creds h2 300)"
wait_for 3 holds "$RUNS/$UP/inbox/.credentials.json" "$(creds h2 300)" ||
  fail "after the take-over, a newer host login did not reach the running run"
pass "a second broker stands by, takes over when the first ends (SIGTERM: exit 0, its writes counted)"

# The container stops: its lock is gone, and it gets nothing more.
kill "$INIT_LOCK"; wait "$INIT_LOCK" 2>/dev/null || true
wait_for 5 lock_gone || fail "the stand-in's lock did not go"
sleep 1.2  # the broker refreshes its list of running runs every second
host_write "$(creds h3 400)"
sleep 1.5
holds "$RUNS/$UP/inbox/.credentials.json" "$(creds h2 300)" || fail "a stopped run's inbox still got a login"
pass "a run whose container stopped gets no login"
"$CLAUDE_HOST" readback --run "$UP" > "$TEST_ROOT/rb-up2.out" 2>&1 || fail "readback after the stop failed: $(cat "$TEST_ROOT/rb-up2.out")"
[ "$(run_state "$UP")" = read-back ] || fail "the run is not read back after its container stopped"
holds "$HOST_CREDS" "$(creds h3 400)" || fail "read-back replaced the host's newer login with the container's older one"
pass "once stopped, the run reads back (the host's newer login kept)"
kill -INT "$B2"; wait "$B2" || fail "broker exited $? on SIGINT"
echo "host_broker_compose: all passed"
