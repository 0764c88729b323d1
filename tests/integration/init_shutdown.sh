#!/usr/bin/env bash
# Shutdown: a child that ignores SIGTERM is SIGKILLed after --grace (not before); when the
# main child exits, what is left of its process group gets SIGTERM, then SIGKILL; the
# init then exits with the child's code.
source "$(dirname "$0")/../helpers/init_test_lib.bash"

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

for mode in pid1 subreaper; do
  rec="$WORK/$mode.stubborn"
  start_init "$mode" "$WORK/out" --no-sync --health-port 0 --grace 1500ms -- "$CHILD" record "$rec" --ignore TERM
  wait_until 5 file_has "$rec" ready || fail "$mode: child not ready"
  t0=$(now_ms)
  kill -s TERM "$INIT_PID"
  wait_exit 10
  elapsed=$(( $(now_ms) - t0 ))
  [ "$EXIT_CODE" = 137 ] || fail "$mode: exit $EXIT_CODE for a child killed after the grace, want 137"
  [ "$elapsed" -ge 1400 ] || fail "$mode: killed after $elapsed ms, before the 1500 ms grace"
  pass "$mode: SIGTERM-ignoring child SIGKILLed after the grace ($elapsed ms), exit 137"

  # A child that honours SIGTERM ends the run at once, long before the grace.
  rec="$WORK/$mode.polite"
  start_init "$mode" "$WORK/out" --no-sync --health-port 0 --grace 20s -- "$CHILD" record "$rec"
  wait_until 5 file_has "$rec" ready || fail "$mode: child not ready"
  kill -s TERM "$INIT_PID"
  wait_exit 10
  [ "$EXIT_CODE" = 0 ] || fail "$mode: exit $EXIT_CODE, want 0"
  pass "$mode: a child that exits on SIGTERM ends the run without waiting for the grace"

  # Leftovers: the main child exits 7 and leaves two members of its group behind.
  for kind in polite stubborn; do
    flag=(); [ "$kind" = stubborn ] && flag=(--ignore-term)
    grp="$WORK/$mode.$kind.left"
    t0=$(now_ms)
    start_init "$mode" "$WORK/out" --no-sync --health-port 0 --grace 1s -- \
      sh -c "'$CHILD' group '$grp' 2 ${flag[*]:-} && exit 7"
    wait_exit 10
    elapsed=$(( $(now_ms) - t0 ))
    [ "$EXIT_CODE" = 7 ] || fail "$mode: exit $EXIT_CODE, want the main child's 7"
    file_has "$grp.0" TERM && file_has "$grp.1" TERM || fail "$mode: leftovers did not get SIGTERM"
    ! pgrep -f "init_test_child group $grp" >/dev/null || fail "$mode: leftovers still running after the init exited"
    if [ "$kind" = stubborn ]; then
      [ "$elapsed" -ge 900 ] || fail "$mode: stubborn leftovers killed after $elapsed ms, before the 1 s grace"
    fi
  done
  pass "$mode: group leftovers get SIGTERM, the stubborn ones SIGKILL, exit code kept"
done
echo "init_shutdown: all passed"
