#!/usr/bin/env bash
# stage -> simulated container (an outbox written per claude-outbox/1) -> readback, against
# a temporary HOME: what is staged and left out, the three-way merge of .claude.json with
# edits on both sides, session-log union, newer-wins files with the loser kept, backups,
# host logs with trace ids, an idempotent second read-back, and a corrupt outbox.
source "$(dirname "$0")/../helpers/host_test_lib.sh" "$1"

PROJ="$TEST_ROOT/work/proj"; mkdir -p "$PROJ"
ENC=$(make_claude_home "$PROJ")
cd "$PROJ"

# --- stage -----------------------------------------------------------------------------
"$CLAUDE_HOST" stage --json > "$TEST_ROOT/stage.json" || fail "stage failed"
RUN=$(json_get "$TEST_ROOT/stage.json" '["run_id"]')
TRACE=$(json_get "$TEST_ROOT/stage.json" '["trace_id"]')
STAGE="$HOME/.claude-docker/runs/$RUN/stage"
OUTBOX="$HOME/.claude-docker/runs/$RUN/outbox"
[ -f "$STAGE/manifest.json" ] || fail "no manifest"
[ "$(stat -c %a "$STAGE")" = 700 ] || fail "stage dir is not 0700"
[ "$(stat -c %a "$STAGE/tree/.credentials.json")" = 600 ] || fail "staged credentials are not 0600"
cmp -s "$STAGE/tree/.claude.json" "$HOME/.claude.json" || fail "~/.claude.json not staged as tree/.claude.json"
[ -f "$STAGE/tree/projects/$ENC/s1.jsonl" ] || fail "the project's sessions were not staged"
[ ! -e "$STAGE/tree/projects/-other-project" ] || fail "another project's history was staged with --history project"
[ ! -e "$STAGE/tree/debug" ] && [ ! -e "$STAGE/tree/app.log" ] || fail "excluded files were staged"
python3 - "$STAGE/manifest.json" "$PROJ" "$HOME" <<'PY' || fail "manifest content"
import json, sys, hashlib, os
m = json.load(open(sys.argv[1])); proj, home = sys.argv[2], sys.argv[3]
assert m["format"] == "claude-stage/1", m["format"]
assert m["run_id"] and m["trace_id"]
mapping = {p["host"]: p["container"] for p in m["mapping"]}
assert mapping[proj] == "/workspace/proj", mapping
assert mapping[home] == "/root", mapping
tree = os.path.join(os.path.dirname(sys.argv[1]), "tree")
for f in m["files"]:
    data = open(os.path.join(tree, f["path"]), "rb").read()
    assert len(data) == f["size"] and hashlib.sha256(data).hexdigest() == f["sha256"], f["path"]
paths = {f["path"] for f in m["files"]}
assert {".claude.json", "settings.json", ".credentials.json", "CLAUDE.md"} <= paths, paths
PY
grep -q "SECRETTOKEN" "$TEST_ROOT/stage.json" && fail "the token reached stage's output"
[ -f "$HOME/.claude-docker/runs/$RUN/compose.env" ] || fail "no compose env file"
grep -q "^CLAUDE_STAGE_DIR=$STAGE$" "$HOME/.claude-docker/runs/$RUN/compose.env" || fail "compose env lacks the stage"
pass "stage: manifest, mapping, excludes, history, modes, compose env"

"$CLAUDE_HOST" stage --history all --json > "$TEST_ROOT/stage-all.json" || fail "stage --history all"
RUN_ALL=$(json_get "$TEST_ROOT/stage-all.json" '["run_id"]')
[ -f "$HOME/.claude-docker/runs/$RUN_ALL/stage/tree/projects/-other-project/s9.jsonl" ] || fail "--history all left a project out"
[ "$(json_get "$TEST_ROOT/stage-all.json" '["reused"]')" -ge 5 ] || fail "re-stage copied unchanged files again"
rm -rf "$HOME/.claude-docker/runs/$RUN_ALL"
"$CLAUDE_HOST" stage --print-docker-args 2>/dev/null > "$TEST_ROOT/args.txt" || fail "--print-docker-args"
grep -q -- "--pids-limit 100" "$TEST_ROOT/args.txt" && ! grep -q -- "--init" "$TEST_ROOT/args.txt" || fail "docker args: $(cat "$TEST_ROOT/args.txt")"
RUN_ARGS=$(ls "$HOME/.claude-docker/runs" | grep -v "^$RUN$")
rm -rf "$HOME/.claude-docker/runs/$RUN_ARGS"
pass "stage: --history all, incremental re-stage, --print-docker-args"

# --- the container works (simulated), the host works meanwhile --------------------------
W="python3 $OUTBOX_WRITER $OUTBOX"
$W begin "$RUN" "$TRACE"
python3 - "$STAGE/tree/.claude.json" "$TEST_ROOT/box.json" "$PROJ" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["numStartups"] = 4                                  # changed in the container only
d["projects"][sys.argv[3]]["allowedTools"] = ["Edit"] # changed in the container only
d["theme"] = "light"                                  # changed on both sides: a conflict
d["containerKey"] = True                              # added in the container
json.dump(d, open(sys.argv[2], "w"))
PY
$W put .claude.json "$TEST_ROOT/box.json"
cp "$STAGE/tree/projects/$ENC/s1.jsonl" "$TEST_ROOT/s1.jsonl"
$W put "projects/$ENC/s1.jsonl" "$TEST_ROOT/s1.jsonl" 600
$W append "projects/$ENC/s1.jsonl" $'{"cwd":"/workspace/proj","uuid":"3"}\n'
$W append "projects/$ENC/s2.jsonl" $'{"uuid":"new-session"}\n'
# Killed within the journal hold: a whole line appended without its record, then a torn one.
printf '{"uuid":"unjournaled"}\n{"uuid":"to' >> "$OUTBOX/tree/projects/$ENC/s2.jsonl"
$W put-text commands/new.md "from the container"
$W put-text settings.json '{"model":"sonnet"}'
$W put-text CLAUDE.md "# notes, container"
$W report-event "{\"event\":\"started\",\"trace_id\":\"$TRACE\"}"
$W report-event "{\"event\":\"skipped\",\"path\":\"x\",\"trace_id\":\"$TRACE\"}"
$W report-metric "{\"files_published\":7}"
$W run-report '{"exit_code":0,"clean_stop":true,"flush_complete":true,"errors":[]}'
# Host edits during the run: .claude.json (another key, and theme), a session line, CLAUDE.md later.
python3 - "$HOME/.claude.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); d["hostKey"] = 1; d["theme"] = "solarized"
json.dump(d, open(sys.argv[1], "w"))
PY
printf '{"uuid":"host-line"}\n' >> "$HOME/.claude/projects/$ENC/s1.jsonl"
sleep 0.02; printf '# notes, host (newer)\n' > "$HOME/.claude/CLAUDE.md"

# --- read back ---------------------------------------------------------------------------
set +e
"$CLAUDE_HOST" readback --run "$RUN" --json > "$TEST_ROOT/rb1.json"; rc=$?
set -e
[ "$rc" = 3 ] || fail "readback with conflicts should exit 3, got $rc: $(cat "$TEST_ROOT/rb1.json")"
python3 - "$HOME" "$PROJ" "$ENC" "$TEST_ROOT/rb1.json" "$RUN" <<'PY' || fail "merge result"
import json, sys, os
home, proj, enc, rb, run = sys.argv[1:]
d = json.load(open(home + "/.claude.json"))
assert d["numStartups"] == 4 and d["containerKey"] is True and d["hostKey"] == 1, d
assert d["projects"][proj]["allowedTools"] == ["Edit"], d
assert d["theme"] == "light", "a true conflict takes the container's value"
r = json.load(open(rb))
assert [c["pointer"] for c in r["json_conflicts"]] == ["/theme"], r["json_conflicts"]
assert r["json_conflicts"][0]["ours"] == "solarized" and r["json_conflicts"][0]["theirs"] == "light"
log = open(f"{home}/.claude/projects/{enc}/s1.jsonl").read().splitlines()
uuids = [json.loads(l)["uuid"] for l in log]
assert uuids == ["1", "2", "host-line", "3"], uuids
s2 = open(f"{home}/.claude/projects/{enc}/s2.jsonl").read()
assert s2 == '{"uuid":"new-session"}\n{"uuid":"unjournaled"}\n', "an unjournaled whole line is kept, a torn one is not: %r" % s2
assert open(f"{home}/.claude/commands/new.md").read() == "from the container"
assert json.load(open(f"{home}/.claude/settings.json")) == {"model": "sonnet"}   # only the container changed it
assert open(f"{home}/.claude/CLAUDE.md").read() == "# notes, host (newer)\n"     # both changed, host newer
assert open(f"{home}/.claude/CLAUDE.md.conflict-{run}").read() == "# notes, container"
assert r["backup_id"], "no backup before touching files"
assert "projects/%s/s2.jsonl" % enc in r["sessions_added"]
PY
grep -q '"event":"readback"' "$HOME/.claude-docker-events.jsonl" || fail "no readback event"
python3 - "$HOME/.claude-docker-events.jsonl" "$HOME/.claude-docker-metrics.jsonl" "$TRACE" <<'PY' || fail "host logs"
import json, sys
for path in sys.argv[1:3]:
    lines = [json.loads(l) for l in open(path)]
    assert lines, path
    assert all(l.get("trace_id") == sys.argv[3] for l in lines), (path, lines)
events = [json.loads(l)["event"] for l in open(sys.argv[1])]
assert "started" in events and "skipped" in events, events
PY
"$CLAUDE_HOST" backup list --json > "$TEST_ROOT/backups.json"
[ "$(json_get "$TEST_ROOT/backups.json" '["snapshots"].__len__()')" = 1 ] || fail "expected one backup"
pass "readback: three-way merge, conflict listed, log union, newer-wins + conflict copy, backup, logs"

# --- idempotent -------------------------------------------------------------------------------
before=$(state_digest)
events_before=$(grep -vc '"event":"readback"' "$HOME/.claude-docker-events.jsonl")
"$CLAUDE_HOST" readback --run "$RUN" --json > "$TEST_ROOT/rb2.json" || fail "second readback exit $?: $(cat "$TEST_ROOT/rb2.json")"
[ "$(state_digest)" = "$before" ] || fail "the second read-back changed files"
[ "$(json_get "$TEST_ROOT/rb2.json" '["changed"]')" = False ] || fail "second read-back reports changes"
[ "$(json_get "$TEST_ROOT/rb2.json" '["backup_id"]')" = "" ] || fail "second read-back took a backup"
[ "$(grep -vc '"event":"readback"' "$HOME/.claude-docker-events.jsonl")" = "$events_before" ] || fail "events copied twice"
"$CLAUDE_HOST" readback --run "$RUN" > "$TEST_ROOT/rb3.txt" || fail "human readback"
grep -q "nothing to change" "$TEST_ROOT/rb3.txt" || fail "summary: $(cat "$TEST_ROOT/rb3.txt")"
pass "readback twice changes nothing"

# --- a later stage applies an outbox never read back ------------------------------------------
"$CLAUDE_HOST" stage --json > "$TEST_ROOT/s2.json"
RUN2=$(json_get "$TEST_ROOT/s2.json" '["run_id"]')
O2="$HOME/.claude-docker/runs/$RUN2/outbox"
python3 "$OUTBOX_WRITER" "$O2" begin "$RUN2" "$(json_get "$TEST_ROOT/s2.json" '["trace_id"]')"
python3 "$OUTBOX_WRITER" "$O2" put-text agents/helper.md "agent"
"$CLAUDE_HOST" stage --json > "$TEST_ROOT/s3.json"
[ "$(json_get "$TEST_ROOT/s3.json" '["applied_runs"]')" = "['$RUN2']" ] || fail "pending outbox not applied: $(cat "$TEST_ROOT/s3.json")"
[ -f "$HOME/.claude/agents/helper.md" ] || fail "pending outbox's file missing"
RUN3=$(json_get "$TEST_ROOT/s3.json" '["run_id"]')
[ -f "$HOME/.claude-docker/runs/$RUN3/stage/tree/agents/helper.md" ] || fail "the new stage lacks the applied file"
pass "stage applies an earlier outbox first"

# --- a corrupt outbox: not merged, reported, non-zero -----------------------------------------
O3="$HOME/.claude-docker/runs/$RUN3/outbox"
python3 "$OUTBOX_WRITER" "$O3" begin "$RUN3" x
python3 "$OUTBOX_WRITER" "$O3" append "projects/$ENC/s1.jsonl" $'{"uuid":"a"}\n'
python3 "$OUTBOX_WRITER" "$O3" append "projects/$ENC/s1.jsonl" $'{"uuid":"b"}\n'
printf 'XXXXXXXXXXXXX' | dd of="$O3/tree/projects/$ENC/s1.jsonl" bs=1 seek=0 conv=notrunc 2>/dev/null
python3 "$OUTBOX_WRITER" "$O3" put-text commands/fine.md "fine"
before=$(sha256sum "$HOME/.claude/projects/$ENC/s1.jsonl")
set +e; "$CLAUDE_HOST" readback --run "$RUN3" > "$TEST_ROOT/rb4.txt" 2>&1; rc=$?; set -e
[ "$rc" = 1 ] || fail "corrupt outbox: exit $rc: $(cat "$TEST_ROOT/rb4.txt")"
grep -q "NOT VERIFIED" "$TEST_ROOT/rb4.txt" && grep -q "s1.jsonl" "$TEST_ROOT/rb4.txt" || fail "corruption not named: $(cat "$TEST_ROOT/rb4.txt")"
[ "$(sha256sum "$HOME/.claude/projects/$ENC/s1.jsonl")" = "$before" ] || fail "a corrupt log was merged"
[ -f "$HOME/.claude/commands/fine.md" ] || fail "the verified rest was not merged"
pass "corrupt outbox entries are reported and not merged"
