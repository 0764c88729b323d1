#!/usr/bin/env bash
# `make demo`: the whole product on a sandboxed demo home, never your real one.
#
#   scripts/demo.sh [--real-api] [--image NAME] [--keep] [--build DIR]
#
# Installs what is missing (Debian packages), builds, starts the Docker engine if none
# answers, builds the image on a local Debian base, fills ./demo-home with a realistic
# Claude state, stages it with `claude-host stage`, and runs a real containerized Claude
# Code session with claude-host's `docker run` arguments: a headless `claude -p` that
# writes a file in the project through its Write tool, then `claude mcp add-json`. It
# shows the container's health as Docker reports it (starting -> healthy), stops the
# container with `docker stop`, and `claude-host readback` merges the outbox and prints
# its summary. Last, it shows what came back to the home. (`claude-host run` does all of
# this in one command; the demo takes it apart to show each step.)
#
# By default the CLI talks to the stand-in Anthropic API (tests/helpers/
# fake_anthropic_api.cc) on the container's own loopback, with no network at all. With
# --real-api and ANTHROPIC_API_KEY set in your environment, it talks to the real API
# instead (the key is passed to docker by name, never on a command line). --image uses an
# image you already have instead of building one; --keep leaves a dockerd the demo
# started running.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build=${BUILD:-build}
real_api=0
keep=0
image=""
while [ $# -gt 0 ]; do
  case "$1" in
    --real-api) real_api=1; shift ;;
    --keep) keep=1; shift ;;
    --image) image=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    -h|--help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "demo: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
if [ $real_api = 1 ] && [ -z "${ANTHROPIC_API_KEY:-}" ]; then
  echo "demo: --real-api needs ANTHROPIC_API_KEY in the environment" >&2
  exit 2
fi

bold=""; dim=""; reset=""
if [ -t 1 ]; then bold=$'\e[1m'; dim=$'\e[2m'; reset=$'\e[0m'; fi
step() { printf '\n%s==> %s%s\n' "$bold" "$*" "$reset"; }
note() { printf '    %s\n' "$*"; }

step "Dependencies and build"
scripts/install-deps.sh docker
if [ ! -x "$build/hostside/claude-host" ] || [ ! -x "$build/tests/fake_anthropic_api" ]; then
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build" -j "$(nproc)"
fi
build=$(cd "$build" && pwd)
claude_host=$build/hostside/claude-host

step "Docker engine"
engine_started=0
docker info >/dev/null 2>&1 || engine_started=1
scripts/docker-engine.sh ensure
note "engine $(docker version --format '{{.Server.Version}}')"

container=""
cleanup() {
  local rc=$?
  set +e
  [ -n "$container" ] && docker rm -f "$container" >/dev/null 2>&1
  [ $engine_started = 1 ] && [ $keep = 0 ] && scripts/docker-engine.sh stop
  exit $rc
}
trap cleanup EXIT

if [ -z "$image" ]; then
  step "Image (local Debian base, Claude Code CLI from npm)"
  image=$(docker/build-image.sh | tail -n 1)
else
  step "Image"
  docker image inspect "$image" >/dev/null || { echo "demo: no image $image" >&2; exit 2; }
fi
note "$image: $(docker run --rm --network none --entrypoint /usr/local/bin/claude "$image" --version)"

step "A sandboxed demo home"
export HOME=$root/demo-home
unset CLAUDE_CONFIG_DIR
rm -rf "$HOME"
mkdir -p "$HOME"
project=$HOME/src/hello.project
key=$(python3 tests/e2e/make-demo-home.py "$HOME" "$project")
note "HOME=$HOME"
note "project $project (its sessions live in ~/.claude/projects/$key/)"

step "claude-host stage: your state, staged for the container"
stage_json=$HOME/stage.json
(cd "$project" && "$claude_host" stage --project "$project" --image "$image" --json) >"$stage_json"
run=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["run_id"])' "$stage_json")
# claude-host's own `docker run` arguments (mounts, limits, ids), minus --rm so that the
# container can be inspected after it stops.
mapfile -t run_args < <(python3 - "$stage_json" <<'PY'
import json, sys
args = json.load(open(sys.argv[1]))["docker_args"]
image = args[-1]
for a in args[2:-1]:
    if a not in ("--rm", "-i", "-it"):
        print(a)
PY
)
note "run $run: stage $(python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(j["files"], "files,", j["bytes"], "bytes")' "$stage_json")"
note "docker run ${run_args[*]:0:8} ... $image"

step "docker run: a real Claude Code session, claude-init as PID 1"
cwd=/workspace/$(basename "$project")
extra=(--health-interval 1s --health-start-period 60s --health-retries 1)
if [ $real_api = 1 ]; then
  note "talking to the real Anthropic API (ANTHROPIC_API_KEY passed by name)"
  extra+=(-e ANTHROPIC_API_KEY)
  prompt="Create the file $cwd/hello.txt containing one friendly line, then stop."
  wrapper=()
else
  note "talking to the stand-in Anthropic API on the container's loopback (--network none)"
  extra+=(--network none -v "$root/tests/e2e:/opt/e2e/lib:ro"
          -v "$build/tests/fake_anthropic_api:/opt/e2e/bin/fake_anthropic_api:ro"
          -e "FAKE_API_WRITE_PATH=$cwd/hello.txt")
  prompt="Create hello.txt"
  wrapper=(/opt/e2e/lib/with-stand-in-api.sh)
fi
# The session, an MCP server whose paths live in the project, then the container idles
# until it is stopped, so that its health can be watched.
inner="set -e
  claude -p '$prompt' --dangerously-skip-permissions
  claude mcp add-json demo-tools '{\"type\":\"stdio\",\"command\":\"$cwd/bin/mcp-server\",\"args\":[\"--root\",\"$cwd\"]}'
  echo 'session done; waiting to be stopped'
  trap 'exit 0' TERM
  sleep 3600 & wait \$!"
container=$(docker run -d "${run_args[@]}" "${extra[@]}" "$image" "${wrapper[@]}" sh -c "$inner")
note "container ${container:0:12} is running; PID 1 is $(docker exec "$container" ps -o comm= -p 1)"

step "Health, as Docker reports it (HEALTHCHECK claude-init health)"
last=""
deadline=$((SECONDS + 180))
while :; do
  status=$(docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{end}}' "$container" 2>/dev/null || echo gone)
  if [ "$status" != "$last" ]; then
    note "$(date +%H:%M:%S)  $status  ${dim}$(docker exec "$container" claude-init health 2>&1 | head -n 1)${reset}"
    last=$status
  fi
  if [ "$status" = healthy ] && docker logs "$container" 2>&1 | grep -q "session done"; then break; fi
  if [ "$(docker inspect -f '{{.State.Running}}' "$container")" != true ]; then
    docker logs "$container" 2>&1 | tail -n 20
    echo "demo: the container ended early" >&2
    exit 1
  fi
  [ $SECONDS -lt $deadline ] || { docker logs "$container" 2>&1 | tail -n 20; echo "demo: the session did not finish within 180 s" >&2; exit 1; }
  sleep 0.3
done
docker logs "$container" 2>&1 | grep -v '^{' | sed 's/^/    container: /' | head -n 5

step "docker stop (claude-init forwards SIGTERM, flushes, writes its report)"
docker stop -t 20 "$container" >/dev/null
note "exit status $(docker inspect -f '{{.State.ExitCode}}' "$container")"
python3 - "$HOME/.claude-docker/runs/$run/outbox/reports/run.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
d = r.get("durations_ms", {})
print(f"    claude-init's report: clean_stop={r.get('clean_stop')} stop_signal={r.get('stop_signal')} "
      f"stop {d.get('stop')} ms, flush {d.get('flush')} ms; counts {json.dumps(r.get('counts'))}")
PY
docker rm "$container" >/dev/null
container=""

step "claude-host readback: the outbox merged into the demo home"
"$claude_host" readback --run "$run" 2>&1 | sed 's/^/    /'

step "What came back to the demo home"
python3 - "$HOME" "$project" "$key" <<'PY'
import json, os, sys
home, project, key = sys.argv[1:4]
cfg = json.load(open(os.path.join(home, ".claude.json")))
srv = cfg["projects"].get(project, {}).get("mcpServers", {}).get("demo-tools")
print(f"    ~/.claude.json projects[{project!r}].mcpServers.demo-tools = {json.dumps(srv)}")
d = os.path.join(home, ".claude", "projects", key)
for f in sorted(os.listdir(d)):
    if f.startswith("0ld5e55i"):
        continue
    cwds = {json.loads(l).get("cwd") for l in open(os.path.join(d, f)) if l.strip()} - {None}
    print(f"    ~/.claude/projects/{key}/{f}: cwd {sorted(cwds)}")
hello = os.path.join(project, "hello.txt")
if os.path.exists(hello):
    print(f"    {hello}: {open(hello).read().strip()!r}")
PY
note ""
note "Explore it:      HOME=$HOME $claude_host status"
note "Your own home:   cd ~/src/app && claude-host run          (stage, docker run, read back)"
note "With compose:    claude-host stage  then  docker compose --env-file <run>/compose.env -f compose/docker-compose.yml up"
