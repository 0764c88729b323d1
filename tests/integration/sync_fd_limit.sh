#!/usr/bin/env bash
# A low RLIMIT_NOFILE (512): every staged file holds a descriptor until its commit, so the
# files staged ahead of the commits and a barrier's batch must fit the descriptor table the
# init could reserve. A burst and a barrier over more files than that publish everything
# with no error (a batch past the limit would fail with EMFILE and be retried).
source "$(dirname "$0")/sync_common.bash"

metric() { curl -s "http://127.0.0.1:$PORT/metrics" | awk -v m="$1" '$1 == m {print $2}'; }

# The init runs in a user namespace whose inotify limit (2) watches only the live dir and
# todos/: files in agents/ raise no event, so the barrier's own rescan finds them all
# pending at once (the periodic scan of unwatched folders comes every 2 s).
mkdir -p "$LIVE/todos"
PORT=$(free_port)
ulimit -n 512  # the init inherits it
unshare --user --map-root-user --kill-child sh -c 'echo 2 >/proc/sys/user/max_inotify_watches && exec unshare --pid --fork --mount-proc --kill-child "$@"' sh \
  "$INIT" --stage "$STAGE" --outbox "$OUTBOX" --live-dir "$LIVE" --health-port "$PORT" -- sleep infinity >"$WORK/init.log" 2>&1 &
LAUNCHER=$!
BACKGROUND+=("$LAUNCHER")
wait_until 20 curl -sf "http://127.0.0.1:$PORT/readyz" -o /dev/null || { cat "$WORK/init.log"; fail "the init never became ready"; }

# A burst through events alone: more files than descriptors.
for i in $(seq 1 1500); do echo "{\"n\":$i}" >"$LIVE/todos/t$i.json"; done
wait_until 30 files_in "$OUTBOX/tree/todos" 1500 || fail "burst: $(ls "$OUTBOX/tree/todos" | wc -l) of 1500 files in the outbox"
outbox_matches_live >/dev/null || { outbox_matches_live; fail "burst: outbox differs"; }
[ "$(metric claude_init_sync_errors_total)" = 0 ] || { tail -5 "$WORK/init.log"; fail "the burst counted errors"; }
pass "1500 files under a 512-descriptor limit: all published, no error"

# A barrier over more pending files than descriptors, in the unwatched folder.
mkdir -p "$LIVE/agents"
for i in $(seq 1 800); do echo "# agent $i" >"$LIVE/agents/a$i.md"; done
barrier || fail "the barrier failed"
files_in "$OUTBOX/tree/agents" 800 || fail "barrier: $(ls "$OUTBOX/tree/agents" | wc -l) of 800 files in the outbox when it returned"
outbox_matches_live >/dev/null || { outbox_matches_live; fail "barrier: outbox differs"; }
[ "$(metric claude_init_sync_errors_total)" = 0 ] || { tail -5 "$WORK/init.log"; fail "the barrier counted errors"; }
pass "a barrier over 800 pending files under a 512-descriptor limit: all published, no error"

# The final flush and report (the launcher's child is the init, PID 1 of its namespace).
INIT_PID=$(pgrep -P "$(pgrep -P "$LAUNCHER" | head -1)" | head -1 || true)
[ -n "$INIT_PID" ] || fail "the init's pid was not found"
kill -TERM "$INIT_PID"
wait_until 15 bash -c "! kill -0 $LAUNCHER" || fail "the init did not stop within 15 s"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert not r["errors"], r["errors"]; assert r["counts"]["files_published"] >= 2300, r["counts"]' "$OUTBOX/reports/run.json" ||
  fail "run.json"
"$CHECK" "$OUTBOX" --live "$LIVE" >/dev/null || fail "the outbox does not match its journal after the stop"
pass "run.json lists no error; the outbox matches its journal"
