#!/usr/bin/env bash
# Bad input stops `claude-host stage` with the file and the fix named, and writes nothing:
# a JSON file that does not parse, a symlink leading out of ~/.claude, a FIFO. Bad
# arguments and a bad settings file are refused too.
source "$(dirname "$0")/../helpers/host_test_lib.sh" "$1"

PROJ="$TEST_ROOT/proj"; mkdir -p "$PROJ"; cd "$PROJ"
make_claude_home "$PROJ" > /dev/null

expect_refusal() {  # NAME PATTERN...: stage must fail, name things, write no run
  local name=$1; shift
  set +e; "$CLAUDE_HOST" stage > "$TEST_ROOT/out.txt" 2>&1; local rc=$?; set -e
  [ "$rc" != 0 ] || fail "$name: stage succeeded"
  local p
  for p in "$@"; do grep -qF -- "$p" "$TEST_ROOT/out.txt" || fail "$name: message lacks '$p': $(cat "$TEST_ROOT/out.txt")"; done
  [ -z "$(ls -A "$HOME/.claude-docker/runs" 2>/dev/null)" ] || fail "$name: a run was written"
  pass "$name refused: $(head -c 160 "$TEST_ROOT/out.txt")"
}

cp "$HOME/.claude/settings.json" "$TEST_ROOT/settings.good"
printf '{"model": "opus",' > "$HOME/.claude/settings.json"
expect_refusal "corrupt JSON" "$HOME/.claude/settings.json" "not valid JSON" "claude-host restore"
cp "$TEST_ROOT/settings.good" "$HOME/.claude/settings.json"

printf '{"numStartups":' > "$HOME/.claude.json.bad"; cp "$HOME/.claude.json" "$TEST_ROOT/cj.good"; mv "$HOME/.claude.json.bad" "$HOME/.claude.json"
expect_refusal "corrupt ~/.claude.json" "$HOME/.claude.json" "not valid JSON"
cp "$TEST_ROOT/cj.good" "$HOME/.claude.json"

ln -s /etc/passwd "$HOME/.claude/commands/escape.md"
expect_refusal "symlink out of the tree" "commands/escape.md" "outside the folder" "exclude"
rm "$HOME/.claude/commands/escape.md"

mkfifo "$HOME/.claude/agents.fifo"
expect_refusal "FIFO" "agents.fifo" "FIFO" "remove it"
rm "$HOME/.claude/agents.fifo"

# An excluded FIFO (inside debug/) is not even looked at.
mkfifo "$HOME/.claude/debug/pipe"
"$CLAUDE_HOST" stage > /dev/null || fail "an excluded FIFO stopped the stage"
pass "excluded special files are skipped"

set +e
"$CLAUDE_HOST" stage --history sometimes > "$TEST_ROOT/out.txt" 2>&1; rc=$?
set -e
[ "$rc" = 2 ] && grep -q "history all" "$TEST_ROOT/out.txt" || fail "bad --history: $rc $(cat "$TEST_ROOT/out.txt")"
set +e; "$CLAUDE_HOST" stage --bogus > "$TEST_ROOT/out.txt" 2>&1; rc=$?; set -e
[ "$rc" = 2 ] && grep -q -- "--bogus" "$TEST_ROOT/out.txt" || fail "unknown option accepted"
mkdir -p "$HOME/.claude-docker"; printf '{"backup_keep_days":"soon"}' > "$HOME/.claude-docker/config.json"
set +e; "$CLAUDE_HOST" status > "$TEST_ROOT/out.txt" 2>&1; rc=$?; set -e
[ "$rc" = 2 ] && grep -q "backup_keep_days" "$TEST_ROOT/out.txt" && grep -q "config.json" "$TEST_ROOT/out.txt" || fail "bad settings: $(cat "$TEST_ROOT/out.txt")"
rm "$HOME/.claude-docker/config.json"
pass "bad arguments and settings are refused with the fix"

for cmd in stage run readback backup restore alerts status doctor; do
  "$CLAUDE_HOST" $cmd --help > "$TEST_ROOT/help.txt" || fail "$cmd --help failed"
  grep -q "usage: claude-host $cmd" "$TEST_ROOT/help.txt" || fail "$cmd --help: $(head -2 "$TEST_ROOT/help.txt")"
done
pass "every subcommand has --help"
