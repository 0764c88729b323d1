#!/usr/bin/env bash
# Whether claude-init's link order (entrypoint/claude-init.order) pays for itself: the
# same objects of BUILD_DIR linked three ways, measured side by side in interleaved rounds:
#   order     ld.lld with the order file (the build's default)
#   no-order  ld.lld without it (cmake -DCLAUDE_INIT_ORDER=OFF)
#   bfd       GNU ld, no order (the build when ld.lld is missing)
# For each: stripped size; idle RSS (total, file-backed, anonymous) running `sleep` with the
# health endpoint up and --no-sync; page faults, CPU time (the init and /bin/true, from
# wait4) and wall time of `--no-sync -- /bin/true`.
# Prints a Markdown table (bench/README.md, "Link order"); raw numbers in bench/results/order.json.
# Usage: bench/order_bench.sh [BUILD_DIR]    (env: RUNS, default 200 starts per variant)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../build}" && pwd)
runs=${RUNS:-200}
link=$build/entrypoint/CMakeFiles/claude-init.dir/link.txt
[ -s "$link" ] && [ -x "$build/entrypoint/claude-init" ] ||
  { echo "order_bench: build claude-init first (cmake --build $build --target claude-init)" >&2; exit 1; }
grep -q -- '--symbol-ordering-file' "$link" ||
  { echo "order_bench: $build links claude-init without the order (ld.lld missing or CLAUDE_INIT_ORDER=OFF); use a build with it" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The build's own link command, with its output and linker options changed.
relink() {  # relink NAME SED_EXPRESSION...
  local name=$1; shift
  local cmd
  cmd=$(sed "$@" -e "s| -o claude-init | -o $work/$name |" "$link")
  # GNU ld warns that getaddrinfo needs glibc's shared libraries in a static link; the
  # init resolves numeric addresses only.
  (cd "$build/entrypoint" && eval "$cmd" 2>"$work/$name.log") ||
    { echo "order_bench: linking $name failed: $cmd" >&2; cat "$work/$name.log" >&2; exit 1; }
}
relink order -e 's|x|x|'
relink no-order -e 's| -Wl,--symbol-ordering-file=[^ ]*||' -e 's| -Wl,--no-warn-symbol-ordering||'
relink bfd -e 's| -Wl,--symbol-ordering-file=[^ ]*||' -e 's| -Wl,--no-warn-symbol-ordering||' -e 's|-fuse-ld=lld|-fuse-ld=bfd|'
cmp -s "$work/order" "$build/entrypoint/claude-init" ||
  echo "order_bench: note: the relinked 'order' binary differs from $build's claude-init (rebuilt since?)" >&2

mkdir -p "$here/results"
python3 - "$work" "$runs" "$here/results/order.json" <<'PY'
import json, os, socket, statistics, subprocess, sys, time, urllib.request
work, runs, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
names = ["order", "no-order", "bfd"]
bins = {n: os.path.join(work, n) for n in names}

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p

def start(binary):
    t0 = time.perf_counter()
    pid = os.posix_spawn(binary, [binary, "--no-sync", "--health-port", "0", "--", "/bin/true"], os.environ)
    _, status, ru = os.wait4(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, binary
    return time.perf_counter() - t0, ru.ru_minflt, (ru.ru_utime + ru.ru_stime) * 1000

def idle_rss(binary):
    port = free_port()
    p = subprocess.Popen([binary, "--no-sync", "--health-port", str(port), "--", "sleep", "30"])
    try:
        deadline = time.time() + 10
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).read(); break
            except Exception:
                if time.time() > deadline: raise
                time.sleep(0.05)
        time.sleep(0.5)
        fields = {}
        for line in open(f"/proc/{p.pid}/status"):
            k, _, v = line.partition(":")
            if k in ("VmRSS", "RssAnon", "RssFile"): fields[k] = int(v.split()[0])
        return fields
    finally:
        p.kill(); p.wait()

times = {n: [] for n in names}; minflt = {n: [] for n in names}; cpu = {n: [] for n in names}
for n in names: start(bins[n])  # warm the page cache
for _ in range(runs):
    for n in names:
        t, mi, c = start(bins[n]); times[n].append(t * 1000); minflt[n].append(mi); cpu[n].append(c)
rss = {n: [idle_rss(bins[n]) for _ in range(3)] for n in names}

print("| link | stripped KiB | idle RSS KiB | of it file-backed | anonymous | page faults per start | CPU ms per start | start ms p50 | p90 |")
print("|---|---|---|---|---|---|---|---|---|")
for n in names:
    r = min(rss[n], key=lambda f: f["VmRSS"])
    q = statistics.quantiles(times[n], n=10)
    print(f"| {n} | {os.path.getsize(bins[n]) // 1024} | {r['VmRSS']} | {r['RssFile']} | {r['RssAnon']} | "
          f"{statistics.median(minflt[n]):.0f} | {statistics.mean(cpu[n]):.2f} | {statistics.median(times[n]):.2f} | {q[8]:.2f} |")
json.dump({n: {"stripped_bytes": os.path.getsize(bins[n]), "idle_rss_kib": rss[n], "start_ms": times[n],
              "minor_faults": minflt[n], "cpu_ms": cpu[n]} for n in names}, open(out, "w"))
print(f"\n{runs} starts of `--no-sync --health-port 0 -- /bin/true` per link, interleaved; RSS: the lowest of 3 idle runs.")
PY
