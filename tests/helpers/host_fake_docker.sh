#!/usr/bin/env bash
# A stand-in for `docker` in the claude-host tests: `docker run ...` records its argv in
# $FAKE_DOCKER_LOG (one argument per line, then a blank line), finds the stage and outbox
# mounts, and runs $FAKE_CONTAINER (a script playing the container) with STAGE, OUTBOX,
# INBOX (the read-only inbox; "" when not mounted), RUN_ID, TRACE_ID in its environment; it exits with that script's status.
# `docker info` answers like a reachable engine unless FAKE_DOCKER_DOWN=1.
set -uo pipefail
case "${1:-}" in
  info)
    [ "${FAKE_DOCKER_DOWN:-0}" = 1 ] && { echo "Cannot connect to the Docker daemon" >&2; exit 1; }
    echo "20.10.24"; exit 0 ;;
  run) ;;
  *) echo "fake docker: unsupported: $*" >&2; exit 2 ;;
esac
log=${FAKE_DOCKER_LOG:-/dev/null}
for a in "$@"; do printf '%s\n' "$a" >> "$log"; done
printf '\n' >> "$log"
STAGE='' OUTBOX='' INBOX='' RUN_ID='' TRACE_ID=''
prev=''
for a in "$@"; do
  if [ "$prev" = --mount ]; then
    src=$(printf '%s' "$a" | sed -n 's/.*source=\([^,]*\).*/\1/p')
    case "$a" in
      *target=/run/claude/stage*) STAGE=$src ;;
      *target=/run/claude/outbox*) OUTBOX=$src ;;
      *target=/run/claude/inbox*) INBOX=$src ;;
    esac
  fi
  if [ "$prev" = -e ]; then
    case "$a" in
      CLAUDE_INIT_RUN_ID=*) RUN_ID=${a#CLAUDE_INIT_RUN_ID=} ;;
      CLAUDE_INIT_TRACE_ID=*) TRACE_ID=${a#CLAUDE_INIT_TRACE_ID=} ;;
    esac
  fi
  prev=$a
done
export STAGE OUTBOX INBOX RUN_ID TRACE_ID
[ -n "${FAKE_CONTAINER:-}" ] || exit 0
"$FAKE_CONTAINER"
