#!/bin/sh
# Runs COMMAND inside a test container with the stand-in Anthropic API listening on the
# container's own loopback, so the container needs no network (`--network none`).
# The end-to-end tests mount tests/e2e at /opt/e2e/lib and fake_anthropic_api at
# /opt/e2e/bin. Environment: FAKE_API_WRITE_PATH (absolute path the scripted Write tool
# use writes), FAKE_API_SCRIPT (a file of scripted tool uses, see fake_anthropic_api.cc;
# "{cwd}" in it is the working directory this script runs in), E2E_API_LOG (request log,
# default /tmp/stand-in-api.jsonl).
#
# The command is exec'd, so it is claude-init's direct child and gets its signals and the
# terminal; the API server stays behind as an orphan that claude-init reaps at the end.
# With E2E_AFTER set, the command runs as a child instead and then `sh -c "$E2E_AFTER"`
# runs (a test's look at the container from inside); the command's status is returned.
set -eu
api=${E2E_FAKE_API:-/opt/e2e/bin/fake_anthropic_api}
portfile=/tmp/stand-in-api.port
rm -f "$portfile"
FAKE_API_CWD=${FAKE_API_CWD:-$PWD}
export FAKE_API_CWD
if [ -n "${FAKE_API_WRITE_PATH:-}" ]; then
  "$api" --port-file "$portfile" --log "${E2E_API_LOG:-/tmp/stand-in-api.jsonl}" \
    --write-path "$FAKE_API_WRITE_PATH" >/dev/null 2>&1 </dev/null &
else
  "$api" --port-file "$portfile" --log "${E2E_API_LOG:-/tmp/stand-in-api.jsonl}" >/dev/null 2>&1 </dev/null &
fi
pid=$!
tries=0
while [ ! -s "$portfile" ]; do
  if ! kill -0 "$pid" 2>/dev/null; then echo "with-stand-in-api: the stand-in API exited at start" >&2; exit 125; fi
  tries=$((tries + 1))
  if [ "$tries" -gt 200 ]; then echo "with-stand-in-api: the stand-in API did not listen within 10s" >&2; exit 125; fi
  sleep 0.05
done
ANTHROPIC_BASE_URL="http://127.0.0.1:$(cat "$portfile")"
export ANTHROPIC_BASE_URL
export ANTHROPIC_API_KEY="${ANTHROPIC_API_KEY:-sk-ant-stand-in-not-a-secret}"
export CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 DISABLE_TELEMETRY=1 IS_SANDBOX=1
if [ -n "${E2E_AFTER:-}" ]; then
  after=$E2E_AFTER
  unset E2E_AFTER  # a `claude` inside it must not run it again
  set +e
  "$@"
  rc=$?
  sh -c "$after" || exit 125
  exit "$rc"
fi
exec "$@"
