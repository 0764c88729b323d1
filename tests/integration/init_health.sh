#!/usr/bin/env bash
# The health endpoint and `claude-init health`: /healthz /readyz /metrics /status answer
# on loopback only; health exits 0/1 with a one-line reason, and 1 at once when no init
# is running; child-probe failures make the run unhealthy after N in a row, timeouts
# count as failures, a success heals it; POST /sync and `claude-init sync` answer.
source "$(dirname "$0")/../helpers/init_test_lib.bash"

get() { python3 -c 'import sys,urllib.request,urllib.error
try:
    r=urllib.request.urlopen(sys.argv[1],timeout=5); print(r.status); print(r.read().decode(),end="")
except urllib.error.HTTPError as e:
    print(e.code); print(e.read().decode(),end="")' "$1"; }

# No init listening: exit 1 with a reason, at once.
port=$(free_port)
t0=$(date +%s%N)
rc=0; out=$("$INIT" health --health-port "$port") || rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$rc" = 1 ] || fail "health with no init: exit $rc"
[ "$(echo "$out" | wc -l)" = 1 ] && [[ "$out" == "unhealthy: no answer from claude-init"*"Connection refused"* ]] || fail "health with no init said: $out"
[ "$ms" -lt 1000 ] || fail "health with no init took $ms ms"
pass "no init: health exits 1 in $ms ms: $out"

for mode in pid1 subreaper; do
  port=$(free_port)
  probe="$WORK/probe.sh"
  echo 'exit 0' >"$probe"
  start_init "$mode" "$WORK/out" --no-sync --health-port "$port" --probe-cmd "sh $probe" \
    --probe-interval 150ms --probe-timeout 100ms --probe-failures 3 -- "$CHILD" sleep 60
  base="http://127.0.0.1:$port"
  wait_until 5 "$INIT" health --health-port "$port" >/dev/null || { cat "$WORK/out" >&2; fail "$mode: never healthy"; }
  out=$("$INIT" health --health-port "$port")
  [ "$out" = ok ] || fail "$mode: health said '$out'"
  ss -ltn | grep -q "127.0.0.1:$port " || fail "$mode: not listening on 127.0.0.1:$port"
  ! ss -ltn | grep -q "0.0.0.0:$port \|\*:$port " || fail "$mode: listening beyond loopback"
  [ "$(get "$base/healthz")" = $'200\nok' ] || fail "$mode: /healthz: $(get "$base/healthz")"
  [ "$(get "$base/readyz")" = $'200\nready' ] || fail "$mode: /readyz: $(get "$base/readyz")"
  metrics=$(get "$base/metrics")
  for m in claude_init_uptime_seconds claude_init_child_restarts_total claude_init_zombies_reaped_total \
           claude_init_signals_forwarded_total claude_init_health_status claude_init_probe_runs_total; do
    grep -q "^$m " <<<"$metrics" || fail "$mode: /metrics lacks $m"
  done
  # The child's pid as the init sees it (its own namespace's numbering under pid1).
  grep -q "^claude_init_child_pid [1-9]" <<<"$metrics" || fail "$mode: /metrics child pid"
  status=$(get "$base/status" | tail -n +2)
  python3 -c 'import json,sys; j=json.loads(sys.argv[1]); assert j["status"]=="ok" and j["ready"] and j["phase"]=="running" and j["child_pid"]>0, j' "$status" \
    || fail "$mode: /status: $status"
  "$INIT" health --json --health-port "$port" | python3 -c 'import json,sys; assert json.load(sys.stdin)["status"]=="ok"' \
    || fail "$mode: health --json"
  pass "$mode: /healthz /readyz /metrics /status answer on 127.0.0.1 only; health says ok"

  # Probe failures: degraded until 3 in a row, then unhealthy (exit 1). The init logs each
  # change of level, which shows the order without racing the probe's timer.
  echo 'exit 1' >"$probe"
  wait_until 10 bash -c "! '$INIT' health --health-port $port >/dev/null" || fail "$mode: never unhealthy"
  grep -q "probe degraded: probe 'sh $probe' exited with 1 (1 consecutive failure, unhealthy at 3)" "$WORK/out" \
    || { cat "$WORK/out" >&2; fail "$mode: the first failure did not make it degraded"; }
  grep -q "probe unhealthy: probe 'sh $probe' exited with 1 (3 consecutive failures, unhealthy at 3)" "$WORK/out" \
    || { cat "$WORK/out" >&2; fail "$mode: not unhealthy at the third failure"; }
  rc=0; out=$("$INIT" health --health-port "$port") || rc=$?
  [ "$rc" = 1 ] && [[ "$out" =~ ^unhealthy:\ probe:\ probe\ .*exited\ with\ 1\ \(([0-9]+)\ consecutive ]] \
    || fail "$mode: unhealthy health said (rc=$rc): $out"
  [ "${BASH_REMATCH[1]}" -ge 3 ] || fail "$mode: unhealthy after only ${BASH_REMATCH[1]} failures"
  r=$(get "$base/healthz")
  [ "${r%%$'\n'*}" = 503 ] || fail "$mode: /healthz not 503 when unhealthy: $r"
  rc=0; "$INIT" health --json --health-port "$port" >/dev/null || rc=$?
  [ "$rc" = 1 ] || fail "$mode: health --json exit $rc when unhealthy"
  pass "$mode: probe failures → degraded, unhealthy after 3 in a row: $out"

  echo 'exit 0' >"$probe"
  wait_until 5 "$INIT" health --health-port "$port" >/dev/null || fail "$mode: a passing probe did not heal the run"
  echo 'sleep 5' >"$probe"
  wait_until 5 bash -c "'$INIT' health --health-port $port | grep -q '^unhealthy: probe: .*timed out after 100ms'" \
    || fail "$mode: probe timeouts not reported"
  pass "$mode: a passing probe heals; a probe past its timeout is killed and counts as a failure"

  out=$("$INIT" sync --health-port "$port") || fail "$mode: claude-init sync failed: $out"
  [ "$out" = "sync complete" ] || fail "$mode: sync said $out"
  [ "$(python3 -c 'import sys,urllib.request; print(urllib.request.urlopen(urllib.request.Request(sys.argv[1], method="POST"), timeout=5).read().decode().strip())' "$base/sync")" = '{"complete":true}' ] \
    || fail "$mode: POST /sync"
  pass "$mode: POST /sync and claude-init sync complete"

  kill -s TERM "$INIT_PID"
  wait_exit 10
  [ "$EXIT_CODE" = 143 ] || fail "$mode: exit $EXIT_CODE"
  rc=0; "$INIT" health --health-port "$port" >/dev/null || rc=$?
  [ "$rc" = 1 ] || fail "$mode: health after the init exited: $rc"
done

# Degraded is still healthy for Docker: exit 0 with the reason.
port=$(free_port)
start_init subreaper "$WORK/out" --no-sync --health-port "$port" --probe-cmd "exit 1" \
  --probe-interval 150ms --probe-timeout 100ms --probe-failures 1000 -- "$CHILD" sleep 60
wait_until 10 bash -c "'$INIT' health --health-port $port | grep -q '^degraded: probe: '" || fail "never degraded"
rc=0; out=$("$INIT" health --health-port "$port") || rc=$?
[ "$rc" = 0 ] && [[ "$out" == "degraded: probe: probe 'exit 1' exited with 1 ("*"unhealthy at 1000)" ]] \
  || fail "degraded health: rc=$rc $out"
kill -s TERM "$INIT_PID"
wait_exit 10
pass "degraded (failures below the threshold) exits 0 with the reason: $out"

# A taken port does not stop the init: it runs its child with the endpoint off.
port=$(free_port)
python3 -c 'import socket,sys,time; s=socket.socket(); s.bind(("127.0.0.1",int(sys.argv[1]))); s.listen(); time.sleep(30)' "$port" &
BACKGROUND+=($!)
wait_until 5 bash -c "ss -ltn | grep -q ':$port '"
# (The child outlives the endpoint's start, 50 ms after its own.)
rc=0; "$INIT" --no-sync --health-port "$port" -- sh -c 'sleep 0.5; exit 4' 2>"$WORK/err" || rc=$?
[ "$rc" = 4 ] && grep -q "health endpoint off: bind health endpoint '127.0.0.1:$port'" "$WORK/err" \
  || fail "taken port: rc=$rc $(cat "$WORK/err")"
pass "a taken port turns the endpoint off with a warning; the child still runs"
# The child comes first: a plain init (--no-sync, or no stage and no outbox) starts it
# before the health endpoint's threads and socket, and a short command is over before
# they would come up at all.
for args in "--no-sync" "--stage $WORK/no-stage --outbox $WORK/no-outbox"; do
  for mode in pid1 subreaper; do
    port=$(free_port)
    start_init "$mode" "$WORK/out" $args --health-port "$port" -- "$CHILD" parent
    wait_exit 10
    [ "$EXIT_CODE" = 0 ] && grep -qx "threads 1 sockets 0" "$WORK/out" || { cat "$WORK/out" >&2; fail "$mode $args: at the child's start the init was: $(cat "$WORK/out")"; }
  done
  pass "$args: the child starts while the init is one thread with no socket"
done
echo "init_health: all passed"
