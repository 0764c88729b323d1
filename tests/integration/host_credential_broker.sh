#!/usr/bin/env bash
# The credential broker, at the file level (a stand-in `docker`, no engine): three
# `claude-host run` of one home, each container publishing .credentials.json into its outbox
# the way claude-init does (temp + rename), plus a host-side writer playing the host's
# `claude`. A refresh in A reaches B's and C's inboxes and the host file within 1 s; then B
# refreshes, then the host; an older expiresAt arriving late never wins; SIGKILL of the
# broker's process hands the role to another run and nothing is lost. Last, read-back: an
# older container copy never overwrites a newer host one.
source "$(dirname "$0")/../helpers/host_test_lib.sh" "$1"

BIN="$TEST_ROOT/bin"; mkdir -p "$BIN"
ln -s "$HELPERS/host_fake_docker.sh" "$BIN/docker"
export PATH="$BIN:$PATH"
PROJ="$TEST_ROOT/work/app"; mkdir -p "$PROJ"; cd "$PROJ"
make_claude_home "$PROJ" > /dev/null

# The container: says where its folders are, then waits for its stop file.
cat > "$TEST_ROOT/container.sh" <<'SH'
#!/usr/bin/env bash
set -euo pipefail
python3 "$OUTBOX_WRITER" "$OUTBOX" begin "$RUN_ID" "$TRACE_ID"
printf '%s\n%s\n%s\n' "$OUTBOX" "$INBOX" "$RUN_ID" > "$TEST_ROOT/ready-$NAME.tmp"
mv "$TEST_ROOT/ready-$NAME.tmp" "$TEST_ROOT/ready-$NAME"
until [ -e "$TEST_ROOT/stop-$NAME" ]; do sleep 0.05; done
SH
chmod +x "$TEST_ROOT/container.sh"
export FAKE_CONTAINER="$TEST_ROOT/container.sh" OUTBOX_WRITER TEST_ROOT

declare -A PID OUTBOX INBOX
for n in A B C; do
  NAME=$n "$CLAUDE_HOST" run > "$TEST_ROOT/run-$n.out" 2> "$TEST_ROOT/run-$n.err" &
  PID[$n]=$!; CLEANUP_PIDS+=("${PID[$n]}")
done
stop_all() { for n in A B C; do touch "$TEST_ROOT/stop-$n"; done; }
trap 'stop_all; cleanup' EXIT
for n in A B C; do
  wait_for 20 test -e "$TEST_ROOT/ready-$n" || fail "run $n did not start: $(cat "$TEST_ROOT/run-$n.err")"
  OUTBOX[$n]=$(sed -n 1p "$TEST_ROOT/ready-$n"); INBOX[$n]=$(sed -n 2p "$TEST_ROOT/ready-$n")
  [ -n "${INBOX[$n]}" ] || fail "run $n has no inbox mounted"
  [ "$(stat -c %a "${INBOX[$n]}")" = 700 ] || fail "inbox of $n is not 0700"
done
pass "three runs of one home, each with its own inbox (0700)"

LOCK="$HOME/.claude-docker/credential-broker.lock"
holder() { sed -n 's/^pid \([0-9]*\).*/\1/p' "$LOCK" 2>/dev/null; }
wait_for 5 test -n "$(holder)" || fail "no broker took $LOCK"
H=$(holder)
case " ${PID[A]} ${PID[B]} ${PID[C]} " in *" $H "*) ;; *) fail "the broker ($H) is none of the runs";; esac
"$CLAUDE_HOST" status > "$TEST_ROOT/status.out" || fail "status failed"
grep -q "^credential broker: pid $H (claude-host run " "$TEST_ROOT/status.out" || fail "status does not name the broker: $(cat "$TEST_ROOT/status.out")"
pass "one broker elected by flock: pid $H (status names it)"

publish() { python3 "$OUTBOX_WRITER" "${OUTBOX[$1]}" put-text .credentials.json "$2" 600; }
# everywhere_within MS TEXT PLACES...: every place holds TEXT within MS milliseconds; prints
# the time it took.
everywhere_within() {
  local ms=$1 text=$2; shift 2
  local start; start=$(date +%s%N)
  local p
  while true; do
    local all=1
    for p in "$@"; do holds "$p" "$text" || { all=0; break; }; done
    [ $all = 1 ] && { echo $(( ($(date +%s%N) - start) / 1000000 )); return 0; }
    [ $(( $(date +%s%N) - start )) -lt $(( ms * 1000000 )) ] || { echo "missing: $p" >&2; return 1; }
    sleep 0.01
  done
}

# 1. A refreshes.
C1=$(creds STEP1A 600)
publish A "$C1"
t=$(everywhere_within 1000 "$C1" "${INBOX[B]}/.credentials.json" "${INBOX[C]}/.credentials.json" "$HOST_CREDS") \
  || fail "A's refresh did not reach B, C and the host within 1 s"
for n in B C; do [ "$(stat -c %a "${INBOX[$n]}/.credentials.json")" = 600 ] || fail "inbox copy of $n not 0600"; done
ls -a "${INBOX[B]}" | grep -q '\.tmp\.' && fail "a temp file was left in B's inbox"
pass "A's refresh reached B, C and the host file in $t ms"

# 2. B refreshes.
C2=$(creds STEP2B 1200)
publish B "$C2"
t=$(everywhere_within 1000 "$C2" "${INBOX[A]}/.credentials.json" "${INBOX[C]}/.credentials.json" "$HOST_CREDS") \
  || fail "B's refresh did not reach A, C and the host within 1 s"
pass "B's refresh reached A, C and the host file in $t ms"

# 3. The host's claude refreshes.
C3=$(creds STEP3HOST 1800)
host_write "$C3"
t=$(everywhere_within 1000 "$C3" "${INBOX[A]}/.credentials.json" "${INBOX[B]}/.credentials.json" "${INBOX[C]}/.credentials.json") \
  || fail "the host's refresh did not reach A, B and C within 1 s"
pass "the host's refresh reached A, B and C in $t ms"

# 4. An older expiresAt arriving late (C publishes a copy older than the host's) never wins,
#    nor does the host writing an older copy back over a newer one in the inboxes.
STALE=$(creds STALE 900)
publish C "$STALE"
sleep 1.5
holds "$HOST_CREDS" "$C3" || fail "the stale copy from C reached the host: $(cat "$HOST_CREDS")"
for n in A B; do holds "${INBOX[$n]}/.credentials.json" "$C3" || fail "the stale copy reached $n's inbox"; done
holds "${INBOX[C]}/.credentials.json" "$C3" || fail "C's inbox lost the newest login"
python3 - "${OUTBOX[C]}/tree/.credentials.json" "${INBOX[C]}/.credentials.json" <<'PY' || fail "C wrote an older login over the newest, and its inbox was not given the newest again"
import os, sys
assert os.stat(sys.argv[2]).st_mtime_ns >= os.stat(sys.argv[1]).st_mtime_ns
PY
host_write "$(creds STALEHOST 300)"
sleep 1.5
for n in A B C; do holds "${INBOX[$n]}/.credentials.json" "$C3" || fail "the host's stale copy reached $n's inbox"; done
holds "$HOST_CREDS" "$C3" || fail "the host store was not given back the newest login"
pass "an older expiresAt arriving late never wins (and the host gets the newest back)"

# 4a. A compromised container plants a "login" that says it expires in 30 days: newest by
#     expiresAt, it would win over every later login of the user. It is never passed on,
#     and is named (warning, credentials_refused event) without a token.
PLANTED=$(creds PLANTED $(( 30 * 24 * 3600 )))
publish C "$PLANTED"
sleep 1.5
holds "$HOST_CREDS" "$C3" || fail "the planted login reached the host: $(cat "$HOST_CREDS")"
for n in A B; do holds "${INBOX[$n]}/.credentials.json" "$C3" || fail "the planted login reached $n's inbox"; done
grep -q '"credentials_refused"' "$HOME/.claude-docker-events.jsonl" ||
  fail "no credentials_refused event: $(tail -3 "$HOME/.claude-docker-events.jsonl")"
! grep -q PLANTED "$HOME/.claude-docker-events.jsonl" || fail "a token of the planted login is in the events log"
C3B=$(creds STEP3B 1900)
publish B "$C3B"
t=$(everywhere_within 1000 "$C3B" "${INBOX[A]}/.credentials.json" "${INBOX[C]}/.credentials.json" "$HOST_CREDS") \
  || fail "B's next refresh did not pass the planted copy within 1 s"
C3=$C3B
pass "a planted login (expiresAt 30 days ahead) is refused and named; B's next refresh still reaches everyone in $t ms"

# 4b. A stage never takes credentials older than the broker's newest: with the broker
#     frozen (SIGSTOP), A publishes a newer login that has not reached the host yet; a new
#     stage takes A's, and says how fresh it is.
H=$(holder)
kill -STOP "$H"
C3B=$(creds STEP4B 2000)
publish A "$C3B"
"$CLAUDE_HOST" stage > "$TEST_ROOT/stage.out" 2>&1 || { kill -CONT "$H"; fail "stage: $(cat "$TEST_ROOT/stage.out")"; }
# Looked at while the broker is still frozen: thawed, it writes the host at once.
holds "$HOST_CREDS" "$C3" || { kill -CONT "$H"; fail "the frozen broker wrote the host anyway (the check is void)"; }
kill -CONT "$H"
SID=$(sed -n 's/^staged run \([^ ]*\) .*/\1/p' "$TEST_ROOT/stage.out")
holds "$HOME/.claude-docker/runs/$SID/stage/tree/.credentials.json" "$C3B" \
  || fail "stage took an older copy than run A's outbox: $(cat "$HOME/.claude-docker/runs/$SID/stage/tree/.credentials.json")"
grep -q "credentials: access token valid until .* (in 1 h .*); refresh token present (from run .*'s outbox)" "$TEST_ROOT/stage.out" \
  || fail "stage does not say the login's freshness and source: $(cat "$TEST_ROOT/stage.out")"
t=$(everywhere_within 1000 "$C3B" "$HOST_CREDS" "${INBOX[B]}/.credentials.json" "${INBOX[C]}/.credentials.json") \
  || fail "the thawed broker did not carry A's refresh"
pass "stage took the newest copy (A's outbox, not yet on the host) and said how fresh it is"

# 5. SIGKILL of the broker's process: another run takes over, and a refresh made right
#    after the kill is not lost.
H=$(holder)
for n in A B C; do [ "${PID[$n]}" = "$H" ] && KILLED=$n; done
kill -9 "$H"; wait "$H" 2>/dev/null || true
touch "$TEST_ROOT/stop-$KILLED"
SURV=(); for n in A B C; do [ "$n" = "$KILLED" ] || SURV+=("$n"); done
C4=$(creds STEP5 2400)
publish "${SURV[0]}" "$C4"
t=$(everywhere_within 1500 "$C4" "${INBOX[${SURV[1]}]}/.credentials.json" "$HOST_CREDS") \
  || fail "after the broker ($KILLED) was killed, ${SURV[0]}'s refresh did not reach ${SURV[1]} and the host"
H2=$(holder)
[ -n "$H2" ] && [ "$H2" != "$H" ] || fail "no new broker after the kill (lock says: $(cat "$LOCK"))"
pass "SIGKILL of the broker (run $KILLED) handed over to pid $H2; the next refresh arrived in $t ms"
C5=$(creds STEP5HOST 3000)
host_write "$C5"
t=$(everywhere_within 1000 "$C5" "${INBOX[${SURV[0]}]}/.credentials.json" "${INBOX[${SURV[1]}]}/.credentials.json") \
  || fail "the new broker does not carry the host's refresh"
pass "the new broker carries the host's refresh to both survivors in $t ms"

# 6. The runs end; their read-backs never put an older container copy over the host's.
for n in "${SURV[@]}"; do touch "$TEST_ROOT/stop-$n"; wait "${PID[$n]}" || fail "run $n failed: $(cat "$TEST_ROOT/run-$n.err")"; done
holds "$HOST_CREDS" "$C5" || fail "a read-back put an older copy on the host: $(cat "$HOST_CREDS")"
grep -q 'sk-ant-' "$HOME/.claude-docker-events.jsonl" && fail "a token reached the events log"
grep -q '"credentials_synced"' "$HOME/.claude-docker-events.jsonl" || fail "no credentials_synced event"
pass "read-back kept the newest login on the host; events name fingerprints only"

# 7. One run, host untouched since the stage, the container writes an OLDER login: the
#    read-back keeps the host's (the newest rule, not "the container changed it").
C6=$(creds STEP6 3600)
host_write "$C6"
cat > "$TEST_ROOT/older.sh" <<SH
#!/usr/bin/env bash
set -euo pipefail
python3 "$OUTBOX_WRITER" "\$OUTBOX" begin "\$RUN_ID" "\$TRACE_ID"
python3 "$OUTBOX_WRITER" "\$OUTBOX" put-text .credentials.json '$(creds OLDER 60)' 600
SH
chmod +x "$TEST_ROOT/older.sh"
FAKE_CONTAINER="$TEST_ROOT/older.sh" "$CLAUDE_HOST" run > "$TEST_ROOT/run-older.out" 2>&1 || fail "run: $(cat "$TEST_ROOT/run-older.out")"
holds "$HOST_CREDS" "$C6" || fail "read-back wrote an older container copy over the host's newer one"
pass "read-back: an older container copy never overwrites a newer host one"
