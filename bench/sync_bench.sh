#!/usr/bin/env bash
# Sync benchmark (see bench/README.md, "Sync engine"): claude-init vs lsyncd (delay 0.1 s),
# an inotifywait -m -r + rsync loop and rsync polling, on two loop devices with ext4 (or
# tmpfs when loop devices are unavailable), in one run. Prints a table, writes
# bench/results/sync.json and bench/results/sync.png. Needs root. ~8 minutes
# (SYNC_BENCH_QUICK=1: ~3 minutes, shorter append and idle phases).
set -euo pipefail
BUILD=$(cd "${1:-build}" && pwd)
INIT=$BUILD/entrypoint/claude-init
[ -x "$INIT" ] || { echo "build claude-init first (make build)" >&2; exit 1; }
# SYNC_BENCH_BEFORE=BUILD_DIR: the build of the tree before a change, run side by side as
# "claude-init-before" (the same phases, the same filesystems, right after this tree's run).
if [ -n "${SYNC_BENCH_BEFORE:-}" ]; then
  SYNC_BENCH_BEFORE_INIT=$(cd "$SYNC_BENCH_BEFORE" && pwd)/entrypoint/claude-init
  [ -x "$SYNC_BENCH_BEFORE_INIT" ] || { echo "SYNC_BENCH_BEFORE: no claude-init in $SYNC_BENCH_BEFORE/entrypoint" >&2; exit 1; }
  export SYNC_BENCH_BEFORE_INIT
fi
for t in lsyncd inotifywait rsync python3; do command -v $t >/dev/null || { echo "missing $t (scripts/install-deps.sh bench)" >&2; exit 1; }; done
WORK=$(mktemp -d /tmp/sync-bench.XXXXXX)
SRC=$WORK/src; DST=$WORK/dst; mkdir -p "$SRC" "$DST"
LOOPS=()
cleanup() {
  sleep 1  # let the tools' last processes go before unmounting
  umount "$SRC" 2>/dev/null || umount -l "$SRC" 2>/dev/null || true
  umount "$DST" 2>/dev/null || umount -l "$DST" 2>/dev/null || true
  for l in "${LOOPS[@]:-}"; do [ -n "$l" ] && losetup -d "$l" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
kind="ext4 on loop devices"
if truncate -s 1200M "$WORK/src.img" "$WORK/dst.img" && s=$(losetup -f --show "$WORK/src.img") && LOOPS+=("$s") &&
   d=$(losetup -f --show "$WORK/dst.img") && LOOPS+=("$d"); then
  # No lazy inode-table init: its background writes would be counted against every tool.
  mkfs.ext4 -q -E lazy_itable_init=0,lazy_journal_init=0 "$s" && mkfs.ext4 -q -E lazy_itable_init=0,lazy_journal_init=0 "$d"
  mount "$s" "$SRC" && mount "$d" "$DST"
  dev=$(basename "$d")
else
  kind="tmpfs (no loop devices)"
  mount -t tmpfs -o size=1200m tmpfs "$SRC"; mount -t tmpfs -o size=1200m tmpfs "$DST"; dev=none
fi
echo "sync benchmark on $kind (source $SRC, outbox $DST)"
# Debian's python3 (python3-matplotlib) for the plot, whatever python3 is first on PATH.
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3
"$PY" "$(dirname "$0")/sync_bench.py" "$SRC" "$DST" "$dev" "$INIT" "$kind"
