#!/usr/bin/env bash
# Scenario 7: three `claude-host run` at once on the same home, each container adding its
# own MCP server (for the same project) and running its own headless session. After all
# three read-backs the host has all three servers and all three sessions: nothing lost.
source "$(dirname "$0")/lib.sh" "$@"
e2e_ready

cwd=/workspace/demo.project
pids=()
for i in 1 2 3; do
  # The session through `claude-host run -- ARGS`; then, in the same container, the
  # server (E2E_AFTER, see with-stand-in-api.sh).
  add="/usr/local/bin/claude mcp add-json srv-$i '{\"type\":\"stdio\",\"command\":\"$cwd/bin/mcp-server\",\"args\":[\"--id\",\"$i\"]}'"
  e2e_host_run -e "FAKE_API_WRITE_PATH=$cwd/three-$i.txt" -e "E2E_AFTER=$add" \
    -- -p "write file $i" --dangerously-skip-permissions >"$E2E_WORK/run-$i.out" 2>&1 &
  pids+=($!)
done
for i in 1 2 3; do
  if ! wait "${pids[$((i - 1))]}"; then
    fail "claude-host run #$i failed: $(tail -n 30 "$E2E_WORK/run-$i.out")"
  fi
done
[ "$(e2e_runs | wc -l)" -eq 3 ] || fail "expected three runs, found: $(e2e_runs | tr '\n' ' ')"

e2e_assert_json_valid "$HOME/.claude.json"
python3 - "$HOME/.claude.json" "$E2E_PROJECT" "$HOME/.claude/projects/$E2E_PROJECT_KEY" <<'PY' || fail "something the three containers did was lost"
import json, os, sys
cfg, project, sessions_dir = sys.argv[1:4]
servers = json.load(open(cfg))["projects"][project]["mcpServers"]
missing = [f"srv-{i}" for i in (1, 2, 3) if f"srv-{i}" not in servers]
assert not missing, f"lost {missing}; host has {sorted(servers)}"
for i in (1, 2, 3):
    s = servers[f"srv-{i}"]
    assert s["command"] == project + "/bin/mcp-server" and s["args"] == ["--id", str(i)], s
logs = [f for f in os.listdir(sessions_dir) if f.endswith(".jsonl") and not f.startswith("0ld5e55i")]
assert len(logs) == 3, f"expected 3 new session logs, host has {logs}"
for f in logs:
    for line in open(os.path.join(sessions_dir, f)):
        r = json.loads(line)
        assert r.get("cwd", project) == project, r.get("cwd")
print("host has srv-1..3 and 3 new sessions")
PY
for i in 1 2 3; do [ -s "$E2E_PROJECT/three-$i.txt" ] || fail "container $i's Write is missing"; done
e2e_pass
