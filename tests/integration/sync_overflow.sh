#!/usr/bin/env bash
# Lost events are never a silent miss: with the init stopped (SIGSTOP) while 40 000 files
# are created, the kernel's inotify queue overflows; after SIGCONT the rescan converges
# without a barrier. Past the inotify watch limit (ENOSPC, provoked in a user namespace
# with a low max_inotify_watches) the init warns, reports a degraded health and scans the
# unwatched folders periodically instead, so their changes still arrive.
source "$(dirname "$0")/sync_common.bash"

# The folders exist (and are watched) first, so the files raise events that overflow the queue.
for d in $(seq 1 40); do mkdir "$LIVE/d$d"; done
start_sync
kill -STOP "$INIT_PID"
t0=$(date +%s%N)
for d in $(seq 1 40); do
  for i in $(seq 1 1000); do echo "$d.$i" >"$LIVE/d$d/f$i.md"; done
done
echo "# created 40000 files in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
t0=$(date +%s%N)
kill -CONT "$INIT_PID"
all_there() { [ "$(find "$OUTBOX/tree" -type f | wc -l)" = 40000 ]; }
wait_slow 120 all_there || fail "after the overflow only $(find "$OUTBOX/tree" -type f | wc -l) of 40000 files arrived"
echo "# converged in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
rescans=$(curl -s "http://127.0.0.1:$PORT/metrics" | awk '/^claude_init_sync_rescans_total/ {print $2}')
[ "${rescans:-0}" -ge 1 ] || fail "no rescan was counted (metric: $rescans)"
grep -q '"event":"rescan"' "$OUTBOX/reports/events.jsonl" || fail "the overflow is not in events.jsonl"
outbox_matches_live >/dev/null || { outbox_matches_live; fail "outbox differs after the overflow"; }
pass "40 000 files created while the init was stopped converge after SIGCONT ($rescans rescan(s))"
stop_sync

# The watch limit: a user namespace whose limit leaves most folders unwatched.
rm -rf "$LIVE" "$OUTBOX"; mkdir -p "$LIVE" "$OUTBOX"
for d in $(seq 1 30); do mkdir -p "$LIVE/w$d"; done
PORT=$(free_port)
unshare --user --map-root-user --kill-child sh -c 'echo 10 >/proc/sys/user/max_inotify_watches && exec unshare --pid --fork --mount-proc --kill-child "$@"' sh \
  "$INIT" --stage "$STAGE" --outbox "$OUTBOX" --live-dir "$LIVE" --health-port "$PORT" -- sleep infinity >"$WORK/limit.log" 2>&1 &
LAUNCHER=$!
BACKGROUND+=("$LAUNCHER")
wait_until 20 curl -sf "http://127.0.0.1:$PORT/readyz" -o /dev/null || { cat "$WORK/limit.log"; fail "init under a watch limit never became ready"; }
grep -q "watch limit" "$WORK/limit.log" || fail "no loud warning about the watch limit: $(cat "$WORK/limit.log")"
curl -s "http://127.0.0.1:$PORT/status" | grep -q '"degraded"' || fail "health is not degraded: $(curl -s "http://127.0.0.1:$PORT/status")"
for d in $(seq 1 30); do echo "late $d" >"$LIVE/w$d/new.md"; done
all_late() { [ "$(find "$OUTBOX/tree" -name new.md | wc -l)" = 30 ]; }
wait_until 20 all_late || fail "changes in unwatched folders did not arrive: $(find "$OUTBOX/tree" -name new.md | wc -l) of 30"
grep -q '"event":"watch_limit"' "$OUTBOX/reports/events.jsonl" || fail "the watch limit is not in events.jsonl"
pass "past the watch limit: loud warning, degraded health, unwatched folders scanned periodically"
kill -KILL "$LAUNCHER" 2>/dev/null || true  # --kill-child takes the namespace down with it
