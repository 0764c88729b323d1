#!/usr/bin/env bash
# Scenario 1: `claude-host run` where the container runs `claude mcp add-json` with a
# server whose command and args live under the mounted project. The host ~/.claude.json
# gets the server, keyed by the host project path, with host paths in command and args;
# everything else in it is kept.
source "$(dirname "$0")/lib.sh" "$@"
e2e_ready

cp "$HOME/.claude.json" "$E2E_WORK/claude.json.before"
server='{"type":"stdio","command":"/workspace/demo.project/bin/mcp-server","args":["--root","/workspace/demo.project/data"],"env":{"DATA_DIR":"/workspace/demo.project/data"}}'
set +e
e2e_host_run -- mcp add-json e2e-demo "$server" >"$E2E_WORK/run.out" 2>&1
rc=$?
set -e
[ $rc -eq 0 ] || fail "claude-host run exited $rc: $(tail -n 30 "$E2E_WORK/run.out")"
grep -q "Added stdio MCP server e2e-demo" "$E2E_WORK/run.out" ||
  fail "the CLI inside did not report adding the server: $(tail -n 20 "$E2E_WORK/run.out")"

e2e_assert_json_valid "$HOME/.claude.json"
python3 - "$HOME/.claude.json" "$E2E_WORK/claude.json.before" "$E2E_PROJECT" <<'PY' || fail "host ~/.claude.json is not as expected"
import json, sys
now = json.load(open(sys.argv[1]))
before = json.load(open(sys.argv[2]))
project = sys.argv[3]
servers = now.get("projects", {}).get(project, {}).get("mcpServers", {})
srv = servers.get("e2e-demo")
assert srv is not None, f"no e2e-demo under projects[{project!r}]: {json.dumps(now.get('projects'), indent=1)[:2000]}"
assert srv["command"] == project + "/bin/mcp-server", srv
assert srv["args"] == ["--root", project + "/data"], srv
assert srv.get("env", {}).get("DATA_DIR") == project + "/data", srv
text = json.dumps(now)
assert "/workspace/" not in text, "a container path leaked into the host config"
# Nothing else was lost: the other project and the top-level keys are as before.
other = [k for k in before["projects"] if k != project]
for k in other:
    assert now["projects"].get(k) == before["projects"][k], f"projects[{k!r}] changed"
for k in ("numStartups", "userID", "customApiKeyResponses"):
    assert k in now, f"top-level {k} lost"
assert now["projects"][project].get("hasTrustDialogAccepted") is True
print("host .claude.json: e2e-demo keyed by", project, "with host paths")
PY
e2e_pass
