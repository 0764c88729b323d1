#!/usr/bin/env bash
# Regenerates entrypoint/claude-init.order, the link-time function order of the static
# claude-init (see ARCHITECTURE.md, "Link order"). The kernel maps an executable's text in
# 64 KiB fault-around windows, so the code the init runs must sit together at the front of
# .text: then the rest of the 1.9 MB (error paths, the sync engine's rare branches, unused
# library code) is never mapped and never counted in the init's RSS.
#
# Training: an unstripped build of claude-init runs under valgrind's callgrind through
#   start    `-- /bin/true` as a subreaper, as PID 1 of a fresh pid namespace, and on a
#            terminal (what runs before and while the child is spawned, and the exit);
#   serve    idle with the health endpoint up: /healthz /readyz /metrics /status, POST
#            /sync, `claude-init health [--json]`, then SIGTERM;
#   sync     a stage seed, a child probe, changes published to the outbox, the
#            `sync` barrier, SIGTERM with the final flush and report; then a run
#            without a stage whose child ends by itself.
# The code that runs in the vfork()ed child before exec is recorded too (callgrind dumps
# at execve). Then start and serve run natively under gdb, with a one-shot breakpoint on
# every function callgrind did not see: valgrind gives the program no vDSO and a CPU
# without AVX-512, and leaves out _start and the IFUNC resolvers. Each glibc string
# function variant found brings its siblings for other CPUs (SSE2, AVX2, EVEX, AVX-512).
# The order file lists the start functions first (start-up is dense), then what serve and
# sync added, then the data objects the start reads and writes (valgrind's lackey traces
# every access), so that they share a few pages of .rodata, .data and .bss.
#
# Usage: scripts/gen-order.sh [BUILD_DIR] [OUT]   (default: build, entrypoint/claude-init.order)
# Needs: valgrind, gdb, unshare (root, as the integration tests), script (util-linux),
# curl, python3. Regenerate when the code the init runs at start-up or idle changes (CONTRIBUTING.md).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
out=${2:-$root/entrypoint/claude-init.order}

for tool in valgrind gdb unshare script curl python3 nm; do
  command -v "$tool" >/dev/null || { echo "gen-order: $tool is missing (apt-get install valgrind gdb util-linux curl python3 binutils)" >&2; exit 1; }
done
cmake --build "$build" --target claude-init-syms -j2 >/dev/null
bin=$build/entrypoint/claude-init-syms

work=$(mktemp -d "${TMPDIR:-/tmp}/gen-order.XXXXXX")
pids=()
cleanup() {
  local p
  for p in "${pids[@]:-}"; do [ -n "$p" ] && kill -KILL "$p" 2>/dev/null || true; done
  for p in "${pids[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "gen-order: $*" >&2; exit 1; }

# wait_until SECONDS CMD...: polls CMD until it succeeds; false on timeout.
wait_until() {
  local deadline=$(( $(date +%s%N) + $1 * 1000000000 )); shift
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s%N)" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
# vg PHASE ARGS...: claude-init-syms ARGS under callgrind, profiles in $work/PHASE.
vg() {
  local phase=$1; shift
  mkdir -p "$work/$phase"
  valgrind -q --tool=callgrind --demangle=no --dump-before=execve \
    --callgrind-out-file="$work/$phase/cg.%p" "$bin" "$@"
}
# run_pid1 PHASE LOG ARGS...: the init under callgrind as PID 1 of a fresh
# pid namespace, in the background; sets LAUNCHER and INIT_PID (valgrind running the init).
run_pid1() {
  local phase=$1 log=$2; shift 2
  mkdir -p "$work/$phase"
  unshare --pid --fork --mount-proc --kill-child \
    valgrind -q --tool=callgrind --demangle=no --dump-before=execve \
    --callgrind-out-file="$work/$phase/cg.%p" "$bin" "$@" >"$log" 2>&1 &
  LAUNCHER=$!
  pids+=("$LAUNCHER")
  wait_until 20 pgrep -P "$LAUNCHER" || fail "the init did not start under unshare"
  INIT_PID=$(pgrep -P "$LAUNCHER" | head -1)
}
stop_pid1() {
  kill -TERM "$INIT_PID"
  local rc=0
  wait "$LAUNCHER" || rc=$?
  [ "$rc" = 143 ] || [ "$rc" = 0 ] || { cat "$1" >&2; fail "the init exited $rc"; }
}
get() { curl -sf -m 10 -o /dev/null "$@"; }

# --- start ---------------------------------------------------------------------------
echo "gen-order: start (subreaper, PID 1, terminal)" >&2
port=$(free_port)
vg start --no-sync --health-port "$port" -- /bin/true
vg start --health-port "$port" -- /bin/true
unshare --pid --fork --mount-proc --kill-child \
  valgrind -q --tool=callgrind --demangle=no --dump-before=execve \
  --callgrind-out-file="$work/start/cg.%p" "$bin" --health-port "$port" -- /bin/true
# The data the start touches: lackey traces every load and store; the order file lists the
# objects hit (below), so that they share a few pages of .rodata, .data and .bss.
valgrind -q --tool=lackey --trace-mem=yes --log-file="$work/start/mem.%p" "$bin" --health-port "$port" -- /bin/true
# A terminal on stdin: the child gets its own process group and the foreground.
script -qec "valgrind -q --tool=callgrind --demangle=no --dump-before=execve \
  --callgrind-out-file='$work/start/cg.%p' '$bin' --health-port $port -- /bin/true" /dev/null >/dev/null

# --- serve -----------------------------------------------------------------------------
echo "gen-order: serve (idle, every endpoint, health and sync subcommands, SIGTERM)" >&2
port=$(free_port)
run_pid1 serve "$work/serve.log" --no-sync --health-port "$port" -- sleep 600
wait_until 60 get "http://127.0.0.1:$port/readyz" || { cat "$work/serve.log" >&2; fail "the init never became ready"; }
for endpoint in healthz readyz metrics status; do get "http://127.0.0.1:$port/$endpoint"; done
curl -s -m 10 -o /dev/null -X POST "http://127.0.0.1:$port/sync"
vg serve health --health-port "$port" >/dev/null
vg serve health --json --health-port "$port" >/dev/null
stop_pid1 "$work/serve.log"

# --- sync ------------------------------------------------------------------------------
echo "gen-order: sync (seed, probe, changes, barrier, final flush)" >&2
stage=$work/stage live=$work/live outbox=$work/outbox
mkdir -p "$stage/tree/projects/-home-al-proj" "$outbox"
printf '{"numStartups":3,"projects":{"/home/al/proj":{"allowedTools":[]}}}\n' >"$stage/tree/.claude.json"
printf '{"hooks":{"PostToolUse":[{"hooks":[{"type":"command","command":"/home/al/bin/fmt.sh"}]}]}}\n' >"$stage/tree/settings.json"
printf '{"claudeAiOauth":{"accessToken":"a","refreshToken":"r"}}\n' >"$stage/tree/.credentials.json"
printf '{"cwd":"/home/al/proj","type":"user"}\n' >"$stage/tree/projects/-home-al-proj/s1.jsonl"
python3 - "$stage" <<'PY'
import hashlib, json, os, sys
stage = sys.argv[1]; root = os.path.join(stage, "tree"); files = []
for d, _, names in os.walk(root):
    for n in sorted(names):
        p = os.path.join(d, n); b = open(p, "rb").read()
        files.append({"path": os.path.relpath(p, root), "size": len(b), "sha256": hashlib.sha256(b).hexdigest(),
                      "mode": 0o600 if n == ".credentials.json" else 0o644})
json.dump({"format": "claude-stage/1", "run_id": "run-1", "trace_id": "trace-1",
           "created_at": "2026-01-01T00:00:00Z",
           "mapping": [{"host": "/home/al/proj", "container": "/workspace/proj"}, {"host": "/home/al", "container": "/root"}],
           "files": files, "symlinks": []}, open(os.path.join(stage, "manifest.json"), "w"))
PY
port=$(free_port)
run_pid1 sync "$work/sync.log" --stage "$stage" --outbox "$outbox" --live-dir "$live" \
  --health-port "$port" --probe-cmd true --probe-interval 1s --probe-timeout 900ms -- sleep 600
wait_until 60 get "http://127.0.0.1:$port/readyz" || { cat "$work/sync.log" >&2; fail "the init never became ready"; }
printf '{"numStartups":4,"projects":{"/workspace/proj":{"allowedTools":[]}}}\n' >"$live/.claude.json"
printf '{"cwd":"/workspace/proj","type":"assistant"}\n' >>"$live/projects/-workspace-proj/s1.jsonl"
printf '{"display":"hi","project":"/workspace/proj"}\n' >>"$live/history.jsonl"
printf '{"claudeAiOauth":{"accessToken":"b","refreshToken":"r"}}\n' >"$live/.credentials.json"
mkdir -p "$live/todos" && printf '[]\n' >"$live/todos/t.json"
wait_until 60 vg sync sync --health-port "$port" || fail "claude-init sync did not complete"
rm -f "$live/todos/t.json"
wait_until 60 vg sync sync --health-port "$port" || fail "claude-init sync did not complete"
for endpoint in healthz readyz metrics status; do get "http://127.0.0.1:$port/$endpoint"; done
wait_until 60 grep -q '"numStartups":4' "$outbox/tree/.claude.json" || fail "a change never reached the outbox"
sleep 2   # a probe or two after start
stop_pid1 "$work/sync.log"
# No stage (the live dir as it is, generated run ids), and a child that ends by itself:
# the final flush and report without a stop signal.
mkdir -p "$work/outbox2" "$work/live2"
printf '{"theme":"dark"}\n' >"$work/live2/settings.json"
vg sync --outbox "$work/outbox2" --live-dir "$work/live2" --stage "$work/no-stage" \
  --health-port "$(free_port)" -- /bin/sh -c 'echo "{}" >"$0/settings.json"; sleep 1' "$work/live2" >/dev/null 2>&1 ||
  fail "the run without a stage failed"

# --- what valgrind cannot show ------------------------------------------------------------
# Under valgrind the program gets no vDSO (so glibc's start-up never sets it up) and a CPU
# without AVX-512 (so glibc's IFUNC resolvers pick other variants); callgrind also leaves
# out _start and the resolvers themselves. A native run under gdb with a one-shot
# breakpoint on every function callgrind did not see finds the rest.
nm --defined-only "$bin" | awk '$2 ~ /^[tTwWiI]$/ {print $3}' | sort -u >"$work/text-symbols"
python3 - "$work" <<'PY'
import glob, os, re, sys
work = sys.argv[1]
text = set(open(os.path.join(work, "text-symbols")).read().split())
for phase in ("start", "serve", "sync"):
    names = set()
    for path in glob.glob(os.path.join(work, phase, "cg.*")):
        ids = {}
        for line in open(path, errors="replace"):
            m = re.match(r"^c?fn=\((\d+)\)(?: (.+))?$", line.rstrip("\n"))
            if not m:
                continue
            if m.group(2):
                ids[m.group(1)] = m.group(2)
            name = re.sub(r"'\d+$", "", ids.get(m.group(1), ""))   # callgrind's recursion suffix
            if name in text:
                names.add(name)
    if not names:
        sys.exit(f"gen-order: callgrind recorded nothing in phase {phase}")
    open(os.path.join(work, f"{phase}.names"), "w").write("\n".join(sorted(names)) + "\n")
PY
cat "$work"/*.names | sort -u >"$work/seen"
# One breakpoint per function address that no name callgrind saw stands for.
nm --defined-only "$bin" | awk '$2 ~ /^[tTwWiI]$/ {print $1, $3}' | python3 -c '
import sys
seen = set(open(sys.argv[1]).read().split())
by_addr = {}
for line in sys.stdin:
    addr, name = line.split()
    by_addr.setdefault(addr, []).append(name)
for addr, names in by_addr.items():
    if not seen.intersection(names):
        print(addr, names[0])' "$work/seen" >"$work/breakpoints"
cat >"$work/trace.py" <<'PY'
import gdb, os
hits = []
class Once(gdb.Breakpoint):
    def __init__(self, addr, name):
        super().__init__("*0x" + addr, internal=True)
        self.silent, self.name = True, name
    def stop(self):
        hits.append(self.name)
        self.enabled = False
        return False
for command in ("set pagination off", "set confirm off", "set detach-on-fork on",
                "set follow-fork-mode parent", "handle SIGTERM nostop noprint pass"):
    gdb.execute(command)
for line in open(os.environ["ORDER_BREAKPOINTS"]):
    addr, name = line.split()
    Once(addr, name)
gdb.events.exited.connect(lambda _: open(os.environ["ORDER_HITS"], "w").write("\n".join(hits) + "\n"))
gdb.execute("run")
PY
# native PHASE ARGS...: claude-init-syms ARGS under gdb; what it hit goes to PHASE.native.
native() {
  local phase=$1; shift
  ORDER_BREAKPOINTS=$work/breakpoints ORDER_HITS=$work/$phase.native \
    gdb -q -batch -nx -x "$work/trace.py" --args "$bin" "$@" >"$work/gdb-$phase.log" 2>&1 &
  NATIVE=$!
  pids+=("$NATIVE")
}
echo "gen-order: native start and serve under gdb ($(wc -l <"$work/breakpoints") breakpoints)" >&2
port=$(free_port)
native start --health-port "$port" -- /bin/true
wait "$NATIVE" || { cat "$work/gdb-start.log" >&2; fail "the native start run failed"; }
port=$(free_port)
native serve --no-sync --health-port "$port" -- sleep 600
wait_until 120 get "http://127.0.0.1:$port/readyz" || { cat "$work/gdb-serve.log" >&2; fail "the native serve run never became ready"; }
for endpoint in healthz readyz metrics status; do get "http://127.0.0.1:$port/$endpoint"; done
"$bin" health --health-port "$port" >/dev/null
kill -TERM "$(pgrep -P "$NATIVE" | head -1)"
wait "$NATIVE" || true
[ -s "$work/serve.native" ] || { cat "$work/gdb-serve.log" >&2; fail "the native serve run recorded nothing"; }

# --- the order file ----------------------------------------------------------------------
nm --defined-only -S "$bin" | awk 'NF == 4 && $3 ~ /^[dDbBrRvVu]$/ {print $1, $2, $4}' >"$work/data-symbols"
python3 - "$work" "$out" <<'PY'
import bisect, glob, os, re, sys
work, out = sys.argv[1:]
text = set(open(os.path.join(work, "text-symbols")).read().split())
def names(file):
    path = os.path.join(work, file)
    return set(open(path).read().split()) if os.path.exists(path) else set()

# A glibc string function variant the init calls pulls in the variants other CPUs pick:
# per instruction set the one with the same suffix (_unaligned_erms, ...), else all of
# that set's but the RTM ones (CPUs with TSX enabled are rare).
isas = ("avx512", "evex", "avx2", "avx", "sse2")
variant = re.compile(r"^(__[a-z0-9]+?)_(" + "|".join(isas) + r")(_\w+)?$")
def with_siblings(found):
    extra = set()
    for n in found:
        m = variant.match(n)
        if not m:
            continue
        for isa in isas:
            same = f"{m.group(1)}_{isa}{m.group(3) or ''}"
            if same in text:
                extra.add(same)
                continue
            extra |= {t for t in text if (t == f"{m.group(1)}_{isa}" or t.startswith(f"{m.group(1)}_{isa}_"))
                      and not t.endswith("_rtm") and variant.match(t)}
    return found | extra

# Data objects (with their sizes) that lackey saw the start read or write.
objects = []
for line in open(os.path.join(work, "data-symbols")):
    addr, size, name = line.split()
    objects.append((int(addr, 16), max(int(size, 16), 1), name))
objects.sort()
starts = [o[0] for o in objects]
data, access = {}, re.compile(r"^ ?[LSM] ([0-9a-f]+),")  # a dict: first touch first
for path in sorted(glob.glob(os.path.join(work, "start", "mem.*"))):
    for line in open(path, errors="replace"):
        m = access.match(line)
        if not m:
            continue
        a = int(m.group(1), 16)
        i = bisect.bisect_right(starts, a) - 1
        if i >= 0 and a < objects[i][0] + objects[i][1]:
            data.setdefault(objects[i][2])
if not data:
    sys.exit("gen-order: lackey recorded no data access in the start")

order, placed = [], set()
for phase in ("start", "serve", "sync"):
    found = names(f"{phase}.names") | names(f"{phase}.native")
    if phase == "start":
        # The vfork()ed child's profile is written on entry to execve, so execve is not in it.
        found.add("execve")
    found = with_siblings(found) - placed
    order.append((phase, sorted(found)))
    placed |= found

with open(out, "w") as f:
    f.write("# Link order of the static claude-init (ld.lld --symbol-ordering-file): the functions\n"
            "# the init runs go first in .text, so the code it never runs is never mapped.\n"
            "# Generated by scripts/gen-order.sh from a training run; regenerate, do not edit.\n")
    for phase, found in order:
        f.write(f"# {phase}: {len(found)} functions\n")
        f.writelines(n + "\n" for n in found)
    f.write(f"# start: {len(data)} data objects, in the order first touched\n")
    f.writelines(n + "\n" for n in data)
print(f"gen-order: wrote {out}: " + ", ".join(f"{p} {len(n)}" for p, n in order) + f", data {len(data)}", file=sys.stderr)
PY
