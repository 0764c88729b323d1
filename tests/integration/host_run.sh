#!/usr/bin/env bash
# `claude-host run` with a stand-in `docker` first on PATH: the docker command line (mounts,
# limits, no --init, ANTHROPIC_* by name only), credentials refreshed in the container
# written back to the host within a second while it runs, the read-back afterwards, and the
# container's exit status passed through. Also `doctor` and `status`.
source "$(dirname "$0")/../helpers/host_test_lib.sh" "$1"

BIN="$TEST_ROOT/bin"; mkdir -p "$BIN"
ln -s "$HELPERS/host_fake_docker.sh" "$BIN/docker"
export PATH="$BIN:$PATH"
export FAKE_DOCKER_LOG="$TEST_ROOT/docker-args.txt"
export ANTHROPIC_API_KEY="sk-ant-api-VALUEMUSTNOTLEAK"
PROJ="$TEST_ROOT/work/app"; mkdir -p "$PROJ"; cd "$PROJ"
ENC=$(make_claude_home "$PROJ")
EXP=$(( ($(date +%s) + 7200) * 1000 ))
NEW="{\"claudeAiOauth\":{\"accessToken\":\"sk-ant-oat01-FRESH\",\"refreshToken\":\"sk-ant-ort01-ROTATED\",\"expiresAt\":$EXP}}"

# The container: refreshes its token, checks that the host has it within a second, adds a
# session line, exits 7.
cat > "$TEST_ROOT/container.sh" <<SH
#!/usr/bin/env bash
set -euo pipefail
python3 "$OUTBOX_WRITER" "\$OUTBOX" begin "\$RUN_ID" "\$TRACE_ID"
python3 "$OUTBOX_WRITER" "\$OUTBOX" put-text .credentials.json '$NEW' 600
start=\$(date +%s%N)
until [ "\$(cat "$HOME/.claude/.credentials.json")" = '$NEW' ]; do
  [ \$(( \$(date +%s%N) - start )) -lt 1000000000 ] || { echo "host did not get the new token within 1 s" >&2; exit 99; }
  sleep 0.02
done
echo \$(( (\$(date +%s%N) - start) / 1000000 )) > "$TEST_ROOT/writeback-ms"
# The init publishes a log's first version whole (the staged lines and the new one), then appends.
python3 "$OUTBOX_WRITER" "\$OUTBOX" put "projects/$ENC/s1.jsonl" "\$STAGE/tree/projects/$ENC/s1.jsonl" 600
python3 "$OUTBOX_WRITER" "\$OUTBOX" append "projects/$ENC/s1.jsonl" '{"uuid":"from-run"}'$'\n'
exit 7
SH
chmod +x "$TEST_ROOT/container.sh"
export FAKE_CONTAINER="$TEST_ROOT/container.sh"

set +e; "$CLAUDE_HOST" run -- -p "hello there" > "$TEST_ROOT/run.out" 2> "$TEST_ROOT/run.err"; rc=$?; set -e
[ "$rc" = 7 ] || fail "run exit $rc (want the container's 7): $(cat "$TEST_ROOT/run.err")"
pass "run exits with the container's status"
echo "  credentials written back after $(cat "$TEST_ROOT/writeback-ms") ms"
[ "$(cat "$HOME/.claude/.credentials.json")" = "$NEW" ] || fail "credentials not on the host"
[ "$(stat -c %a "$HOME/.claude/.credentials.json")" = 600 ] || fail "credentials mode"
grep -q '"uuid":"from-run"' "$HOME/.claude/projects/$ENC/s1.jsonl" || fail "no read-back after the run"
pass "refreshed credentials written back within a second; read back after the container"

python3 - "$FAKE_DOCKER_LOG" "$PROJ" <<'PY' || fail "docker command line: $(cat "$FAKE_DOCKER_LOG")"
import sys
args = open(sys.argv[1]).read().split("\n\n")[0].split("\n")
proj = sys.argv[2]
assert args[0] == "run", args  # the fake docker logs its arguments
assert "--init" not in args
def after(flag): return [args[i + 1] for i, a in enumerate(args) if a == flag]
assert after("--memory") == ["2g"] and after("--cpus") == ["2"] and after("--pids-limit") == ["100"], args
mounts = after("--mount")
assert any(m.endswith("target=/run/claude/stage,readonly") for m in mounts), mounts
assert any("target=/run/claude/outbox" in m and "readonly" not in m for m in mounts), mounts
assert f"type=bind,source={proj},target=/workspace/app" in mounts, mounts
envs = after("-e")
assert "ANTHROPIC_API_KEY" in envs, envs                     # by name
assert not any("VALUEMUSTNOTLEAK" in a for a in args), "an API key value on the command line"
assert any(e.startswith("CLAUDE_INIT_TRACE_ID=") for e in envs) and any(e.startswith("CLAUDE_INIT_RUN_ID=") for e in envs)
assert after("-w") == ["/workspace/app"]
assert args[-4:] == ["claude-init:latest", "claude", "-p", "hello there"], args[-4:]
assert "-i" in args and "-it" not in args   # not a terminal here
PY
pass "docker run: mounts, limits, no --init, env by name, image and claude args"

"$CLAUDE_HOST" status --json > "$TEST_ROOT/status.json"
python3 - "$TEST_ROOT/status.json" <<'PY' || fail "status: $(cat "$TEST_ROOT/status.json")"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["runs"][-1]["state"] == "read-back" and s["runs"][-1]["exit_code"] == 7, s
assert s["last_readback"]["exit_status"] == 0 and s["backup_age_s"] is not None
PY
pass "status shows the run read back, its exit code and the backup age"

"$CLAUDE_HOST" doctor > "$TEST_ROOT/doctor.txt" || true
grep -q "^ok   docker" "$TEST_ROOT/doctor.txt" && grep -q "^ok   staging dir" "$TEST_ROOT/doctor.txt" || fail "doctor: $(cat "$TEST_ROOT/doctor.txt")"
chmod 644 "$HOME/.claude/.credentials.json"; chmod 755 "$HOME/.claude-docker"
printf '{' > "$HOME/.claude/settings.json"
set +e; FAKE_DOCKER_DOWN=1 "$CLAUDE_HOST" doctor > "$TEST_ROOT/doctor2.txt"; rc=$?; set -e
[ "$rc" = 1 ] || fail "doctor passed a broken machine"
for want in "FAIL docker" "FAIL staging dir" "chmod -R go-rwx" "FAIL credentials" "chmod 600" "FAIL json" "settings.json"; do
  grep -qF "$want" "$TEST_ROOT/doctor2.txt" || fail "doctor lacks '$want': $(cat "$TEST_ROOT/doctor2.txt")"
done
pass "doctor finds docker down, loose permissions, corrupt JSON, each with its fix"
