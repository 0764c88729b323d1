#!/usr/bin/env bash
# Scenario 2: a headless `claude -p` session against the stand-in API, with a scripted
# Write tool use on an absolute path. The host gets the session log under
# projects/<host-encoded project path>/, every cwd (and tool path) a host path, and every
# other byte identical to what the CLI wrote inside the container.
source "$(dirname "$0")/lib.sh" "$@"
e2e_ready

old_session=$HOME/.claude/projects/$E2E_PROJECT_KEY/0ld5e55i-0000-4000-8000-000000000000.jsonl
cp "$old_session" "$E2E_WORK/old-session.before"
cwd=/workspace/demo.project
# After the session, the container's own view of its logs is copied into the project
# (a mounted folder), to compare bytes with what read-back put on the host.
set +e
e2e_host_run -e "FAKE_API_WRITE_PATH=$cwd/hello.txt" -e "E2E_API_LOG=$cwd/.e2e-api.jsonl" \
  -e "E2E_AFTER=cp -a \"\$CLAUDE_CONFIG_DIR/projects\" $cwd/.e2e-container-projects" \
  -- -p "write hello.txt" --dangerously-skip-permissions --output-format json >"$E2E_WORK/run.out" 2>&1
rc=$?
set -e
[ $rc -eq 0 ] || fail "claude-host run exited $rc: $(tail -n 30 "$E2E_WORK/run.out")"

# The CLI really talked to the stand-in, and the tool really ran inside the container.
grep -q '"method":"HEAD"' "$E2E_PROJECT/.e2e-api.jsonl" || fail "the CLI sent no HEAD / to the stand-in API"
[ "$(grep -c '"path":"/v1/messages"' "$E2E_PROJECT/.e2e-api.jsonl")" -ge 2 ] || fail "expected a tool turn and a final turn: $(cat "$E2E_PROJECT/.e2e-api.jsonl")"
grep -q "written by the stand-in" "$E2E_PROJECT/hello.txt" || fail "the Write tool use did not write hello.txt in the project"

container_key=$(e2e_encode_path "$cwd")
python3 - "$HOME/.claude/projects/$E2E_PROJECT_KEY" "$E2E_PROJECT/.e2e-container-projects/$container_key" "$E2E_PROJECT" "$cwd" <<'PY' || fail "the session log on the host is not the container's log in host form"
import json, os, sys
host_dir, cont_dir, host_proj, cont_proj = sys.argv[1:5]
PATH_KEYS = {"cwd", "file_path", "filePath", "notebook_path", "path", "originalCwd", "worktreePath", "persistedOutputPath", "project"}
sessions = [f for f in os.listdir(cont_dir) if f.endswith(".jsonl") and not f.startswith("0ld5e55i")]
assert len(sessions) == 1, f"container wrote {sessions}"
name = sessions[0]
host_file = os.path.join(host_dir, name)
assert os.path.isfile(host_file), f"{name} is not under {host_dir}: {os.listdir(host_dir)}"
host_lines = open(host_file, "rb").read().split(b"\n")
cont_lines = open(os.path.join(cont_dir, name), "rb").read().split(b"\n")
assert len(host_lines) == len(cont_lines), f"{len(host_lines)} lines on the host, {len(cont_lines)} in the container"

def mapped(v):
    return host_proj + v[len(cont_proj):] if v == cont_proj or v.startswith(cont_proj + "/") else v

cwds = 0
for i, (h, c) in enumerate(zip(host_lines, cont_lines)):
    if not c:
        assert not h
        continue
    hj, cj = json.loads(h), json.loads(c)
    # Walk both records together: a difference is allowed only where a path field's
    # container path became the host path.
    expected = c
    def walk(a, b, key=None):
        global expected, cwds
        if isinstance(a, dict):
            assert isinstance(b, dict) and a.keys() == b.keys(), f"line {i+1}: keys differ at {key}"
            for k in a:
                walk(a[k], b[k], k)
        elif isinstance(a, list):
            assert isinstance(b, list) and len(a) == len(b), f"line {i+1}: list differs at {key}"
            for x, y in zip(a, b):
                walk(x, y, key)
        elif a != b:
            assert key in PATH_KEYS and isinstance(a, str) and mapped(b) == a, \
                f"line {i+1}: {key}: host {a!r} vs container {b!r}"
            old = json.dumps({key: b}, ensure_ascii=False, separators=(",", ":"))[1:-1].encode()
            new = json.dumps({key: a}, ensure_ascii=False, separators=(",", ":"))[1:-1].encode()
            expected = expected.replace(old, new)
    walk(hj, cj)
    if "cwd" in hj:
        assert hj["cwd"] == host_proj, f"line {i+1}: cwd {hj['cwd']!r}"
        cwds += 1
    assert h == expected, f"line {i+1}: bytes differ beyond the path fields:\n host {h[:300]!r}\n want {expected[:300]!r}"
assert cwds >= 3, f"only {cwds} records with cwd"
# The tool's absolute path is a host path too.
text = open(host_file).read()
assert f'"file_path":"{host_proj}/hello.txt"' in text, "the Write tool input's file_path is not the host path"
print(f"session {name}: {len(host_lines) - 1} records, {cwds} cwd fields mapped, other bytes identical")
PY
cmp -s "$old_session" "$E2E_WORK/old-session.before" || fail "the older session log was changed"
[ -z "$(find "$HOME/.claude/projects" -maxdepth 1 -name '-workspace-*')" ] || fail "a container-encoded project folder reached the host"
e2e_pass
