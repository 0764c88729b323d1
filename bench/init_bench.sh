#!/usr/bin/env bash
# claude-init side by side with Debian's tini, tini-static, dumb-init and catatonit:
#   exec     wall time of `X -- /bin/true` (hyperfine), and its overhead over /bin/true
#   rss      idle resident memory running `sleep` (claude-init with its health endpoint up)
#   wakeups  context switches of all the init's threads over an idle period (default 60 s)
#   reap     time for a PID-1 init to reap 10 000 orphaned grandchildren
#   size     stripped binary size
# Prints a table, writes bench/results/init.json and bench/results/init.png.
# Usage: bench/init_bench.sh [BUILD_DIR]   (env: IDLE_SECONDS, EXEC_RUNS, EXEC_ROUNDS, REAP_RUNS, ORPHANS,
#        INIT_BENCH_BEFORE=BUILD_DIR: the build of the tree before a change, measured side by
#        side as "claude-init-before")
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../build}" && pwd)
ours=$build/entrypoint/claude-init
child=$build/tests/init_test_child
idle_seconds=${IDLE_SECONDS:-60}
exec_runs=${EXEC_RUNS:-500}
reap_runs=${REAP_RUNS:-5}
orphans=${ORPHANS:-10000}
results=$here/results
mkdir -p "$results"
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]:-}"; do [ -n "$p" ] && kill -KILL "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

for tool in hyperfine unshare python3 strip; do
  command -v "$tool" >/dev/null || { echo "init_bench: $tool is missing (scripts/install-deps.sh bench)" >&2; exit 1; }
done
[ -x "$ours" ] && [ -x "$child" ] || { echo "init_bench: build first (make build): $ours, $child" >&2; exit 1; }

# name|binary|arguments before the command (each init's own way of saying "run this")
inits=("claude-init|$ours|--no-sync --")
if [ -n "${INIT_BENCH_BEFORE:-}" ]; then
  before=$(cd "$INIT_BENCH_BEFORE" && pwd)/entrypoint/claude-init
  [ -x "$before" ] || { echo "init_bench: INIT_BENCH_BEFORE: no claude-init in $INIT_BENCH_BEFORE/entrypoint" >&2; exit 1; }
  inits+=("claude-init-before|$before|--no-sync --")
fi
for spec in "tini|/usr/bin/tini|-s --" "tini-static|/usr/bin/tini-static|-s --" \
            "dumb-init|/usr/bin/dumb-init|" "catatonit|/usr/bin/catatonit|--"; do
  IFS='|' read -r name bin _ <<<"$spec"
  if [ -x "$bin" ]; then inits+=("$spec"); else echo "init_bench: $name not installed ($bin), left out" >&2; fi
done
if [ ! -x /usr/bin/catatonit ] && [ -x /usr/libexec/podman/catatonit ]; then
  inits+=("catatonit|/usr/libexec/podman/catatonit|--")
fi

json="$work/results.json"
echo '{}' >"$json"
put() {  # put NAME KEY VALUE
  python3 - "$json" "$1" "$2" "$3" <<'PY'
import json, sys
path, name, key, value = sys.argv[1:]
d = json.load(open(path))
d.setdefault(name, {})[key] = float(value)
json.dump(d, open(path, "w"))
PY
}

# add_commands PORT PREFIX COMMAND: appends "PREFIX INIT ARGS COMMAND" for every init to
# cmds[] and its name to names[]; claude-init keeps its health endpoint on (the default),
# on PORT.
add_commands() {
  local port=$1 prefix=$2 command=$3 spec name bin args
  for spec in "${inits[@]}"; do
    IFS='|' read -r name bin args <<<"$spec"
    [ "$name" = claude-init ] && args="--health-port $port $args"
    [ "$name" = claude-init-before ] && args="--health-port $((port + 10)) $args"
    cmds+=("${prefix:+$prefix }$bin $args $command")
    names+=("$name")
  done
}

# time_commands KEY WARMUP RUNS ROUNDS: runs hyperfine over cmds[] (named names[]) and
# records each median in ms as KEY; with a first name "baseline", also KEY_overhead (minus
# it). The runs are spread over ROUNDS rounds (WARMUP runs before each) and the order of the
# commands turns each round, so that a drift of the machine during the run (another
# job, the host's own load) weighs on every command alike instead of on whichever ran
# in that stretch; each median is taken over all of a command's runs.
time_commands() {
  local key=$1 warmup=$2 runs=$3 rounds=$4 r i n=${#cmds[@]}
  local per=$(( (runs + rounds - 1) / rounds ))
  for ((r = 0; r < rounds; r++)); do
    local order=()
    for ((i = 0; i < n; i++)); do order+=("${cmds[$(( (i + r) % n ))]}"); done
    hyperfine -N --warmup "$warmup" --runs "$per" --export-json "$work/$key.$r.json" "${order[@]}" >/dev/null
  done
  python3 - "$work" "$key" "$rounds" "$json" "${names[@]}" <<'PY'
import json, statistics, sys
work, key, rounds, out_path, names = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5:]
times = {n: [] for n in names}
for r in range(rounds):
    results = json.load(open("%s/%s.%d.json" % (work, key, r)))["results"]
    for i, res in enumerate(results):  # round r ran the commands turned by r
        times[names[(i + r) % len(names)]] += res["times"]
out = json.load(open(out_path))
median = {n: statistics.median(t) for n, t in times.items()}
base = median[names[0]] if names[0] == "baseline" else None
for n in names:
    out.setdefault(n, {})[key] = median[n] * 1000
    if base is not None:
        out[n][key.replace("_ms", "_overhead_ms")] = (median[n] - base) * 1000
json.dump(out, open(out_path, "w"))
PY
}

# --- exec overhead ------------------------------------------------------------------
echo "== exec: X -- /bin/true ($exec_runs runs each)" >&2
cmds=(/bin/true)
names=(baseline)
add_commands 47391 "" "/bin/true"
time_commands exec_ms 20 "$exec_runs" "${EXEC_ROUNDS:-10}"

# CPU time (init + child, as perf's task-clock) is steadier than wall time on a busy
# machine: scheduling delays inflate the wall time, not the CPU time.
if command -v perf >/dev/null && perf stat -e task-clock true >/dev/null 2>&1; then
  for i in "${!cmds[@]}"; do
    # shellcheck disable=SC2086
    cpu=$(perf stat -x, -e task-clock -r 200 ${cmds[$i]} 2>&1 >/dev/null | awk -F, '/task-clock/{print $1}')
    put "${names[$i]}" cpu_ms "$cpu"
  done
fi

# --- idle RSS and wake-ups (all inits idle at once) ---------------------------------
echo "== idle: RSS and context switches over ${idle_seconds}s" >&2
switches() {  # voluntary + involuntary context switches of every thread of a pid
  local total=0 t v
  for t in /proc/"$1"/task/*; do
    v=$(awk '/^(voluntary|nonvoluntary)_ctxt_switches:/{s+=$2} END{print s+0}' "$t/status" 2>/dev/null || echo 0)
    total=$((total + v))
  done
  echo "$total"
}
declare -A idle_pid
for spec in "${inits[@]}"; do
  IFS='|' read -r name bin args <<<"$spec"
  [ "$name" = claude-init ] && args="--health-port 47392 $args"
  [ "$name" = claude-init-before ] && args="--health-port 47402 $args"
  # shellcheck disable=SC2086
  $bin $args sleep $((idle_seconds + 30)) >/dev/null 2>&1 &
  idle_pid[$name]=$!
  pids+=($!)
done
sleep 2
if ! "$ours" health --health-port 47392 >/dev/null; then
  echo "init_bench: claude-init's health endpoint is not up" >&2; exit 1
fi
declare -A start_sw
for name in "${!idle_pid[@]}"; do
  p=${idle_pid[$name]}
  put "$name" rss_kib "$(awk '/^VmRSS:/{print $2}' /proc/"$p"/status)"
  put "$name" threads "$(ls /proc/"$p"/task | wc -l)"
  start_sw[$name]=$(switches "$p")
done
sleep "$idle_seconds"
for name in "${!idle_pid[@]}"; do
  p=${idle_pid[$name]}
  put "$name" idle_wakeups $(( $(switches "$p") - ${start_sw[$name]} ))
  kill -TERM "$p" 2>/dev/null || true
  wait "$p" 2>/dev/null || true
done

# --- reaping 10 000 orphans as PID 1 -------------------------------------------------
echo "== reap: $orphans orphaned grandchildren, PID 1 in a fresh pid namespace ($reap_runs runs)" >&2
cmds=()
names=()
add_commands 47393 "unshare --pid --fork --mount-proc" "$child orphans $orphans 0 --wait-reaped"
time_commands reap_ms 1 "$reap_runs" "$reap_runs"

# --- stripped size -----------------------------------------------------------------------
for spec in "${inits[@]}"; do
  IFS='|' read -r name bin _ <<<"$spec"
  strip -o "$work/stripped" "$bin"
  put "$name" size_kib "$(( $(stat -c %s "$work/stripped") / 1024 ))"
  put "$name" static "$(file -L "$bin" | grep -q 'statically linked' && echo 1 || echo 0)"
done

cp "$json" "$results/init.json"
# Debian's python3-matplotlib lives with /usr/bin/python3 (a python3 earlier on PATH may lack it).
/usr/bin/python3 "$here/plot_init.py" "$results/init.json" "$results/init.png"
