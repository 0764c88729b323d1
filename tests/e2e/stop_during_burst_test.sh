#!/usr/bin/env bash
# Scenario 4: `docker stop` during a burst of writes. claude-init forwards SIGTERM; the
# child finishes its step, records how many it made and exits 42. Then: every change is
# in the outbox, the report says it was a clean stop within the grace, and the
# container's exit status is the child's.
source "$(dirname "$0")/lib.sh" "$@"
e2e_ready

e2e_start_burst stop
c=$E2E_CONTAINER
outbox_log=$E2E_BURST_LOG
started=$SECONDS
docker stop -t 20 "$c" >/dev/null
e2e_log "docker stop took $((SECONDS - started)) s"

code=$(docker inspect -f '{{.State.ExitCode}}' "$c")
[ "$code" = 42 ] || fail "exit status $code, not the child's 42"
truth=$(cat "$E2E_PROJECT/.burst-truth" 2>/dev/null) || fail "the child did not record its step count (it did not stop cleanly)"
e2e_log "the child made $truth steps"
[ "$truth" -gt 10 ] || fail "only $truth steps: the stop did not land during a burst"

report=$E2E_OUTBOX_DIR/reports/run.json
[ -f "$report" ] || fail "no final report at $report"
python3 - "$report" "$outbox_log" "$E2E_OUTBOX_DIR/tree/todos" "$truth" "$E2E_PROJECT" <<'PY' || fail "the outbox or the report is not what a clean stop leaves"
import json, os, sys
report, log, todos, truth, project = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
r = json.load(open(report))
assert r.get("clean_stop") is True, f"clean_stop is {r.get('clean_stop')}: {r}"
assert r.get("stop_signal") == "SIGTERM", r.get("stop_signal")
assert r.get("killed_after_grace") is False, r
assert r.get("flush_complete") is True, r
assert r.get("exit_code") == 42 and r["child"]["exit_code"] == 42, r
stop_ms = r["durations_ms"]["stop"]
assert 0 < stop_ms < 8000, f"stop took {stop_ms} ms, not within the 8 s grace"
lines = open(log, "rb").read().split(b"\n")
assert lines[-1] == b"", "the session log in the outbox ends with a partial line"
recs = [json.loads(l) for l in lines[:-1]]
assert [x["n"] for x in recs] == list(range(1, truth + 1)), \
    f"outbox has steps {recs[0]['n'] if recs else None}..{recs[-1]['n'] if recs else None} ({len(recs)}), the child made {truth}"
assert all(x["cwd"] == project for x in recs), "a cwd is not the host path"
for k in range(8):
    last = max((n for n in range(1, truth + 1) if n % 8 == k), default=None)
    if last is None:
        continue
    got = json.load(open(os.path.join(todos, f"burst-{k}.json")))
    assert got["n"] == last, f"todos/burst-{k}.json has n={got['n']}, the child's last was {last}"
print(f"all {truth} steps in the outbox; report: clean stop in {stop_ms} ms")
PY
e2e_outbox_consistent "$E2E_OUTBOX_DIR"
e2e_readback
[ "$(wc -l <"$HOME/.claude/projects/$E2E_PROJECT_KEY/burst.jsonl")" -eq "$truth" ] || fail "the host log does not have all $truth steps"
e2e_pass
