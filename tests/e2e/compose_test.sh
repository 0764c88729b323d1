#!/usr/bin/env bash
# Scenario 6: compose/docker-compose.yml with Debian's `docker-compose` (v1) and with
# `docker compose` (v2): from the env file `claude-host stage` wrote, the service comes
# up healthy, runs a real headless session, and after `down` the run reads back into the
# host home. Both rounds always run. In the first, `claude-host broker` carries a newer host
# login into the running container, and readback refuses the run until it is down.
#
# Compose v2 is the `docker compose` plugin from Debian trixie's docker-compose package
# (bookworm has only v1), fetched and cached by scripts/install-compose-v2.sh and given to
# the docker CLI through a DOCKER_CONFIG of this test's own for the v2 round only: the
# system, its v1 and every other docker command stay as they are.
source "$(dirname "$0")/lib.sh" "$@"
# First, so that a machine that cannot get v2 fails in seconds, not after the image build.
COMPOSE_V2_PLUGIN=$("$E2E_ROOT/scripts/install-compose-v2.sh") ||
  fail "compose v2 could not be fetched (scripts/install-compose-v2.sh output above); this test runs v1 and v2, never one alone"
e2e_ready

export E2E_LIB_DIR E2E_FAKE_API=$FAKE_API E2E_LABEL_VALUE=${E2E_LABEL#*=}

# compose SUBCOMMAND...: the compose implementation in COMPOSE_TOOL on the staged run's
# env file, with the product's compose file and the test additions.
COMPOSE_TOOL=()
compose() {
  "${COMPOSE_TOOL[@]}" --env-file "$E2E_COMPOSE_ENV" -p "$E2E_COMPOSE_PROJECT" \
    -f "$E2E_ROOT/compose/docker-compose.yml" -f "$E2E_LIB_DIR/compose.e2e.yml" "$@"
}
E2E_COMPOSE_PROJECT=""
# Called by the EXIT trap (lib.sh) while a compose project may still be up.
e2e_compose_all() { [ -z "$E2E_COMPOSE_PROJECT" ] || compose "$@" || true; }

# one_login_for_compose CONTAINER: with `claude-host broker` running, a newer host login
# reaches the compose container's live config dir (the broker knows the run runs because
# its claude-init holds the outbox), and the run is not read back while it runs.
one_login_for_compose() {
  local c=$1 live=/root/.claude-config/.credentials.json
  local login
  login=$(printf '{"claudeAiOauth":{"accessToken":"sk-ant-oat01-compose%s","refreshToken":"sk-ant-ort01-compose%s","expiresAt":%s,"scopes":["user:inference"],"subscriptionType":"max"}}' \
    "$$" "$$" "$(( ($(date +%s) + 7200) * 1000 ))")
  "$CLAUDE_HOST" broker >"$E2E_WORK/broker.out" 2>"$E2E_WORK/broker.err" &
  local broker=$!
  E2E_BACKGROUND_PIDS+=("$broker")
  e2e_wait_until 10 "claude-host broker serves" grep -q 'serving as' "$E2E_WORK/broker.err"
  local tmp=$HOME/.claude/.credentials.json.tmp.$$
  printf '%s' "$login" >"$tmp" && chmod 600 "$tmp" && mv -f "$tmp" "$HOME/.claude/.credentials.json"
  e2e_wait_until 10 "the host's newer login is in the compose container" \
    sh -c "[ \"\$(docker exec '$c' cat '$live')\" = '$login' ]"
  local rc=0
  "$CLAUDE_HOST" readback --run "$E2E_RUN" >"$E2E_WORK/readback-live.out" 2>&1 || rc=$?
  [ "$rc" = 1 ] && grep -q 'still running' "$E2E_WORK/readback-live.out" ||
    fail "readback of the running compose run exited $rc: $(cat "$E2E_WORK/readback-live.out")"
  kill -TERM "$broker"; wait "$broker" || fail "claude-host broker exited $? on SIGTERM: $(cat "$E2E_WORK/broker.err")"
  e2e_log "compose: claude-host broker put the host's newer login in the container; readback waits for the stop"
}

one_round() {  # one_round NAME TOOL...
  local name=$1
  shift
  COMPOSE_TOOL=("$@")
  e2e_stage
  [ -f "$E2E_COMPOSE_ENV" ] || fail "claude-host stage wrote no $E2E_COMPOSE_ENV"
  for v in CLAUDE_STAGE_DIR CLAUDE_OUTBOX_DIR CLAUDE_INBOX_DIR CLAUDE_PROJECT_DIR CLAUDE_WORKDIR CLAUDE_IMAGE CLAUDE_INIT_RUN_ID; do
    grep -q "^$v=" "$E2E_COMPOSE_ENV" || fail "$E2E_COMPOSE_ENV has no $v"
  done
  E2E_COMPOSE_PROJECT=e2e$(basename "$E2E_WORK" | tr -dc 'a-z0-9' | tr 'A-Z' 'a-z')$name
  compose config -q || fail "$* rejects the compose file"
  compose up -d >"$E2E_WORK/up-$name.out" 2>&1 ||
    fail "$* up failed: $(cat "$E2E_WORK/up-$name.out")"
  local c
  c=$(compose ps -q claude)
  [ -n "$c" ] || fail "$* ps shows no container"
  # The limits and the init of the compose file reached the container.
  docker inspect "$c" | python3 -c '
import json, sys
c = json.load(sys.stdin)[0]
h, cfg = c["HostConfig"], c["Config"]
got = (h["Memory"], h["NanoCpus"], h["PidsLimit"], bool(h.get("Init")), cfg["Tty"], cfg["OpenStdin"])
want = (2 << 30, 2 * 10**9, 100, False, True, True)
assert got == want, f"memory, cpus, pids, init, tty, stdin are {got}, want {want}"
assert cfg["Healthcheck"]["Test"] == ["CMD", "claude-init", "health"], cfg["Healthcheck"]
' || fail "$*: the compose file's limits, tty or health check did not reach the container"
  e2e_wait_health "$c" healthy 90
  e2e_log "$*: service healthy"
  e2e_wait_until 120 "the headless session's log reaches the outbox" \
    sh -c "ls '$E2E_OUTBOX_DIR/tree/projects/$E2E_PROJECT_KEY/' | grep -v -e burst -e 0ld5e55i | grep -q jsonl"
  [ "$name" = v1 ] && one_login_for_compose "$c"
  compose down >"$E2E_WORK/down-$name.out" 2>&1 || fail "$* down failed: $(cat "$E2E_WORK/down-$name.out")"
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["clean_stop"] is True, r' \
    "$E2E_OUTBOX_DIR/reports/run.json" || fail "$*: the report after down is not a clean stop"
  E2E_COMPOSE_PROJECT=""
  e2e_readback
  [ -s "$E2E_PROJECT/compose-hello.txt" ] || fail "$*: the session's Write did not reach the project"
  local sessions
  sessions=$(ls "$HOME/.claude/projects/$E2E_PROJECT_KEY/" | grep -v -e burst -e 0ld5e55i | grep -c jsonl || true)
  e2e_log "$*: read back; host has $sessions new session log(s)"
  [ "$sessions" -ge 1 ] || fail "$*: no session log on the host after read-back"
  rm -f "$E2E_PROJECT/compose-hello.txt"
}

e2e_log "compose v1: $(docker-compose version --short 2>/dev/null || docker-compose --version)"
# session_logs: how many of the project's session logs the host has (the seeded ones
# left out).
session_logs() { ls "$HOME/.claude/projects/$E2E_PROJECT_KEY/" | grep -v -e burst -e 0ld5e55i | grep -c jsonl; }
one_round v1 docker-compose
first_sessions=$(session_logs)

# The docker CLI looks for plugins in $DOCKER_CONFIG/cli-plugins. The configuration and
# contexts every other command of this test uses (HOME is the throw-away home here) are
# linked in, so the v2 round talks to the same engine with the same settings.
v2_config=$E2E_WORK/docker-config-v2
mkdir -p "$v2_config/cli-plugins"
ln -s "$COMPOSE_V2_PLUGIN" "$v2_config/cli-plugins/docker-compose"
for f in config.json contexts; do
  [ ! -e "${DOCKER_CONFIG:-$HOME/.docker}/$f" ] || ln -s "${DOCKER_CONFIG:-$HOME/.docker}/$f" "$v2_config/$f"
done
v2_version=$(DOCKER_CONFIG=$v2_config docker compose version --short) ||
  fail "docker does not run the compose v2 plugin $COMPOSE_V2_PLUGIN from $v2_config/cli-plugins"
case $v2_version in 2.*) ;; *) fail "docker compose version is '$v2_version', not 2.x" ;; esac
e2e_log "compose v2: $v2_version ($COMPOSE_V2_PLUGIN)"
one_round v2 env DOCKER_CONFIG="$v2_config" docker compose
[ "$(session_logs)" -gt "$first_sessions" ] ||
  fail "the v2 run's session did not add to the v1 run's"
e2e_pass
