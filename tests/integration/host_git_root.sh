#!/usr/bin/env bash
# What `claude-host stage` and `run` mount: the git root of the working directory (a .git
# folder, or a worktree's "gitdir:" file), at /workspace/<root name>, with the container
# starting in the same subfolder; the folder itself outside a repository or when the
# repository holds the home; --mount-root and --project override. The stage's mapping
# covers the root, maps ~/.claude onto the container's config dir, and .claude.json's
# project key (the git root) comes out as /workspace/<root name> in the container.
source "$(dirname "$0")/../helpers/host_test_lib.sh" "$1"

BIN="$TEST_ROOT/bin"; mkdir -p "$BIN"
ln -s "$HELPERS/host_fake_docker.sh" "$BIN/docker"
export PATH="$BIN:$PATH"
export FAKE_DOCKER_LOG="$TEST_ROOT/docker-args.txt"
INFRA="$HOME/work/infra"; NET="$INFRA/modules/net"
mkdir -p "$INFRA/.git" "$NET" "$HOME/scratch" "$HOME/wt/feature/src"
printf 'gitdir: %s/.git/worktrees/feature\n' "$INFRA" > "$HOME/wt/feature/.git"
make_claude_home "$INFRA" > /dev/null
# The project's settings are keyed by the git root, as Claude Code keeps them.
cat > "$HOME/.claude.json" <<JSON
{"projects":{"$INFRA":{"allowedTools":["Bash(make:*)"],"mcpServers":{"local":{"command":"$INFRA/tools/mcp.sh","args":[]}}}}}
JSON
cat > "$HOME/.claude/settings.json" <<JSON
{"hooks":{"Stop":[{"hooks":[{"type":"command","command":"$HOME/.claude/hooks/stop.sh"}]}]},"permissions":{"allow":["Read(/$INFRA/**)"]}}
JSON

# stage_in DIR ARGS...: stages from DIR, prints the --json report's field $FIELD.
stage_json() { (cd "$1" && shift && "$CLAUDE_HOST" stage --json "$@"); }
field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

stage_json "$NET" > "$TEST_ROOT/s1.json" || fail "stage from a git subfolder: $(cat "$TEST_ROOT/s1.json")"
[ "$(field project < "$TEST_ROOT/s1.json")" = "$INFRA" ] || fail "mounted $(field project < "$TEST_ROOT/s1.json"), not the git root"
[ "$(field project_mount < "$TEST_ROOT/s1.json")" = /workspace/infra ] || fail "mount target $(field project_mount < "$TEST_ROOT/s1.json")"
[ "$(field workdir < "$TEST_ROOT/s1.json")" = /workspace/infra/modules/net ] || fail "workdir $(field workdir < "$TEST_ROOT/s1.json")"
STAGE=$(field stage_dir < "$TEST_ROOT/s1.json")
python3 - "$STAGE" "$INFRA" "$HOME" <<'PY' || fail "the stage's mapping"
import json, sys
stage, infra, home = sys.argv[1:]
m = json.load(open(stage + "/manifest.json"))["mapping"]
pairs = {(p["host"], p["container"], p.get("role", "plain")) for p in m}
assert (infra, "/workspace/infra", "plain") in pairs, pairs
assert (home + "/.claude", "/root/.claude-config", "config") in pairs, pairs
assert (home, "/root", "home") in pairs, pairs
PY
ENV=$(field compose_env < "$TEST_ROOT/s1.json")
grep -qx "CLAUDE_PROJECT_DIR=$INFRA" "$ENV" && grep -qx "CLAUDE_PROJECT_MOUNT=/workspace/infra" "$ENV" \
  && grep -qx "CLAUDE_WORKDIR=/workspace/infra/modules/net" "$ENV" || fail "compose.env: $(cat "$ENV")"
pass "from a git subfolder the git root is mounted, the workdir at the same subfolder, the mapping covers the root"

(cd "$NET" && "$CLAUDE_HOST" run -- -p hi > "$TEST_ROOT/run.out" 2> "$TEST_ROOT/run.err") || fail "run: $(cat "$TEST_ROOT/run.err")"
python3 - "$FAKE_DOCKER_LOG" "$INFRA" <<'PY' || fail "docker command line: $(cat "$FAKE_DOCKER_LOG")"
import sys
args = open(sys.argv[1]).read().split("\n\n")[-2].split("\n")
def after(flag): return [args[i + 1] for i, a in enumerate(args) if a == flag]
assert f"type=bind,source={sys.argv[2]},target=/workspace/infra" in after("--mount"), after("--mount")
assert after("-w") == ["/workspace/infra/modules/net"], after("-w")
PY
pass "run mounts the git root and starts in the subfolder"

# The live dir claude-init seeds from this stage: the project key, the MCP command, the
# hook (the config dir maps onto the live dir), the rule.
LIVE="$TEST_ROOT/live"
"$BUILD/entrypoint/claude-init" --stage "$STAGE" --outbox "$TEST_ROOT/outbox" --live-dir "$LIVE" --health-port 0 \
  -- /bin/cat "$LIVE/.claude.json" "$LIVE/settings.json" > "$TEST_ROOT/seeded.txt" 2> "$TEST_ROOT/init.err" \
  || fail "claude-init on the stage: $(cat "$TEST_ROOT/init.err")"
grep -qF '"/workspace/infra":' "$TEST_ROOT/seeded.txt" && grep -qF '"/workspace/infra/tools/mcp.sh"' "$TEST_ROOT/seeded.txt" \
  && grep -qF "\"$LIVE/hooks/stop.sh\"" "$TEST_ROOT/seeded.txt" \
  && grep -qF 'Read(//workspace/infra/**)' "$TEST_ROOT/seeded.txt" || fail "seeded config: $(cat "$TEST_ROOT/seeded.txt")"
pass "seeded: the git-root project key, the MCP command, the hook in the live dir, the // rule"

stage_json "$NET" --mount-root . > "$TEST_ROOT/s2.json" || fail "--mount-root ."
[ "$(field project < "$TEST_ROOT/s2.json")" = "$NET" ] && [ "$(field workdir < "$TEST_ROOT/s2.json")" = /workspace/net ] \
  || fail "--mount-root . mounted $(field project < "$TEST_ROOT/s2.json")"
stage_json "$HOME/scratch" --project "$NET" > "$TEST_ROOT/s3.json" || fail "--project"
[ "$(field project < "$TEST_ROOT/s3.json")" = "$INFRA" ] || fail "--project DIR did not find DIR's git root"
set +e; stage_json "$HOME/scratch" --mount-root "$INFRA" > "$TEST_ROOT/s4.json" 2>&1; rc=$?; set -e
[ "$rc" = 2 ] && grep -q "does not hold the working directory" "$TEST_ROOT/s4.json" || fail "a mount root outside was accepted: $(cat "$TEST_ROOT/s4.json")"
pass "--mount-root and --project override the search; a mount root that does not hold the workdir is refused"

stage_json "$HOME/wt/feature/src" > "$TEST_ROOT/s5.json" || fail "stage in a worktree"
[ "$(field project < "$TEST_ROOT/s5.json")" = "$HOME/wt/feature" ] && [ "$(field workdir < "$TEST_ROOT/s5.json")" = /workspace/feature/src ] \
  || fail "worktree: mounted $(field project < "$TEST_ROOT/s5.json")"
stage_json "$HOME/scratch" > "$TEST_ROOT/s6.json" || fail "stage outside a repository"
[ "$(field project < "$TEST_ROOT/s6.json")" = "$HOME/scratch" ] || fail "outside a repository: $(field project < "$TEST_ROOT/s6.json")"
ln -s "$NET" "$HOME/net-link"
stage_json "$HOME/net-link" > "$TEST_ROOT/s7.json" || fail "stage from a symlinked folder"
[ "$(field project < "$TEST_ROOT/s7.json")" = "$INFRA" ] && [ "$(field workdir < "$TEST_ROOT/s7.json")" = /workspace/infra/modules/net ] \
  || fail "symlinked cwd: $(cat "$TEST_ROOT/s7.json")"
mkdir "$HOME/.git"   # a dotfiles repository: never mount the whole home
stage_json "$HOME/scratch" > "$TEST_ROOT/s8.json" 2> "$TEST_ROOT/s8.err" || fail "stage under a dotfiles repository"
[ "$(field project < "$TEST_ROOT/s8.json")" = "$HOME/scratch" ] || fail "the home was mounted: $(cat "$TEST_ROOT/s8.json")"
grep -q "holds your home folder" "$TEST_ROOT/s8.json" || fail "no word about the dotfiles repository: $(cat "$TEST_ROOT/s8.json")"
pass "a worktree mounts its own folder; outside a repository the folder itself; a symlinked cwd is resolved; a repository holding the home is not mounted"
