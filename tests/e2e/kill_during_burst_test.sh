#!/usr/bin/env bash
# Scenario 5: `docker kill -s KILL` during a burst: nobody flushes. The outbox is still
# consistent with its journal, `claude-host readback` applies it, and the host config is
# valid: every JSON parses and the session log holds whole records, in order.
source "$(dirname "$0")/lib.sh" "$@"
e2e_ready

e2e_start_burst kill
c=$E2E_CONTAINER
docker kill -s KILL "$c" >/dev/null
e2e_wait_until 30 "the container is gone" sh -c "[ \"\$(docker inspect -f '{{.State.Running}}' $c)\" = false ]"
code=$(docker inspect -f '{{.State.ExitCode}}' "$c")
[ "$code" = 137 ] || fail "exit status $code after SIGKILL, not 137"
[ ! -e "$E2E_PROJECT/.burst-truth" ] || fail "the child was not killed mid-burst"

e2e_outbox_consistent "$E2E_OUTBOX_DIR"
cp "$HOME/.claude.json" "$E2E_WORK/claude.json.before"
e2e_readback
e2e_assert_json_valid "$HOME/.claude.json"
e2e_assert_json_valid "$HOME/.claude/settings.json"
python3 - "$HOME" "$E2E_PROJECT" "$E2E_PROJECT_KEY" <<'PY' || fail "the host config is not valid after read-back"
import json, os, sys
home, project, key = sys.argv[1:4]
log = os.path.join(home, ".claude", "projects", key, "burst.jsonl")
data = open(log, "rb").read()
assert data.endswith(b"\n"), "the host session log ends with a torn record"
recs = [json.loads(l) for l in data.split(b"\n")[:-1]]
assert [r["n"] for r in recs] == list(range(1, len(recs) + 1)), "the host log is not a prefix of the burst"
assert all(r["cwd"] == project for r in recs)
for root, _, files in os.walk(os.path.join(home, ".claude")):
    for f in files:
        if f.endswith(".json"):
            json.load(open(os.path.join(root, f)))
print(f"host has {len(recs)} whole records of the killed burst; every .json parses")
PY
# Idempotent: a second read-back changes nothing.
sum1=$(find "$HOME/.claude" "$HOME/.claude.json" -type f -exec sha256sum {} + | sort)
"$CLAUDE_HOST" readback --run "$E2E_RUN" >"$E2E_WORK/readback2.out" 2>&1 || fail "a second readback failed: $(cat "$E2E_WORK/readback2.out")"
sum2=$(find "$HOME/.claude" "$HOME/.claude.json" -type f -exec sha256sum {} + | sort)
[ "$sum1" = "$sum2" ] || fail "a second read-back changed the host: $(diff <(echo "$sum1") <(echo "$sum2"))"
e2e_pass
