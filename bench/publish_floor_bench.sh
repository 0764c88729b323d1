#!/usr/bin/env bash
# The publish floor (see bench/README.md, "Publish floor"): what ext4 on a loop device costs
# to make a 1000-file burst visible by each strategy, with no sync engine at all — the
# floor under claude-init's burst latency. Prints a table, writes
# bench/results/publish_floor.json and bench/results/publish_floor.png. Needs root, cc.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
RESULTS=$HERE/results; mkdir -p "$RESULTS"
RUNS=${PUBLISH_FLOOR_RUNS:-7}; FILES=${PUBLISH_FLOOR_FILES:-1000}; SIZE=${PUBLISH_FLOOR_SIZE:-120}
WORK=$(mktemp -d /tmp/publish-floor.XXXXXX); LOOP=""
cleanup() { umount "$WORK/mnt" 2>/dev/null || true; [ -n "$LOOP" ] && losetup -d "$LOOP" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
cc -O2 -Wall -Werror -o "$WORK/publish_floor" "$HERE/publish_floor.c"
truncate -s 512M "$WORK/fs.img"; mkdir "$WORK/mnt"
LOOP=$(losetup -f --show "$WORK/fs.img")
# No lazy inode-table init: its background writes would land inside the measurements.
mkfs.ext4 -q -E lazy_itable_init=0,lazy_journal_init=0 "$LOOP"; mount "$LOOP" "$WORK/mnt"
echo "publish floor: $FILES files of $SIZE bytes into one folder, ext4 on a loop device, $RUNS runs each (median)"
STRATEGIES="rename rename-sync tmpfile-sync tmpfile-sfr"
: >"$WORK/raw"
for r in $(seq "$RUNS"); do
  for s in $STRATEGIES; do  # interleaved, so drift hits every strategy alike
    d="$WORK/mnt/$s-$r"; mkdir "$d"; sync -f "$WORK/mnt"
    echo "$s $("$WORK/publish_floor" "$d" "$s" "$FILES" "$SIZE")" >>"$WORK/raw"
  done
done
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3
"$PY" - "$WORK/raw" "$RESULTS" "$FILES" "$SIZE" <<'PYEOF'
import json, statistics, sys
raw, results, files, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
rows = {}
for line in open(raw):
    s, wall, cpu = line.split(); rows.setdefault(s, []).append((float(wall), float(cpu)))
what = {"rename": "named temp + rename, no sync (rsync; not durable)",
        "rename-sync": "named temp; syncfs; rename",
        "tmpfile-sync": "O_TMPFILE; syncfs; linkat (claude-init)",
        "tmpfile-sfr": "O_TMPFILE + sync_file_range; syncfs; linkat"}
out = {}
print("%-14s | %-50s | %-16s | %-16s | %s" % ("strategy", "", "wall ms (median)", "wall ms (range)", "CPU ms (median)"))
print("-" * 125)
for s, v in rows.items():
    walls = sorted(w for w, _ in v); cpus = [c for _, c in v]
    out[s] = {"wall_ms": statistics.median(walls), "wall_min": walls[0], "wall_max": walls[-1], "cpu_ms": statistics.median(cpus)}
    print("%-14s | %-50s | %16.1f | %7.1f – %6.1f | %.1f" % (s, what[s], out[s]["wall_ms"], walls[0], walls[-1], out[s]["cpu_ms"]))
json.dump({"files": files, "size": size, "strategies": out}, open(results + "/publish_floor.json", "w"), indent=1)
try:
    import matplotlib; matplotlib.use("Agg"); import matplotlib.pyplot as plt
    names = list(out); fig, ax = plt.subplots(figsize=(8, 3.5))
    ax.bar(names, [out[n]["wall_ms"] for n in names], yerr=[[out[n]["wall_ms"] - out[n]["wall_min"] for n in names],
           [out[n]["wall_max"] - out[n]["wall_ms"] for n in names]], capsize=4, label="wall")
    ax.bar(names, [out[n]["cpu_ms"] for n in names], width=0.4, label="CPU")
    ax.axhline(50, color="red", linestyle="--", label="burst p99 target (50 ms)")
    ax.set_ylabel("ms for %d files" % files); ax.set_title("Publish floor: %d files of %d B, ext4 on loop" % (files, size))
    ax.legend(); fig.tight_layout(); fig.savefig(results + "/publish_floor.png", dpi=110)
    print("plot: %s/publish_floor.png" % results)
except ImportError:
    print("(no matplotlib: no plot)")
PYEOF
