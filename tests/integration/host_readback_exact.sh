#!/usr/bin/env bash
# A real user's home comes back exactly: a session log is an append-only byte stream, so
# read-back appends exactly the bytes the container appended after the staged prefix
# (repeated identical lines, A->B->A state lines, a host append during the run); a log the
# container rotated is kept beside, nothing lost; any run read back again, in any order,
# changes nothing and takes no backup; a container that deletes in bulk (or a session log)
# has its deletions held until --accept-deletes.
source "$(dirname "$0")/../helpers/host_test_lib.sh" "$1"

PROJ="$TEST_ROOT/work/proj"; mkdir -p "$PROJ"
ENC=$(make_claude_home "$PROJ")
cd "$PROJ"
LOGS="$HOME/.claude/projects/$ENC"
printf '{"cwd":"%s","uuid":"r1"}\n{"cwd":"%s","uuid":"r2"}\n' "$PROJ" "$PROJ" > "$LOGS/s2.jsonl"
snapshots() { ls "$HOME/.claude-docker/backups/snapshots" 2>/dev/null | wc -l; }
listing() {  # every path, type, mode, size, mtime and target under the Claude state and the logs
  (cd "$HOME" && find .claude .claude.json -printf '%p %y %m %s %T@ %l\n' 2>/dev/null | sort)
}
stage_run() {
  "$CLAUDE_HOST" stage --json > "$TEST_ROOT/stage.json" || fail "stage failed"
  RUN=$(json_get "$TEST_ROOT/stage.json" '["run_id"]')
  STAGE="$HOME/.claude-docker/runs/$RUN/stage"
  OUTBOX="$HOME/.claude-docker/runs/$RUN/outbox"
  W="python3 $OUTBOX_WRITER $OUTBOX"
  $W begin "$RUN" "$(json_get "$TEST_ROOT/stage.json" '["trace_id"]')"
}
readback() {  # RUN EXPECTED_STATUS [ARGS...]
  local run=$1 want=$2; shift 2
  set +e; "$CLAUDE_HOST" readback --run "$run" "$@" > "$TEST_ROOT/rb.txt" 2>&1; local rc=$?; set -e
  [ "$rc" = "$want" ] || fail "readback --run $run $*: exit $rc, wanted $want: $(cat "$TEST_ROOT/rb.txt")"
}

# --- run 1: appends with repeated lines, a host append meanwhile, a rotated log ---------------
stage_run; R1=$RUN
cp "$STAGE/tree/projects/$ENC/s1.jsonl" "$TEST_ROOT/s1.jsonl"
$W put "projects/$ENC/s1.jsonl" "$TEST_ROOT/s1.jsonl" 600   # the init's first publish of a file is a put
L='{"type":"mode","mode":"default"}'; A='{"type":"state","s":"A"}'; B='{"type":"state","s":"B"}'
ADDED=$(printf '%s\n%s\n%s\n%s\n%s\n%s\n' "$L" "$L" "$A" "$B" "$A" "$L")
$W append "projects/$ENC/s1.jsonl" "$ADDED"$'\n'
printf '{"cwd":"%s","uuid":"host"}\n' "$PROJ" >> "$LOGS/s1.jsonl"   # the host's CLI appends meanwhile
HOST_BEFORE=$(cat "$LOGS/s1.jsonl")
$W put-text "projects/$ENC/s2.jsonl" '{"rotated":true}'$'\n' 600   # not the staged prefix: rotated
$W put-text "projects/$ENC/new.jsonl" "$L"$'\n'"$L"$'\n' 600
cp "$LOGS/s2.jsonl" "$TEST_ROOT/s2.before"
readback "$R1" 3
python3 - "$LOGS/s1.jsonl" "$TEST_ROOT" <<PY || fail "s1.jsonl is not the host's bytes followed by exactly the container's"
import sys
got = open(sys.argv[1], "rb").read()
want = open("$TEST_ROOT/s1.jsonl", "rb").read() + b'{"cwd":"$PROJ","uuid":"host"}\n' + """$ADDED""".encode() + b"\n"
assert got == want, (got, want)
PY
[ "$(grep -c '"mode":"default"' "$LOGS/s1.jsonl")" = 3 ] || fail "repeated identical lines were dropped"
cmp -s "$LOGS/s2.jsonl" "$TEST_ROOT/s2.before" || fail "a rotated container log changed the host's copy"
[ "$(cat "$LOGS/s2.jsonl.container-$R1")" = '{"rotated":true}' ] || fail "the rotated log was not kept beside"
grep -q "rotated or truncated" "$TEST_ROOT/rb.txt" || fail "the rotated log was not reported: $(cat "$TEST_ROOT/rb.txt")"
[ "$(grep -c '"mode":"default"' "$LOGS/new.jsonl")" = 2 ] || fail "a new log lost its repeated lines"
pass "run 1: exact appends (3 identical lines kept, A->B->A kept), host append kept first, rotated log kept beside"

# --- a second read-back of run 1 changes nothing and takes no backup -------------------------
before=$(listing); snaps=$(snapshots)
readback "$R1" 0
[ "$(listing)" = "$before" ] || fail "a second read-back changed the home: $(diff <(echo "$before") <(listing))"
[ "$(snapshots)" = "$snaps" ] || fail "a second read-back took a backup"
grep -q "nothing to change" "$TEST_ROOT/rb.txt" || fail "second read-back: $(cat "$TEST_ROOT/rb.txt")"
pass "reading run 1 back again changes nothing and takes no backup"

# --- run 2 appends more; then both runs are read back again, in either order ----------------
stage_run; R2=$RUN
cp "$STAGE/tree/projects/$ENC/s1.jsonl" "$TEST_ROOT/s1.r2"
$W put "projects/$ENC/s1.jsonl" "$TEST_ROOT/s1.r2" 600
$W append "projects/$ENC/s1.jsonl" "$L"$'\n'
printf '{"model":"sonnet"}\n' > "$TEST_ROOT/settings.r2"
$W put settings.json "$TEST_ROOT/settings.r2" 600
readback "$R2" 0
[ "$(tail -n 1 "$LOGS/s1.jsonl")" = "$L" ] && [ "$(grep -c '"mode":"default"' "$LOGS/s1.jsonl")" = 4 ] ||
  fail "run 2 append: $(cat "$LOGS/s1.jsonl"; cat "$TEST_ROOT/rb.txt")"
before=$(listing); snaps=$(snapshots)
for r in "$R1" "$R2" "$R1"; do readback "$r" 0; done
[ "$(listing)" = "$before" ] || fail "reading older runs back again changed the home: $(diff <(echo "$before") <(listing))"
[ "$(snapshots)" = "$snaps" ] || fail "reading older runs back again took a backup"
pass "after a later run, reading runs 1 and 2 back again (any order) changes nothing"

# --- run 3: the container deletes its config in bulk ------------------------------------------
stage_run; R3=$RUN
for f in settings.json CLAUDE.md commands/review.md "projects/$ENC/s1.jsonl"; do $W delete "$f"; done
before=$(listing)
readback "$R3" 3
[ "$(listing)" = "$before" ] || fail "held deletions changed the home"
grep -q "deletions HELD (4)" "$TEST_ROOT/rb.txt" && grep -q -- "--accept-deletes" "$TEST_ROOT/rb.txt" ||
  fail "held deletions not reported: $(cat "$TEST_ROOT/rb.txt")"
[ -f "$HOME/.claude/settings.json" ] && [ -f "$LOGS/s1.jsonl" ] || fail "a held deletion was applied"
readback "$R3" 0 --accept-deletes
[ ! -e "$HOME/.claude/settings.json" ] && [ ! -e "$HOME/.claude/CLAUDE.md" ] && [ ! -e "$LOGS/s1.jsonl" ] ||
  fail "--accept-deletes did not apply them: $(cat "$TEST_ROOT/rb.txt")"
before=$(listing)
readback "$R3" 0
[ "$(listing)" = "$before" ] || fail "a third read-back of run 3 changed the home"
pass "bulk deletions (a session log among them) held, applied with --accept-deletes, once"
