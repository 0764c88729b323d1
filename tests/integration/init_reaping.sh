#!/usr/bin/env bash
# Reaping under a storm: 5 000 orphaned grandchildren leave no zombie, with claude-init
# as PID 1 of a fresh pid namespace and as a child subreaper (not PID 1, no warning).
source "$(dirname "$0")/../helpers/init_test_lib.bash"

ORPHANS=5000
for mode in pid1 subreaper; do
  port=$(free_port)
  start_init "$mode" "$WORK/out" --no-sync --health-port "$port" -- "$CHILD" orphans "$ORPHANS" 60
  wait_until 120 grep -q "orphans done" "$WORK/out" || { cat "$WORK/out" >&2; fail "$mode: the orphan maker did not finish"; }
  wait_until 20 bash -c "[ \$(ps -o stat= --ppid $INIT_PID | grep -c '^Z') = 0 ]" \
    || fail "$mode: $(zombies_of "$INIT_PID") zombies left under the init"
  reaped=$(python3 - "$port" <<'PY'
import sys, urllib.request
for line in urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/metrics", timeout=5).read().decode().splitlines():
    if line.startswith("claude_init_zombies_reaped_total "):
        print(line.split()[1])
PY
)
  [ "${reaped:-0}" -ge "$ORPHANS" ] || fail "$mode: /metrics says $reaped reaped, want >= $ORPHANS"
  kill -s TERM "$INIT_PID"
  wait_exit 10
  [ "$EXIT_CODE" = 143 ] || fail "$mode: exit $EXIT_CODE after SIGTERM to a sleeping child, want 143"
  if [ "$mode" = subreaper ]; then
    ! grep -qi "subreaper\|warn" "$WORK/out" || { cat "$WORK/out" >&2; fail "subreaper mode printed a warning"; }
  fi
  pass "$mode: $ORPHANS orphaned grandchildren, 0 zombies, $reaped reaped"
done
echo "init_reaping: all passed"
