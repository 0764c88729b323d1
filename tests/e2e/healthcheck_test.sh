#!/usr/bin/env bash
# Scenario 3: the image's HEALTHCHECK (`claude-init health`) as Docker sees it: starting,
# then healthy; the outbox made unwritable from the host (chattr +i: even root in the
# container gets EPERM) turns it unhealthy with the reason in `docker inspect`; making it
# writable again turns it healthy again, and the run still reads back.
source "$(dirname "$0")/lib.sh" "$@"
e2e_ready
command -v chattr >/dev/null || fail "chattr (e2fsprogs) is needed to make the outbox unwritable"

e2e_stage
# A child that changes the config every 0.3 s, so the sync engine keeps publishing.
# Probes every 3 s (the image's own interval is 10 s): the test needs no long waits, and
# `docker inspect` right after `docker run` comes well before the first probe.
e2e_docker_run_staged health --health-interval 3s --health-timeout 5s --health-retries 1 \
  --health-start-period 60s -- /opt/e2e/lib/burst-writer.sh tick
c=$E2E_CONTAINER

first=$(docker inspect -f '{{.State.Health.Status}}' "$c")
[ "$first" = starting ] || fail "the first health status is '$first', not 'starting'"
e2e_log "health: starting"
e2e_wait_health "$c" healthy 60
e2e_log "health: healthy ($(docker inspect -f '{{(index .State.Health.Log 0).Output}}' "$c" | head -n 1))"

# Unwritable outbox (every folder and file in it).
e2e_wait_until 30 "the outbox has a tree" test -d "$E2E_OUTBOX_DIR/tree"
chattr -R +i "$E2E_OUTBOX_DIR"
e2e_wait_health "$c" unhealthy 90
reason=$(docker inspect -f '{{range .State.Health.Log}}{{.Output}}{{end}}' "$c")
e2e_log "health: unhealthy; docker inspect says: $(printf '%s' "$reason" | tail -n 1)"
printf '%s' "$reason" | grep -qi "outbox" || fail "the unhealthy reason does not name the outbox: $reason"

chattr -R -i "$E2E_OUTBOX_DIR"
e2e_wait_health "$c" healthy 90
e2e_log "health: healthy again"

docker stop -t 20 "$c" >/dev/null
code=$(docker inspect -f '{{.State.ExitCode}}' "$c")
[ "$code" = 0 ] || fail "the tick child should exit 0 on SIGTERM; the container exited $code"
e2e_outbox_consistent "$E2E_OUTBOX_DIR"
e2e_readback
host_log=$HOME/.claude/projects/$E2E_PROJECT_KEY/burst.jsonl
[ -s "$host_log" ] || fail "the ticks written while healthy did not reach the host ($host_log)"
e2e_pass
