#!/usr/bin/env bash
# Issue 19 end to end: three `claude-host run` on one home (real containers from the
# image, claude-init as PID 1) plus a host-side writer playing the host's `claude`. In each
# container, after a headless session, an agent plays Claude Code's credential writes: it
# renames a new .credentials.json into the live config dir on command and mirrors what the
# live dir holds to the project folder, so the test sees every container's live login.
# A refresh in container 1 reaches 2, 3 and the host file within the bound; then 2
# refreshes, then the host; after each step every place holds the newest; an older
# expiresAt arriving late never wins; SIGKILL of the broker's `claude-host run` hands the
# role to another run, and nothing is lost (the next refreshes still reach everyone, and
# every read-back leaves the newest login on the host).
source "$(dirname "$0")/lib.sh" "$@"
e2e_ready

BOUND_MS=${E2E_CREDENTIALS_BOUND_MS:-1000}
cwd=/workspace/demo.project
HOST_CREDS=$HOME/.claude/.credentials.json
BASE_S=$(( $(date +%s) + 3600 ))
creds() {  # creds TAG OFFSET_S
  printf '{"claudeAiOauth":{"accessToken":"sk-ant-oat01-%s","refreshToken":"sk-ant-ort01-%s","expiresAt":%s,"scopes":["user:inference"],"subscriptionType":"max"}}' \
    "$1" "$1" "$(( (BASE_S + $2) * 1000 ))"
}
host_write() {
  local tmp="$HOST_CREDS.tmp.$$"
  printf '%s' "$1" > "$tmp"; chmod 600 "$tmp"; mv -f "$tmp" "$HOST_CREDS"
}
host_write "$(creds START 0)"

CTL=$E2E_PROJECT/.cred-ctl
mkdir -p "$CTL"
cat > "$E2E_PROJECT/.cred-agent.sh" <<'SH'
#!/bin/sh
# The container side: $1 is this container's number. ctl/<n>/write: a login to write into
# the live dir as Claude Code does (temp + rename); ctl/<n>/live: what the live dir holds.
n=$1; ctl=/workspace/demo.project/.cred-ctl/$n
live=${CLAUDE_CONFIG_DIR:-/root/.claude-config}/.credentials.json
mkdir -p "$ctl"
printf '%s\n' "$CLAUDE_INIT_RUN_ID" > "$ctl/run_id"
while [ ! -e "$ctl/stop" ]; do
  if [ -e "$ctl/write" ]; then
    cp "$ctl/write" "$live.tmp.$$" && chmod 600 "$live.tmp.$$" && mv -f "$live.tmp.$$" "$live" && rm -f "$ctl/write"
  fi
  if [ -f "$live" ] && ! cmp -s "$live" "$ctl/live" 2>/dev/null; then
    cp "$live" "$ctl/live.tmp" && mv -f "$ctl/live.tmp" "$ctl/live"
  fi
  sleep 0.02
done
SH

declare -a PIDS
for i in 1 2 3; do
  mkdir -p "$CTL/$i"
  e2e_host_run -e "E2E_AFTER=sh $cwd/.cred-agent.sh $i" -- -p "hello $i" >"$E2E_WORK/run-$i.out" 2>&1 &
  PIDS[$i]=$!
done
stop_all() { for i in 1 2 3; do touch "$CTL/$i/stop"; done; }
for i in 1 2 3; do
  e2e_wait_until 180 "container $i's agent mirrors its live login" test -s "$CTL/$i/live"
done
e2e_log "three containers up, each agent running"

LOCK=$HOME/.claude-docker/credential-broker.lock
holder() { sed -n 's/^pid \([0-9]*\).*/\1/p' "$LOCK" 2>/dev/null; }
e2e_wait_until 10 "a credential broker" test -n "$(holder)"
# run_of PID: the container number whose run's `claude-host run` is PID (state.json).
run_of() {
  local i id
  for i in 1 2 3; do
    id=$(cat "$CTL/$i/run_id")
    grep -q "\"host_pid\": *$1\b" "$HOME/.claude-docker/runs/$id/state.json" && { echo "$i"; return 0; }
  done
  return 1
}
H=$(holder)
run_of "$H" >/dev/null || fail "the broker (pid $H) is none of the three runs"

holds() { [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]; }
# everywhere TEXT BOUND_MS PLACES...: prints the ms until every place holds TEXT.
everywhere() {
  local text=$1 ms=$2; shift 2
  local start p; start=$(date +%s%N)
  while true; do
    local all=1
    for p in "$@"; do holds "$p" "$text" || { all=0; break; }; done
    [ $all = 1 ] && { echo $(( ($(date +%s%N) - start) / 1000000 )); return 0; }
    [ $(( $(date +%s%N) - start )) -lt $(( ms * 1000000 )) ] || { echo "$p"; return 1; }
    sleep 0.01
  done
}
live() { echo "$CTL/$1/live"; }
refresh() { printf '%s' "$2" > "$CTL/$1/write.tmp"; mv "$CTL/$1/write.tmp" "$CTL/$1/write"; }
step() {  # step NAME TEXT PLACES...
  local name=$1 text=$2 t; shift 2
  t=$(everywhere "$text" "$BOUND_MS" "$@") || fail "$name: $t does not hold the newest login after ${BOUND_MS} ms"
  e2e_log "$name: every place holds it after $t ms"
}

C1=$(creds STEP1 600);  refresh 1 "$C1"
step "container 1 refreshes" "$C1" "$HOST_CREDS" "$(live 2)" "$(live 3)"
C2=$(creds STEP2 1200); refresh 2 "$C2"
step "container 2 refreshes" "$C2" "$HOST_CREDS" "$(live 1)" "$(live 3)"
C3=$(creds STEP3 1800); host_write "$C3"
step "the host refreshes" "$C3" "$(live 1)" "$(live 2)" "$(live 3)"

# An older login arriving late in container 3 never wins: the others and the host keep the
# newest, and container 3 is given the newest back.
refresh 3 "$(creds STALE 900)"
sleep 1.5
step "a stale copy in container 3" "$C3" "$HOST_CREDS" "$(live 1)" "$(live 2)" "$(live 3)"

# SIGKILL of the broker's process.
H=$(holder)
KILLED=$(run_of "$H") || fail "the broker (pid $H) is none of the runs"
KILLED_RUN=$(cat "$CTL/$KILLED/run_id")
kill -9 "$H"
touch "$CTL/$KILLED/stop"  # its container finishes on its own; its run is no longer attached
SURV=(); for i in 1 2 3; do [ "$i" = "$KILLED" ] || SURV+=("$i"); done
C4=$(creds STEP4 2400); refresh "${SURV[0]}" "$C4"
step "after SIGKILL of the broker (run $KILLED), container ${SURV[0]} refreshes" "$C4" "$HOST_CREDS" "$(live "${SURV[1]}")"
H2=$(holder)
[ -n "$H2" ] && [ "$H2" != "$H" ] || fail "no new broker after the kill: $(cat "$LOCK")"
C5=$(creds STEP5 3000); host_write "$C5"
step "the host refreshes again" "$C5" "$(live "${SURV[0]}")" "$(live "${SURV[1]}")"

stop_all
for i in "${SURV[@]}"; do wait "${PIDS[$i]}" || fail "claude-host run #$i failed: $(tail -n 30 "$E2E_WORK/run-$i.out")"; done
# The killed run's container ends by itself; its outbox is read back by the next command.
e2e_wait_until 60 "the killed run's container to end" sh -c "! docker ps -q --filter label=$E2E_LABEL | grep -q ."
"$CLAUDE_HOST" readback --run "$KILLED_RUN" >"$E2E_WORK/readback-killed.out" 2>&1 || true
holds "$HOST_CREDS" "$C5" || fail "after every read-back the host lost the newest login: $(cat "$HOST_CREDS")"
grep -q 'sk-ant-' "$HOME/.claude-docker-events.jsonl" && fail "a token reached the host's events log"
e2e_pass
