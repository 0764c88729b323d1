# Shared by tests/integration/init_*.sh: paths, a scratch folder, process bookkeeping and
# polling with deadlines (no fixed sleeps). Source it with the build folder as $1.
set -euo pipefail

BUILD=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
INIT=$BUILD/entrypoint/claude-init
CHILD=$BUILD/tests/init_test_child
[ -x "$INIT" ] || { echo "FAIL: $INIT not built" >&2; exit 1; }
[ -x "$CHILD" ] || { echo "FAIL: $CHILD not built" >&2; exit 1; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/claude-init-test.XXXXXX")
BACKGROUND=()

cleanup() {
  local p
  for p in "${BACKGROUND[@]:-}"; do
    [ -n "$p" ] && kill -KILL "$p" 2>/dev/null || true
  done
  for p in "${BACKGROUND[@]:-}"; do
    [ -n "$p" ] && wait "$p" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok - $*"; }

# wait_until SECONDS CMD...: polls CMD every 20 ms until it succeeds; false on timeout.
wait_until() {
  local deadline=$(( $(date +%s%N) + $1 * 1000000000 )); shift
  until "$@" 2>/dev/null; do
    [ "$(date +%s%N)" -lt "$deadline" ] || return 1
    sleep 0.02
  done
}

# A free loopback port for a health endpoint.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start_init MODE OUT ARGS...: starts claude-init with ARGS in the background, as PID 1 of a
# fresh pid namespace (MODE=pid1) or as a plain subreaper (MODE=subreaper), stdout and
# stderr to OUT. Sets LAUNCHER (the pid to wait for) and INIT_PID (the init's host pid).
start_init() {
  local mode=$1 out=$2; shift 2
  if [ "$mode" = pid1 ]; then
    unshare --pid --fork --mount-proc --kill-child "$INIT" "$@" >"$out" 2>&1 &
    LAUNCHER=$!
    BACKGROUND+=("$LAUNCHER")
    # A short-lived run may be over before it is seen; then there is nothing to signal.
    wait_until 5 bash -c "pgrep -P $LAUNCHER >/dev/null || ! kill -0 $LAUNCHER" || fail "the init did not start under unshare"
    INIT_PID=$(pgrep -P "$LAUNCHER" | head -1 || true)
  else
    "$INIT" "$@" >"$out" 2>&1 &
    LAUNCHER=$!
    BACKGROUND+=("$LAUNCHER")
    INIT_PID=$LAUNCHER
  fi
}

# wait_exit SECONDS: waits for LAUNCHER; sets EXIT_CODE; fails on timeout.
wait_exit() {
  wait_until "$1" bash -c "! kill -0 $LAUNCHER" || fail "the init did not exit within $1 s"
  EXIT_CODE=0
  wait "$LAUNCHER" || EXIT_CODE=$?
}

# The number of zombie children of a pid.
zombies_of() { ps -o stat= --ppid "$1" 2>/dev/null | grep -c '^Z' || true; }

# file_has FILE LINE: FILE contains LINE as a whole line.
file_has() { grep -qx -- "$2" "$1" 2>/dev/null; }
