#!/usr/bin/env bash
# Scenario 8: a child that leaves orphans (grandchildren whose parent exits at once) in
# the container: with claude-init as PID 1 no zombie remains (`ps` inside). The same
# child under a shell as PID 1 (no reaper) shows the zombies, so the check can fail.
source "$(dirname "$0")/lib.sh" "$@"
e2e_ready

# 30 orphans that exit after 0.25 s each, then the child keeps running (and writing).
orphans='for i in $(seq 30); do (sleep 0.25 &); done; exec /opt/e2e/lib/burst-writer.sh tick'
zombies() {  # zombies CONTAINER: the zombie lines of `ps` inside it
  docker exec "$1" ps -eo pid,ppid,stat,comm | awk 'NR > 1 && $3 ~ /^Z/'
}

e2e_stage
e2e_docker_run_staged orphans -- sh -c "$orphans"
c=$E2E_CONTAINER
e2e_wait_until 30 "the orphans exited" sh -c "! docker exec $c ps -eo args | grep -qx 'sleep 0.25'"
sleep 1  # past the last exit, the reaper has had its SIGCHLD
z=$(zombies "$c")
[ -z "$z" ] || fail "zombies in the container with claude-init as PID 1:\n$z"
pid1=$(docker exec "$c" ps -o comm= -p 1)
[ "$pid1" = claude-init ] || fail "PID 1 is $pid1, not claude-init"
e2e_log "no zombie with claude-init as PID 1 ($(docker exec "$c" ps -e --no-headers | wc -l) processes)"
docker stop -t 20 "$c" >/dev/null
e2e_readback

# Control: the same orphans with a program that never waits as PID 1 (sleep, exec'd by
# the shell that made them): their zombies stay, so the check above can see them.
ctl=e2e-orphans-control-$RANDOM
mapfile -t args < <(e2e_docker_args)
docker run -d --name "$ctl" "${args[@]}" --entrypoint /bin/sh "$E2E_IMAGE" \
  -c "for i in \$(seq 30); do (sleep 0.2 &); done; exec sleep 60" >/dev/null
e2e_wait_until 30 "the control's 30 orphans turned zombies" sh -c "[ \$(docker exec $ctl ps -eo stat= | grep -c '^Z') -ge 30 ]"
e2e_log "control (sleep as PID 1): $(zombies "$ctl" | wc -l) zombies, as expected without a reaper"
e2e_pass
