# Shared by tests/integration/sync_*.sh: starts claude-init as PID 1 of a fresh pid
# namespace with a live dir and an outbox in the scratch folder, and checks outboxes with
# tests/helpers/sync_outbox_check. Source it with the build folder as $1.
source "$(dirname "${BASH_SOURCE[0]}")/../helpers/init_test_lib.bash"

CHECK=$BUILD/tests/sync_outbox_check
[ -x "$CHECK" ] || fail "$CHECK not built"
LIVE=$WORK/live
OUTBOX=$WORK/outbox
STAGE=$WORK/no-stage
mkdir -p "$LIVE" "$OUTBOX"

# start_sync [ARGS...]: claude-init with `sleep infinity` as the child; waits for /readyz
# (SYNC_READY_SECONDS, 20 by default).
start_sync() {
  PORT=$(free_port)
  start_init pid1 "$WORK/init.log" --stage "$STAGE" --outbox "$OUTBOX" --live-dir "$LIVE" \
    --health-port "$PORT" "$@" -- sleep infinity
  wait_until "${SYNC_READY_SECONDS:-20}" curl -sf "http://127.0.0.1:$PORT/readyz" -o /dev/null ||
    { cat "$WORK/init.log" >&2; fail "the init never became ready within ${SYNC_READY_SECONDS:-20} s"; }
}

# stop_sync: SIGTERM, then the init's own final flush and report; fails on a bad exit.
stop_sync() {
  kill -TERM "$INIT_PID"
  wait_exit 15
  [ "$EXIT_CODE" = 143 ] || [ "$EXIT_CODE" = 0 ] || { cat "$WORK/init.log" >&2; fail "init exited $EXIT_CODE"; }
}

# barrier: `claude-init sync` — everything changed before it is published when it returns.
# The endpoint comes up shortly after the child starts, so a barrier right after start
# retries until the init answers (and its flush completes).
barrier() { wait_until 20 "$INIT" sync --health-port "$PORT" >/dev/null 2>&1; }

# outbox_matches_live: the outbox equals the live dir (no path mapping) and its journal.
outbox_matches_live() { "$CHECK" "$OUTBOX" --live "$LIVE"; }

# health_json: the /status document.
health_json() { curl -s "http://127.0.0.1:$PORT/status"; }

# files_in DIR N: DIR holds exactly N entries (evaluated at each poll).
files_in() { [ "$(ls "$1" 2>/dev/null | wc -l)" = "$2" ]; }
# lines_in FILE N: FILE has exactly N lines.
lines_in() { [ "$(wc -l <"$1" 2>/dev/null)" = "$2" ]; }
# wait_slow SECONDS CMD...: like wait_until, polling every 0.5 s (for checks that walk big trees).
wait_slow() {
  local deadline=$(( $(date +%s%N) + $1 * 1000000000 )); shift
  until "$@" 2>/dev/null; do
    [ "$(date +%s%N)" -lt "$deadline" ] || return 1
    sleep 0.5
  done
}
