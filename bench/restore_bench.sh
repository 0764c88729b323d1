#!/usr/bin/env bash
# claude-host backup/restore of a generated 1 GiB Claude home: the first snapshot, an
# unchanged second one (shared contents), and `restore` (verify, build, atomic swap,
# re-verify). Target: restore well inside 5 minutes. Prints a table, writes
# results/restore.json and results/restore.png. Usage: bench/restore_bench.sh [BUILD_DIR] [MiB]
set -euo pipefail
BUILD=$(cd "${1:-build}" && pwd)
MIB=${2:-1024}
HERE=$(cd "$(dirname "$0")" && pwd)
CLAUDE_HOST="$BUILD/hostside/claude-host"
WORK=$(mktemp -d /tmp/claude-restore-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
export HOME="$WORK/home" CLAUDE_HOST_KEYCHAIN=0
unset CLAUDE_CONFIG_DIR
mkdir -p "$HOME"

echo "generating a ${MIB} MiB Claude home ..."
python3 - "$HOME" "$MIB" <<'PY'
import json, os, sys
home, mib = sys.argv[1], int(sys.argv[2])
c = os.path.join(home, ".claude")
os.makedirs(c + "/commands", exist_ok=True)
json.dump({"projects": {f"/home/u/p{i}": {"allowedTools": []} for i in range(64)}}, open(home + "/.claude.json", "w"))
json.dump({"model": "opus"}, open(c + "/settings.json", "w"))
# Mostly session logs (4 MiB each, unique content), plus 2000 small files.
big = (mib * 1024 * 1024 - 2000 * 4096) // (4 << 20)
for i in range(big):
    d = f"{c}/projects/-home-u-p{i % 64}"
    os.makedirs(d, exist_ok=True)
    with open(f"{d}/s{i}.jsonl", "wb") as f:
        f.write(os.urandom(3 << 20).hex().encode()[: 4 << 20])
for i in range(2000):
    d = f"{c}/todos" if i % 2 else f"{c}/file-history/h{i % 50}"
    os.makedirs(d, exist_ok=True)
    open(f"{d}/f{i}.json", "w").write(json.dumps({"i": i, "pad": "x" * 4000}))
PY
size=$(du -sb "$HOME" | cut -f1)
secs() { local s=$(date +%s%N); "$@" > /dev/null; printf "%.2f" "$(echo "scale=3; ($(date +%s%N) - $s) / 1000000000" | bc)"; }
t_first=$(secs "$CLAUDE_HOST" backup create)
t_second=$(secs "$CLAUDE_HOST" backup create)
before=$(cd "$HOME" && find .claude .claude.json -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum)
rm -rf "$HOME/.claude/projects/-home-u-p1"; echo broken > "$HOME/.claude.json"
t_restore=$(secs "$CLAUDE_HOST" restore)
after=$(cd "$HOME" && find .claude .claude.json -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum)
[ "$before" = "$after" ] || { echo "restore did not bring back the same bytes" >&2; exit 1; }
verdict=$(echo "$t_restore < 300" | bc -q | sed 's/1/PASS/;s/0/MISS/')

printf '\n| home | files | first backup s | unchanged backup s | restore s | target (< 300 s) |\n|---|---|---|---|---|---|\n'
printf '| %.0f MiB | %s | %s | %s | %s | %s |\n' "$(echo "$size / 1048576" | bc)" \
  "$(find "$HOME/.claude" -type f | wc -l)" "$t_first" "$t_second" "$t_restore" "$verdict"
cat > "$HERE/results/restore.json" <<JSON
{"bytes": $size, "first_backup_s": $t_first, "unchanged_backup_s": $t_second, "restore_s": $t_restore, "target_s": 300}
JSON
/usr/bin/python3 "$HERE/restore_plot.py" "$HERE/results/restore.json" "$HERE/results/restore.png"
echo "plot: bench/results/restore.png"
