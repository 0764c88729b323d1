# Shared by every tests/e2e/*_test.sh (sourced, never run). Each test:
#   source "$(dirname "$0")/lib.sh" "$@"     # $1: the build folder
#   e2e_ready                                 # engine, image, demo home
# and then drives the real product: claude-host on the host, the image built from
# docker/Dockerfile on a local Debian base, the real Claude Code CLI inside, and the
# stand-in Anthropic API on the container's loopback (--network none).
#
# Never touches the real HOME: every test gets a throw-away home under /tmp, and every
# container, folder and engine it made is removed by the EXIT trap, pass or fail.
set -euo pipefail

E2E_NAME=$(basename "$0" .sh)
E2E_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
E2E_ROOT=$(cd "$E2E_LIB_DIR/../.." && pwd)
[ $# -ge 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
E2E_BUILD=$(cd "$1" && pwd)
CLAUDE_HOST=$E2E_BUILD/hostside/claude-host
FAKE_API=$E2E_BUILD/tests/fake_anthropic_api
E2E_WORK=$(mktemp -d "/tmp/claude-e2e-$E2E_NAME.XXXXXX")
chmod 0755 "$E2E_WORK"
# Every container a test starts carries this label, so cleanup finds them all.
E2E_LABEL=claude-init-e2e=$(basename "$E2E_WORK")
E2E_ENGINE_STARTED=0
# claude-host passes ANTHROPIC_* and CLAUDE_CODE_* to the container by name: none of the
# caller's may leak into a test (the stand-in sets its own inside).
for v in ${!ANTHROPIC_@} ${!CLAUDE_CODE_@}; do unset "$v"; done
unset CLAUDE_CONFIG_DIR CLAUDE_HOST_IMAGE
# The Claude Code CLI version these tests were verified against (its dialogs and prompt
# are what the pty test reads); raise it deliberately, after running them on the new one.
export CLAUDE_VERSION=${CLAUDE_E2E_CLAUDE_VERSION:-2.1.197}
E2E_STARTED_AT=$SECONDS

e2e_log() { printf '[%s %s] %s\n' "$E2E_NAME" "$(date +%H:%M:%S)" "$*" >&2; }
fail() {
  printf '\n[%s] FAIL: %b\n' "$E2E_NAME" "$*" >&2
  e2e_diagnostics >&2 || true
  exit 1
}
e2e_pass() { printf '[%s] PASS (%ds)\n' "$E2E_NAME" "$((SECONDS - E2E_STARTED_AT))"; }

# What a person debugging a failure wants to see: the containers' state and logs.
e2e_diagnostics() {
  local c
  for c in $(docker ps -aq --filter "label=$E2E_LABEL" 2>/dev/null); do
    echo "--- container $c: $(docker inspect -f '{{.State.Status}} exit={{.State.ExitCode}} health={{if .State.Health}}{{.State.Health.Status}}{{end}}' "$c" 2>/dev/null)"
    docker logs --tail 40 "$c" 2>&1 | sed 's/^/    /' || true
  done
}

declare -a E2E_BACKGROUND_PIDS=()
e2e_cleanup() {
  local rc=$?
  set +e
  # Host processes a test started in the background (a `claude-host broker`, ...).
  local p
  for p in "${E2E_BACKGROUND_PIDS[@]}"; do kill "$p" 2>/dev/null; done
  local ids
  ids=$(docker ps -aq --filter "label=$E2E_LABEL" 2>/dev/null)
  [ -n "$ids" ] && docker rm -f $ids >/dev/null 2>&1
  if [ -n "${E2E_COMPOSE_PROJECT:-}" ]; then
    e2e_compose_all down --volumes --remove-orphans >/dev/null 2>&1
  fi
  # A test may have made the outbox immutable (chattr +i) to make it unwritable.
  chattr -R -i "$E2E_WORK" >/dev/null 2>&1
  rm -rf "$E2E_WORK"
  if [ "$E2E_ENGINE_STARTED" = 1 ]; then
    "$E2E_ROOT/scripts/docker-engine.sh" stop >&2
  fi
  exit $rc
}
trap e2e_cleanup EXIT
trap 'exit 130' INT TERM

# --- prerequisites --------------------------------------------------------------------

# Starts dockerd when none answers, and remembers to stop it at exit (only then).
e2e_ensure_engine() {
  if ! docker info >/dev/null 2>&1; then
    E2E_ENGINE_STARTED=1
  fi
  "$E2E_ROOT/scripts/docker-engine.sh" ensure >&2 || fail "the Docker engine cannot start (see above); end-to-end tests need it"
}

# Builds (or reuses, by content hash) the image; sets E2E_IMAGE. CLAUDE_E2E_IMAGE names
# an existing image to use instead (for iterating on a test without rebuilding).
e2e_ensure_image() {
  local out
  if [ -n "${CLAUDE_E2E_IMAGE:-}" ]; then
    docker image inspect "$CLAUDE_E2E_IMAGE" >/dev/null 2>&1 || fail "CLAUDE_E2E_IMAGE=$CLAUDE_E2E_IMAGE does not exist"
    E2E_IMAGE=$CLAUDE_E2E_IMAGE
    e2e_log "using CLAUDE_E2E_IMAGE=$E2E_IMAGE, not an image built from this tree"
  elif ! out=$("$E2E_ROOT/docker/build-image.sh" --tag claude-init:e2e); then
    fail "the image did not build (docker/build-image.sh output above)"
  else
    E2E_IMAGE=$(printf '%s\n' "$out" | tail -n 1)
  fi
  E2E_CLAUDE_VERSION=$(docker run --rm --network none --entrypoint /usr/local/bin/claude "$E2E_IMAGE" --version)
  e2e_log "image $E2E_IMAGE, Claude Code $E2E_CLAUDE_VERSION"
}

e2e_require_binaries() {
  [ -x "$CLAUDE_HOST" ] || fail "$CLAUDE_HOST is missing: build first (make build)"
  [ -x "$FAKE_API" ] || fail "$FAKE_API is missing: build first (make build)"
  if file "$FAKE_API" 2>/dev/null | grep -q dynamically; then
    fail "$FAKE_API is not static (a sanitizer build?); run the e2e tests on the release build"
  fi
}

# A throw-away home with a realistic Claude state; sets HOME (exported: claude-host reads
# it), E2E_PROJECT (a project folder under it, with a dot so that its encoded folder name
# differs from a plain one) and E2E_PROJECT_KEY (its folder name under projects/).
e2e_make_home() {
  export HOME=$E2E_WORK/home
  unset CLAUDE_CONFIG_DIR
  export USER=${USER:-root}
  E2E_PROJECT=$HOME/src/demo.project
  E2E_PROJECT_KEY=$(e2e_encode_path "$E2E_PROJECT")
  mkdir -p "$HOME"
  [ "$(python3 "$E2E_LIB_DIR/make-demo-home.py" "$HOME" "$E2E_PROJECT")" = "$E2E_PROJECT_KEY" ] ||
    fail "make-demo-home.py and e2e_encode_path disagree on the folder name of $E2E_PROJECT"
  e2e_log "demo home $HOME, project $E2E_PROJECT"
}

# The folder name Claude Code uses under projects/ for an absolute path (DESIGN.md).
e2e_encode_path() {
  python3 -c '
import sys
p = sys.argv[1]
units = p.encode("utf-16-le")
out = []
for i in range(0, len(units), 2):
    u = int.from_bytes(units[i:i+2], "little")
    c = chr(u) if u < 0xD800 or u > 0xDFFF else None
    out.append(c if c is not None and c.isascii() and c.isalnum() else "-")
name = "".join(out)
if len(name) > 200:
    h = 0
    for i in range(0, len(units), 2):
        h = (31 * h + int.from_bytes(units[i:i+2], "little")) & 0xFFFFFFFF
    if h >= 2**31: h -= 2**32
    h = abs(h); digits = "0123456789abcdefghijklmnopqrstuvwxyz"; s = ""
    while True:
        s = digits[h % 36] + s; h //= 36
        if h == 0: break
    name = name[:200] + "-" + s
print(name)' "$1"
}

e2e_ready() {
  e2e_require_binaries
  e2e_ensure_engine
  e2e_ensure_image
  e2e_make_home
}

# --- containers -------------------------------------------------------------------------

# Arguments for `docker run` that every test container gets on top of claude-host's:
# the label for cleanup, no network (the stand-in API is on the container's loopback),
# the test programs, and PATH with tests/e2e/shim first, so that `claude` (what
# claude-host run starts) is the real CLI with the stand-in API beside it.
e2e_docker_args() {
  printf '%s\n' --label "$E2E_LABEL" --network none \
    -v "$E2E_LIB_DIR:/opt/e2e/lib:ro" -v "$FAKE_API:/opt/e2e/bin/fake_anthropic_api:ro" \
    -e "PATH=/opt/e2e/lib/shim:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
}

# e2e_wait_health CONTAINER STATUS SECONDS: polls until the health status is STATUS.
e2e_wait_health() {
  local c=$1 want=$2 deadline=$((SECONDS + $3)) got=""
  while [ $SECONDS -lt $deadline ]; do
    got=$(docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{end}}' "$c" 2>/dev/null || true)
    [ "$got" = "$want" ] && return 0
    if [ "$(docker inspect -f '{{.State.Running}}' "$c" 2>/dev/null)" != true ]; then
      fail "container $c stopped while waiting for health '$want' (last '$got')"
    fi
    sleep 0.5
  done
  fail "container $c: health is '$got', not '$want', after $3 s"
}

# e2e_wait_until SECONDS DESCRIPTION COMMAND...: polls COMMAND until it succeeds.
e2e_wait_until() {
  local secs=$1 what=$2
  local deadline=$((SECONDS + secs))
  shift 2
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || fail "timed out after ${secs}s waiting for: $what"
    sleep 0.2
  done
}

# --- checks ----------------------------------------------------------------------------

e2e_assert_json_valid() {
  python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$1" 2>/dev/null ||
    fail "$1 is not valid JSON: $(head -c 300 "$1")"
}

# e2e_outbox_consistent OUTBOX: the outbox agrees with its journal (ARCHITECTURE.md):
# seq strictly increasing; every file the journal last put has that sha256, or is a
# complete newer version (a .json that parses); every appended log's journaled prefix
# has the journaled sha256 (bytes past it are an unjournaled tail that recovery cuts).
e2e_outbox_consistent() {
  python3 - "$1" <<'PY' || fail "outbox $1 is not consistent with its journal"
import hashlib, json, os, sys
outbox = sys.argv[1]
tree = os.path.join(outbox, "tree")
journal = os.path.join(outbox, "journal.jsonl")
if not os.path.exists(journal):
    sys.exit("no journal.jsonl")
records = []
with open(journal, "rb") as f:
    lines = f.read().split(b"\n")
for i, line in enumerate(lines):
    if not line:
        continue
    try:
        records.append(json.loads(line))
    except ValueError:
        # Only the very last line may be torn (killed mid-append); it is ignored.
        if i != len(lines) - 1 and any(lines[i + 1:]):
            sys.exit(f"journal line {i + 1} is not JSON and is not the torn tail")
last_seq = -1
state = {}
for r in records:
    seq = r.get("seq")
    if not isinstance(seq, int) or seq <= last_seq:
        # seq restarts at 0 with each init start ("begin"); otherwise strictly increasing.
        if not (r.get("op") == "begin" and seq == 0):
            sys.exit(f"journal seq {seq} after {last_seq}: {r}")
    last_seq = seq
    op = r.get("op")
    if op in ("put", "append"):
        state[r["path"]] = r
    elif op == "delete":
        state[r["path"]] = r
    elif op == "rename":
        state.pop(r.get("from"), None)
        state[r["path"]] = dict(r, op="put-by-rename")
    elif op == "symlink":
        state[r["path"]] = r
problems = []
for path, r in state.items():
    full = os.path.join(tree, path)
    if r["op"] == "delete":
        continue
    if r["op"] == "symlink":
        if not os.path.islink(full):
            problems.append(f"{path}: journaled symlink missing")
        continue
    if r["op"] == "put-by-rename":
        if not os.path.exists(full):
            problems.append(f"{path}: renamed file missing")
        continue
    if not os.path.isfile(full):
        problems.append(f"{path}: journaled but missing from tree/")
        continue
    data = open(full, "rb").read()
    if r["op"] == "append":
        size = r["size"]
        if len(data) < size or hashlib.sha256(data[:size]).hexdigest() != r["sha256"]:
            problems.append(f"{path}: journaled prefix of {size} bytes does not match")
    else:
        if hashlib.sha256(data).hexdigest() != r["sha256"]:
            # A newer complete version published after the last record (killed between
            # rename and journal append) is allowed; it must then be whole.
            if path.endswith(".json"):
                try:
                    json.loads(data)
                except ValueError:
                    problems.append(f"{path}: differs from the journal and is not whole JSON")
for root, dirs, files in os.walk(tree):
    for name in files:
        rel = os.path.relpath(os.path.join(root, name), tree)
        if ".claude-init-tmp." in name:
            continue
        if rel.endswith(".json"):
            try:
                json.load(open(os.path.join(root, name), "rb"))
            except ValueError:
                problems.append(f"{rel}: a published .json that does not parse")
if problems:
    sys.exit("\n".join(problems))
print(f"outbox consistent: {len(records)} journal records, {len(state)} paths")
PY
}

# The run folders claude-host made in this home, oldest first (run ids sort by time).
e2e_runs() { ls -1 "$HOME/.claude-docker/runs" 2>/dev/null | sort; }
e2e_latest_run() { e2e_runs | tail -n 1; }

# --- claude-host ------------------------------------------------------------------------

# e2e_stage [stage options]: `claude-host stage --json` of the demo project; sets E2E_RUN,
# E2E_STAGE_DIR, E2E_OUTBOX_DIR, E2E_COMPOSE_ENV and E2E_RUN_ARGS: the `docker run`
# arguments claude-host chose (mounts, limits, environment), without `docker run`, the
# image, --rm, -i/-it and --name, which the tests set themselves.
e2e_stage() {
  local out=$E2E_WORK/stage-$RANDOM.json
  (cd "$E2E_PROJECT" && "$CLAUDE_HOST" stage --project "$E2E_PROJECT" --image "$E2E_IMAGE" --json "$@") >"$out" 2>"$out.err" ||
    fail "claude-host stage failed: $(cat "$out" "$out.err")"
  local parsed
  parsed=$(python3 - "$out" "$E2E_IMAGE" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
args = j["docker_args"]
assert args[:2] == ["docker", "run"] and args[-1] == sys.argv[2], args
args = args[2:-1]
out, skip = [], False
for i, a in enumerate(args):
    if skip:
        skip = False
        continue
    if a in ("--rm", "-i", "-it", "-t"):
        continue
    if a == "--name":
        skip = True
        continue
    out.append(a)
print(j["run_id"])
print(j["stage_dir"]); print(j["outbox_dir"]); print(j["compose_env"])
for a in out:
    print(a)
PY
) || fail "claude-host stage --json printed something unexpected: $(head -c 2000 "$out")"
  mapfile -t E2E_RUN_ARGS <<<"$parsed"
  E2E_RUN=${E2E_RUN_ARGS[0]}
  E2E_STAGE_DIR=${E2E_RUN_ARGS[1]}
  E2E_OUTBOX_DIR=${E2E_RUN_ARGS[2]}
  E2E_COMPOSE_ENV=${E2E_RUN_ARGS[3]}
  E2E_RUN_ARGS=("${E2E_RUN_ARGS[@]:4}")
  [ -f "$E2E_STAGE_DIR/manifest.json" ] || fail "no manifest in $E2E_STAGE_DIR"
  e2e_log "staged run $E2E_RUN"
}

# e2e_docker_run_staged NAME [docker options] -- COMMAND...: starts the staged run's
# container detached, with the e2e arguments; prints nothing, sets E2E_CONTAINER.
e2e_docker_run_staged() {
  local name=$1
  shift
  local opts=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
  [ "${1:-}" = -- ] && shift
  local args
  mapfile -t args < <(e2e_docker_args)
  E2E_CONTAINER=e2e-$name-$(basename "$E2E_WORK" | tr 'A-Z.' 'a-z-')
  docker run -d --name "$E2E_CONTAINER" "${E2E_RUN_ARGS[@]}" "${args[@]}" "${opts[@]}" "$E2E_IMAGE" "$@" >/dev/null ||
    fail "docker run of the staged run $E2E_RUN failed"
}

# e2e_start_burst NAME: stages a run and starts its container with the burst writer
# (tests/e2e/burst-writer.sh burst, step count to $E2E_PROJECT/.burst-truth); returns
# once the burst shows in the outbox and has run at full speed for a second. Sets
# E2E_CONTAINER and E2E_BURST_LOG (the burst's session log in the outbox).
e2e_start_burst() {
  e2e_stage
  e2e_docker_run_staged "$1" -- /opt/e2e/lib/burst-writer.sh burst "/workspace/$(basename "$E2E_PROJECT")/.burst-truth"
  E2E_BURST_LOG=$E2E_OUTBOX_DIR/tree/projects/$E2E_PROJECT_KEY/burst.jsonl
  e2e_wait_until 60 "the burst reaches the outbox" test -s "$E2E_BURST_LOG"
  sleep 1  # the stop or kill must land mid-burst, with the writer at full speed
}

# e2e_readback [RUN]: `claude-host readback`, output in $E2E_WORK/readback-RUN.out.
e2e_readback() {
  local run=${1:-$E2E_RUN}
  "$CLAUDE_HOST" readback --run "$run" >"$E2E_WORK/readback-$run.out" 2>&1 ||
    fail "claude-host readback --run $run failed: $(cat "$E2E_WORK/readback-$run.out")"
  e2e_log "read back $run: $(tail -n 3 "$E2E_WORK/readback-$run.out" | tr '\n' ' ')"
}

# e2e_host_run [docker options] -- CLAUDE ARGS...: the one command users type,
# `claude-host run`, with the e2e docker arguments (no network, the stand-in API on the
# container's loopback through the `claude` shim first on PATH). Its exit status is
# returned, not checked.
e2e_host_run() {
  local opts=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=(--docker-arg "$1"); shift; done
  [ "${1:-}" = -- ] && shift
  local args a
  mapfile -t args < <(e2e_docker_args)
  for a in "${args[@]}"; do opts+=(--docker-arg "$a"); done
  (cd "$E2E_PROJECT" && "$CLAUDE_HOST" run --project "$E2E_PROJECT" --image "$E2E_IMAGE" "${opts[@]}" -- "$@")
}
