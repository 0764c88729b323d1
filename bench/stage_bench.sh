#!/usr/bin/env bash
# `claude-host stage` time against the size of other projects' session history, with
# --history project (the default: only the mounted project's folder) and --history all;
# cold (empty content store and hash cache) and warm (re-stage, nothing changed).
# Prints a table, writes results/stage.json and results/stage.png.
# Usage: bench/stage_bench.sh [BUILD_DIR] [MiB sizes...]
set -euo pipefail
BUILD=$(cd "${1:-build}" && pwd); shift || true
SIZES=("$@"); [ ${#SIZES[@]} -gt 0 ] || SIZES=(0 128 512 1024)
HERE=$(cd "$(dirname "$0")" && pwd)
CLAUDE_HOST="$BUILD/hostside/claude-host"
WORK=$(mktemp -d /tmp/claude-stage-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
export HOME="$WORK/home" CLAUDE_HOST_KEYCHAIN=0
unset CLAUDE_CONFIG_DIR
PROJ="$WORK/proj"; mkdir -p "$PROJ" "$HOME/.claude/projects"
ENC=$(printf '%s' "$PROJ" | sed 's/[^A-Za-z0-9]/-/g')
mkdir -p "$HOME/.claude/projects/$ENC"
printf '{"projects":{}}' > "$HOME/.claude.json"
# The mounted project's own history: 16 MiB.
for i in $(seq 1 4); do head -c $((4 << 20)) /dev/urandom | base64 -w 200 > "$HOME/.claude/projects/$ENC/s$i.jsonl"; done
secs() { local s=$(date +%s%N); "$@" > /dev/null; printf "%.3f" "$(echo "scale=3; ($(date +%s%N) - $s) / 1000000000" | bc)"; }
reset_state() { rm -rf "$HOME/.claude-docker"; }
have=0
printf '\n| other projects MiB | project cold s | project warm s | all cold s | all warm s |\n|---|---|---|---|---|\n'
echo '[' > "$WORK/rows"
first=1
for mib in "${SIZES[@]}"; do
  while [ "$have" -lt "$mib" ]; do  # grow other projects' history, 4 MiB per session file
    d="$HOME/.claude/projects/-other-p$((have / 64))"; mkdir -p "$d"
    head -c $((3 << 20)) /dev/urandom | base64 -w 200 > "$d/s$have.jsonl"
    have=$((have + 4))
  done
  cd "$PROJ"
  reset_state; pc=$(secs "$CLAUDE_HOST" stage --history project); pw=$(secs "$CLAUDE_HOST" stage --history project)
  reset_state; ac=$(secs "$CLAUDE_HOST" stage --history all); aw=$(secs "$CLAUDE_HOST" stage --history all)
  printf '| %s | %s | %s | %s | %s |\n' "$mib" "$pc" "$pw" "$ac" "$aw"
  [ $first = 1 ] || echo ',' >> "$WORK/rows"; first=0
  printf '{"other_mib":%s,"project_cold":%s,"project_warm":%s,"all_cold":%s,"all_warm":%s}\n' "$mib" "$pc" "$pw" "$ac" "$aw" >> "$WORK/rows"
done
echo ']' >> "$WORK/rows"
cp "$WORK/rows" "$HERE/results/stage.json"
/usr/bin/python3 "$HERE/stage_plot.py" "$HERE/results/stage.json" "$HERE/results/stage.png"
echo "plot: bench/results/stage.png"
