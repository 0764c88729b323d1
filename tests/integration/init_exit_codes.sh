#!/usr/bin/env bash
# claude-init's exit status, as PID 1 and as a subreaper: the child's code, 128+N for a
# signal, 126/127 with a clear message, -e remapping; a static binary that runs with no
# libc; --help kept identical to the README.
source "$(dirname "$0")/../helpers/init_test_lib.bash"

for mode in pid1 subreaper; do
  # expect CODE MESSAGE-REGEX ARGS...
  expect() {
    local want=$1 msg=$2; shift 2
    start_init "$mode" "$WORK/out" "$@"
    wait_exit 10
    [ "$EXIT_CODE" = "$want" ] || { cat "$WORK/out" >&2; fail "$mode: claude-init $* exited $EXIT_CODE, want $want"; }
    if [ -n "$msg" ]; then grep -Eq -- "$msg" "$WORK/out" || { cat "$WORK/out" >&2; fail "$mode: no message /$msg/ for $*"; }; fi
    pass "$mode: $* → $want"
  }
  expect 0 "" -- "$CHILD" exit 0
  expect 3 "" -- "$CHILD" exit 3
  expect 255 "" -- "$CHILD" exit 255
  expect 137 "" -- "$CHILD" die KILL
  expect 139 "" -- "$CHILD" die SEGV
  expect 143 "" -- "$CHILD" die TERM
  expect 127 "cannot run '/nonexistent/cmd': no such file" -- /nonexistent/cmd
  expect 127 "cannot run 'no-such-command-here': not found on PATH" -- no-such-command-here
  printf 'not a program\n' >"$WORK/data.txt"
  chmod 0644 "$WORK/data.txt"
  expect 126 "cannot run '.*data.txt': permission denied" -- "$WORK/data.txt"
  expect 0 "" -e 3 -- "$CHILD" exit 3
  expect 4 "" -e 3 -- "$CHILD" exit 4
  expect 0 "" -e 143 -- "$CHILD" die TERM
  CLAUDE_INIT_EXIT_ZERO=5 expect 0 "" -- "$CHILD" exit 5
  expect 1 "unknown option" --no-such-flag -- "$CHILD" exit 0
  expect 1 "not a loopback address" --health-addr 0.0.0.0 -- "$CHILD" exit 0
done

# With no command, it runs `claude` (found on PATH).
mkdir -p "$WORK/bin"
printf '#!/bin/sh\nexit 42\n' >"$WORK/bin/claude"
chmod +x "$WORK/bin/claude"
rc=0; PATH="$WORK/bin:$PATH" "$INIT" --no-sync || rc=$?
[ "$rc" = 42 ] || fail "with no command, want claude's exit code 42, got $rc"
pass "no command runs claude"

# Fully static, and it runs in a root that has nothing but itself (no libc, no loader).
if [ -z "${CLAUDE_SANITIZE_BUILD:-}" ] && ! grep -q 'CLAUDE_SANITIZE:BOOL=ON' "$BUILD/CMakeCache.txt"; then
  file -L "$INIT" | grep -q 'statically linked' || fail "claude-init is not statically linked: $(file -L "$INIT")"
  pass "file says statically linked"
  root="$WORK/emptyroot"
  mkdir -p "$root"
  cp "$INIT" "$root/claude-init"
  out=$(unshare --mount --root="$root" /claude-init --version) || fail "claude-init --version failed in an empty root"
  [[ "$out" == "claude-init "* ]] || fail "unexpected --version output in an empty root: $out"
  rc=0; out=$(unshare --mount --root="$root" /claude-init health --health-port 1) || rc=$?
  [ "$rc" = 1 ] && [[ "$out" == unhealthy:* ]] || fail "health in an empty root: rc=$rc out=$out"
  [ -z "$(ls "$root" | grep -v '^claude-init$')" ] || fail "the empty root is not empty"
  pass "runs in an empty root with no libc ($(ls "$root"))"
fi

# --help is the README's claude-init reference, word for word.
readme=$(dirname "$0")/../../README.md
"$INIT" --help >"$WORK/help.txt"
awk '/^<!-- claude-init --help -->$/{on=1;next} /^<!-- end claude-init --help -->$/{on=0} on' "$readme" \
  | sed '1{/^```/d};${/^```/d}' >"$WORK/readme-help.txt"
diff -u "$WORK/readme-help.txt" "$WORK/help.txt" || fail "README.md's claude-init --help block differs from --help"
pass "README matches --help"
echo "init_exit_codes: all passed"
