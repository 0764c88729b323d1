#!/bin/sh
# Writes into the container's Claude config dir the way the CLI does, for the end-to-end
# tests (run inside the container, mounted at /opt/e2e/lib):
#   burst-writer.sh burst TRUTH   as fast as it can until SIGTERM/SIGINT: appends session
#                                 records (with cwd) to projects/<cwd>/burst.jsonl and
#                                 rewrites todos/burst-<n%8>.json by temp + rename; on the
#                                 signal it finishes the current step, writes the number of
#                                 steps to TRUTH and exits 42
#   burst-writer.sh tick          one step every 0.3 s until SIGTERM/SIGINT, then exits 0
set -eu
mode=${1:?usage: burst-writer.sh burst TRUTH | tick}
cfg=${CLAUDE_CONFIG_DIR:?}
key=$(pwd | sed 's/[^A-Za-z0-9]/-/g')
mkdir -p "$cfg/projects/$key" "$cfg/todos"
stop=0
trap 'stop=1' TERM INT HUP
i=0
step() {
  i=$((i + 1))
  printf '{"type":"user","cwd":"%s","sessionId":"burst","n":%d,"message":{"role":"user","content":"step %d"}}\n' \
    "$(pwd)" "$i" "$i" >>"$cfg/projects/$key/burst.jsonl"
  f="$cfg/todos/burst-$((i % 8)).json"
  printf '{"n":%d,"cwd":"%s"}\n' "$i" "$(pwd)" >"$f.tmp.$$"
  mv "$f.tmp.$$" "$f"
}
case "$mode" in
  burst)
    truth=${2:?burst needs the file that receives the step count}
    while [ "$stop" = 0 ]; do step; done
    echo "$i" >"$truth"
    exit 42 ;;
  tick)
    while [ "$stop" = 0 ]; do step; sleep 0.3 || true; done
    exit 0 ;;
  *) echo "burst-writer.sh: unknown mode $mode" >&2; exit 2 ;;
esac
