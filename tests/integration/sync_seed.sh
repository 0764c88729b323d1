#!/usr/bin/env bash
# The seed: a stage with host paths becomes a live dir with container paths (credentials
# 0600), and what the container changes comes back to the outbox in host form, byte for
# byte (host -> container -> host round trip). Unchanged seeded files are not published.
# A restart keeps the live dir. A corrupt or incompatible stage is refused, naming the
# file, with nothing written to the outbox.
source "$(dirname "$0")/sync_common.bash"
STAGE=$WORK/stage

# make_stage: host-form tree + manifest.json with sizes, sha256 and modes.
make_stage() {
  rm -rf "$STAGE"; mkdir -p "$STAGE/tree/projects/-home-al-proj"
  cat >"$STAGE/tree/.claude.json" <<'J'
{
  "numStartups": 3,
  "projects": {
    "/home/al/proj": {"allowedTools": [], "mcpServers": {"fs": {"command": "/home/al/proj/bin/mcp", "args": ["--root", "/home/al/proj"]}}},
    "/home/alice/other": {"allowedTools": []}
  }
}
J
  printf '{"hooks":{"PostToolUse":[{"hooks":[{"type":"command","command":"/home/al/bin/fmt.sh"}]}]},"theme":"dark"}\n' >"$STAGE/tree/settings.json"
  printf '{"claudeAiOauth":{"accessToken":"sk-ant-oat-SECRET","refreshToken":"sk-ant-ort-SECRET"}}\n' >"$STAGE/tree/.credentials.json"
  printf '{"cwd":"/home/al/proj","type":"user","message":{"content":"edit /home/al/proj/a.c"}}\n' >"$STAGE/tree/projects/-home-al-proj/s1.jsonl"
  printf '{"display":"hi","project":"/home/al/proj"}\n' >"$STAGE/tree/history.jsonl"
  printf '# notes\n' >"$STAGE/tree/CLAUDE.md"
  python3 - "$STAGE" "${1:-claude-stage/1}" <<'PY'
import hashlib, json, os, sys
stage, fmt = sys.argv[1], sys.argv[2]
root = os.path.join(stage, "tree"); files = []
for d, _, names in os.walk(root):
    for n in sorted(names):
        p = os.path.join(d, n); rel = os.path.relpath(p, root); b = open(p, "rb").read()
        files.append({"path": rel, "size": len(b), "sha256": hashlib.sha256(b).hexdigest(),
                      "mode": 0o600 if n == ".credentials.json" else 0o644})
json.dump({"format": fmt, "run_id": "run-42", "trace_id": "trace-42", "created_at": "2026-11-22T00:00:00Z",
           "mapping": [{"host": "/home/al/proj", "container": "/workspace/proj"}, {"host": "/home/al", "container": "/root"}],
           "files": files, "symlinks": []}, open(os.path.join(stage, "manifest.json"), "w"))
PY
}

make_stage
rm -rf "$LIVE"
start_sync
[ "$(stat -c %a "$LIVE/.credentials.json")" = 600 ] || fail "credentials are not 0600 in the live dir"
grep -q '"/workspace/proj"' "$LIVE/.claude.json" && grep -q '"/home/alice/other"' "$LIVE/.claude.json" || fail "projects keys not mapped at path boundaries: $(cat "$LIVE/.claude.json")"
grep -q '"/root/bin/fmt.sh"' "$LIVE/settings.json" || fail "hook command not mapped"
[ -f "$LIVE/projects/-workspace-proj/s1.jsonl" ] || fail "session folder not renamed: $(ls "$LIVE/projects")"
grep -q '"cwd":"/workspace/proj"' "$LIVE/projects/-workspace-proj/s1.jsonl" || fail "session cwd not mapped"
pass "seeded in container form: credentials 0600, projects keys, hooks, session folder and cwd mapped"

# Touched but unchanged seeded files are not republished.
touch "$LIVE"/.claude.json "$LIVE"/settings.json "$LIVE"/CLAUDE.md
barrier
[ -z "$(ls -A "$OUTBOX/tree")" ] || fail "unchanged seeded files were published: $(ls -A "$OUTBOX/tree")"
pass "unchanged seeded files are not published again"

# The container's changes come back in host form; everything it did not change is byte-identical.
sed -i 's/"numStartups": 3/"numStartups": 4/' "$LIVE/.claude.json"
sed -i 's/"theme":"dark"/"theme":"light"/' "$LIVE/settings.json"
printf '{"cwd":"/workspace/proj","type":"assistant","toolUseResult":{"filePath":"/workspace/proj/a.c"}}\n' >>"$LIVE/projects/-workspace-proj/s1.jsonl"
printf '{"display":"again","project":"/workspace/proj"}\n' >>"$LIVE/history.jsonl"
barrier
sed 's/"numStartups": 3/"numStartups": 4/' "$STAGE/tree/.claude.json" | cmp - "$OUTBOX/tree/.claude.json" || fail ".claude.json round trip differs"
sed 's/"theme":"dark"/"theme":"light"/' "$STAGE/tree/settings.json" | cmp - "$OUTBOX/tree/settings.json" || fail "settings.json round trip differs"
{ cat "$STAGE/tree/projects/-home-al-proj/s1.jsonl"; printf '{"cwd":"/home/al/proj","type":"assistant","toolUseResult":{"filePath":"/home/al/proj/a.c"}}\n'; } |
  cmp - "$OUTBOX/tree/projects/-home-al-proj/s1.jsonl" || fail "session log round trip differs"
{ cat "$STAGE/tree/history.jsonl"; printf '{"display":"again","project":"/home/al/proj"}\n'; } | cmp - "$OUTBOX/tree/history.jsonl" || fail "history round trip differs"
"$CHECK" "$OUTBOX" >/dev/null || fail "outbox does not match its journal"
pass "host -> container -> host: changed files come back byte-identical apart from the change"

# Credentials are published at once and their content never appears in a report.
printf '{"claudeAiOauth":{"accessToken":"sk-ant-oat-ROTATED","refreshToken":"sk-ant-ort-ROTATED"}}\n' >"$LIVE/.credentials.json"
wait_until 5 grep -q ROTATED "$OUTBOX/tree/.credentials.json" || fail "rotated credentials not published"
[ "$(stat -c %a "$OUTBOX/tree/.credentials.json")" = 600 ] || fail "outbox credentials not 0600"
stop_sync
! grep -rq "SECRET\|ROTATED" "$OUTBOX/reports" "$OUTBOX/journal.jsonl" || fail "a token leaked into a report or the journal"
grep -q '"trace_id": "trace-42"' "$OUTBOX/reports/run.json" || fail "run.json lacks the trace id"
pass "rotated credentials published 0600 at once; no token in reports or journal; run.json carries the trace id"

# A restart of the same container keeps the live dir (its changes are not clobbered).
echo '# changed in the container' >"$LIVE/CLAUDE.md"
start_sync
grep -q 'changed in the container' "$LIVE/CLAUDE.md" || fail "restart clobbered the live dir"
barrier
grep -q 'changed in the container' "$OUTBOX/tree/CLAUDE.md" || fail "a change made while the init was down was not published after the restart"
stop_sync
[ "$(grep -c '"op":"begin"' "$OUTBOX/journal.jsonl")" = 2 ] || fail "expected one begin record per start"
"$CHECK" "$OUTBOX" >/dev/null || fail "outbox does not match its journal after the restart"
pass "a restart keeps the live dir and publishes what changed meanwhile"

# The environment alone configures it, as the image does: CLAUDE_INIT_STAGE,
# CLAUDE_INIT_OUTBOX, CLAUDE_INIT_HEALTH_PORT and Claude Code's own CLAUDE_CONFIG_DIR.
make_stage
env_live=$WORK/env-live env_outbox=$WORK/env-outbox
mkdir -p "$env_outbox"
CLAUDE_INIT_STAGE="$STAGE" CLAUDE_INIT_OUTBOX="$env_outbox" CLAUDE_CONFIG_DIR="$env_live" CLAUDE_INIT_HEALTH_PORT=0 \
  unshare --pid --fork --mount-proc "$INIT" -- true >"$WORK/env.log" 2>&1 || { cat "$WORK/env.log" >&2; fail "a run configured by the environment failed"; }
grep -q '"/workspace/proj"' "$env_live/.claude.json" && [ -f "$env_outbox/reports/run.json" ] \
  || fail "the environment's stage, outbox and live dir were not used: $(ls -A "$env_live" "$env_outbox" 2>&1)"
pass "stage, outbox and live dir come from CLAUDE_INIT_STAGE, CLAUDE_INIT_OUTBOX and CLAUDE_CONFIG_DIR"

# A corrupt stage (a byte changed after staging) is refused, naming the file; the outbox stays empty.
for damage in corrupt format; do
  make_stage
  if [ "$damage" = corrupt ]; then
    printf 'X' | dd of="$STAGE/tree/settings.json" bs=1 seek=3 conv=notrunc 2>/dev/null; want=settings.json
  else
    make_stage claude-stage/2; want=manifest.json
  fi
  rm -rf "$LIVE" "$OUTBOX"; mkdir -p "$OUTBOX"
  start_init pid1 "$WORK/refused.log" --stage "$STAGE" --outbox "$OUTBOX" --live-dir "$LIVE" --health-port 0 -- sleep infinity
  wait_exit 10
  [ "$EXIT_CODE" = 1 ] || fail "$damage stage: exit $EXIT_CODE, expected 1"
  grep -q "$want" "$WORK/refused.log" || fail "$damage stage: the message does not name $want: $(cat "$WORK/refused.log")"
  [ -z "$(ls -A "$OUTBOX")" ] || fail "$damage stage: something was written to the outbox: $(ls -A "$OUTBOX")"
  [ ! -e "$LIVE" ] || fail "$damage stage: a live dir was left behind"
  pass "a $damage stage is refused (exit 1, names $want, nothing in the outbox): $(grep -o 'refusing[^"]*' "$WORK/refused.log" | head -1 | cut -c1-150)"
done
