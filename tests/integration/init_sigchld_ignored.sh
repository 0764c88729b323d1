#!/usr/bin/env bash
# A parent that ignores SIGCHLD hands the ignore down: the kernel would then reap the
# init's children itself and send no SIGCHLD. The init runs with SIGCHLD at its default
# whatever it inherited, as PID 1 and not: the exit status comes through, the child still
# sees SIGCHLD ignored (as it would run directly), and a stopped run logs the exit code
# it exits with.
source "$(dirname "$0")/../helpers/init_test_lib.bash"

# ignoring CMD...: runs CMD with SIGCHLD ignored (only CMD: the shell waiting for it keeps
# the default, or it could not learn the exit status either).
cat >"$WORK/ignoring" <<'PY'
#!/usr/bin/env python3
import os, signal, sys
signal.signal(signal.SIGCHLD, signal.SIG_IGN)
os.execv(sys.argv[1], sys.argv[1:])
PY
chmod +x "$WORK/ignoring"
# The same as PID 1 of a fresh pid namespace (unshare keeps the default, to wait).
printf '#!/bin/sh\nexec unshare --pid --fork --mount-proc --kill-child "%s" "$@"\n' "$WORK/ignoring" >"$WORK/ignoring_pid1"
chmod +x "$WORK/ignoring_pid1"

for mode in pid1 subreaper; do
  run=$WORK/ignoring; [ "$mode" = pid1 ] && run=$WORK/ignoring_pid1
  code=0
  timeout -s KILL 10 "$run" "$INIT" --no-sync --health-port 0 -- sh -c 'exit 7' >"$WORK/out" 2>&1 || code=$?
  [ "$code" = 7 ] || { cat "$WORK/out" >&2; fail "$mode: exit $code for a child that exited 7 (137: hung and killed)"; }
  code=0
  timeout -s KILL 10 "$run" "$INIT" --no-sync --health-port 0 -- "$CHILD" die USR1 >"$WORK/out" 2>&1 || code=$?
  [ "$code" = $((128 + 10)) ] || fail "$mode: exit $code for a child killed by SIGUSR1 (138 expected)"
  pass "$mode: with SIGCHLD inherited ignored, exit 7 and 138 (SIGUSR1) come through"

  # The child's ignored set as /proc shows it, via the init and directly, under the same ignore.
  via=$(timeout -s KILL 10 "$run" "$INIT" --no-sync --health-port 0 -- "$CHILD" mask | grep SigIgn)
  direct=$("$WORK/ignoring" "$CHILD" mask | grep SigIgn)
  [ -n "$direct" ] && [ "$via" = "$direct" ] || fail "$mode: the child's ignored set via the init ($via) differs from a direct run ($direct)"
  (( 0x${via##*[[:space:]]} & (1 << 16) )) || fail "$mode: SIGCHLD (bit 17) is not ignored in the child: $via"
  pass "$mode: the child starts with SIGCHLD ignored, as inherited ($via)"

  # Stopped by SIGTERM: the child exits 0 on it and is reaped at once (no grace period
  # spent waiting for a SIGCHLD that never comes); the logged exit code is the real one.
  rec="$WORK/$mode.rec"
  "$run" "$INIT" --no-sync --health-port 0 --grace 3s -v -- "$CHILD" record "$rec" >"$WORK/out" 2>&1 &
  LAUNCHER=$!
  BACKGROUND+=("$LAUNCHER")
  wait_until 5 file_has "$rec" ready || fail "$mode: child not ready"
  # The init: the launcher's child in a namespace (unshare forks it), the launcher otherwise.
  INIT_PID=$LAUNCHER
  [ "$mode" = pid1 ] && INIT_PID=$(pgrep -P "$LAUNCHER" | head -1)
  start=$(date +%s%N)
  kill -TERM "$INIT_PID"
  wait_exit 10
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  file_has "$rec" TERM || fail "$mode: SIGTERM not forwarded"
  logged=$(sed -n 's/.*exiting \([0-9]*\) after.*/\1/p' "$WORK/out" | tail -1)
  [ "$EXIT_CODE" = 0 ] && [ "$logged" = 0 ] || { cat "$WORK/out" >&2; fail "$mode: exit $EXIT_CODE, logged 'exiting $logged' (0 and 0 expected)"; }
  [ "$ms" -lt 2500 ] || fail "$mode: the stop took $ms ms: the child's exit was not seen before the 3 s grace ran out"
  pass "$mode: SIGTERM stops it in $ms ms, exiting 0 as logged"
done
echo "init_sigchld_ignored: all passed"
