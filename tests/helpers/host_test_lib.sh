# Sourced by tests/integration/host_*.sh: a temporary HOME (never the real one), the
# binary under test, helpers to fail with a message and to poll with a deadline.
# Usage: source "$(dirname "$0")/../helpers/host_test_lib.sh" "$1"
set -euo pipefail
BUILD=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
HELPERS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CLAUDE_HOST="$BUILD/hostside/claude-host"
[ -x "$CLAUDE_HOST" ] || { echo "claude-host not built at $CLAUDE_HOST" >&2; exit 1; }
TEST_ROOT=$(mktemp -d /tmp/claude-host-test.XXXXXX)
export HOME="$TEST_ROOT/home"
export USER=tester
unset CLAUDE_CONFIG_DIR CLAUDE_HOST_KEYCHAIN
export CLAUDE_HOST_KEYCHAIN=0
mkdir -p "$HOME"
declare -a CLEANUP_PIDS=()
cleanup() {
  local pid
  for pid in "${CLEANUP_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  rm -rf "$TEST_ROOT"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok - $*"; }
# wait_for SECONDS COMMAND...: polls COMMAND every 50 ms until it succeeds or time runs out.
wait_for() {
  local deadline=$(( $(date +%s%N) + $1 * 1000000000 )); shift
  until "$@"; do
    [ "$(date +%s%N)" -lt "$deadline" ] || return 1
    sleep 0.05
  done
}
json_get() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval("d"+sys.argv[2]))' "$@"; }
# A small but realistic Claude home for project $1.
make_claude_home() {
  local project=$1 enc
  enc=$(printf '%s' "$project" | sed 's/[^A-Za-z0-9]/-/g')
  mkdir -p "$HOME/.claude/projects/$enc" "$HOME/.claude/projects/-other-project" "$HOME/.claude/commands" \
           "$HOME/.claude/debug" "$HOME/.claude/statsig" "$HOME/.claude/todos"
  printf '{"numStartups":3,"projects":{"%s":{"allowedTools":[]}},"theme":"dark"}\n' "$project" > "$HOME/.claude.json"
  printf '{"model":"opus","permissions":{"allow":["Bash(ls:*)"]}}\n' > "$HOME/.claude/settings.json"
  printf '# notes\n' > "$HOME/.claude/CLAUDE.md"
  printf '/review\n' > "$HOME/.claude/commands/review.md"
  printf '{"cwd":"%s","uuid":"1"}\n{"cwd":"%s","uuid":"2"}\n' "$project" "$project" > "$HOME/.claude/projects/$enc/s1.jsonl"
  printf '{"cwd":"/other/project","uuid":"9"}\n' > "$HOME/.claude/projects/-other-project/s9.jsonl"
  printf 'debug noise\n' > "$HOME/.claude/debug/x.txt"
  printf 'x\n' > "$HOME/.claude/app.log"
  printf '{"claudeAiOauth":{"accessToken":"sk-ant-oat01-SECRETTOKEN","refreshToken":"sk-ant-ort01-SECRETREFRESH","expiresAt":%s}}' \
    "$(( ($(date +%s) + 3600) * 1000 ))" > "$HOME/.claude/.credentials.json"
  chmod 600 "$HOME/.claude/.credentials.json"
  echo "$enc"
}
# sha256 of every file under the Claude state (for "nothing changed" checks).
state_digest() {
  (cd "$HOME" && find .claude .claude.json -type f ! -name '*.lock' -print0 2>/dev/null | sort -z | xargs -0 sha256sum) | sha256sum
}
OUTBOX_WRITER="$HELPERS/host_outbox_writer.py"

# Credentials, for the tests of one login everywhere. HOST_CREDS: the host's
# .credentials.json; BASE_S: an hour from now (set when this file is sourced).
HOST_CREDS="$HOME/.claude/.credentials.json"
BASE_S=$(( $(date +%s) + 3600 ))
# creds TAG OFFSET_S: a login whose tokens carry TAG, expiring at BASE_S + OFFSET_S.
creds() {
  printf '{"claudeAiOauth":{"accessToken":"sk-ant-oat01-%s","refreshToken":"sk-ant-ort01-%s","expiresAt":%s,"scopes":["user:inference"]}}' \
    "$1" "$1" "$(( (BASE_S + $2) * 1000 ))"
}
# host_write TEXT: the host CLI's write of its login: a temp file in the same folder, then rename.
host_write() {
  local tmp="$HOST_CREDS.tmp.$$"
  printf '%s' "$1" > "$tmp"; chmod 600 "$tmp"; mv -f "$tmp" "$HOST_CREDS"
}
# holds FILE TEXT: FILE has exactly TEXT.
holds() { [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]; }
