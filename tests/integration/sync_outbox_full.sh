#!/usr/bin/env bash
# A full and a read-only outbox (a small tmpfs in a private mount namespace): publish errors
# are counted, health turns unhealthy, nothing in the live dir is lost, publishing is
# retried with backoff and resumes on its own when space (or write access) returns.
if [ -z "${SYNC_IN_MOUNT_NS:-}" ]; then
  exec unshare --mount env SYNC_IN_MOUNT_NS=1 "$0" "$@"
fi
source "$(dirname "$0")/sync_common.bash"
mount --make-rprivate /
mount -t tmpfs -o size=1m tmpfs "$OUTBOX"
trap 'kill -KILL "${LAUNCHER:-}" 2>/dev/null || true; wait 2>/dev/null || true; umount "$OUTBOX" 2>/dev/null || true; cleanup' EXIT

status_has() { curl -s "http://127.0.0.1:$PORT/status" | grep -q "$1"; }
metric() { curl -s "http://127.0.0.1:$PORT/metrics" | awk -v m="$1" '$1 == m {print $2}'; }

start_sync
# Written beside and renamed in (as the CLI does): a file written slowly in place may be
# published at an intermediate size when the settle cap expires, which is by design.
head -c 600000 /dev/urandom >"$LIVE/big1.bin.tmp.1" && mv "$LIVE/big1.bin.tmp.1" "$LIVE/big1.bin"
wait_until 30 cmp -s "$LIVE/big1.bin" "$OUTBOX/tree/big1.bin" || { tail -5 "$WORK/init.log"; df -k "$OUTBOX"; ls -la "$OUTBOX" "$OUTBOX/tree"; fail "the first big file was not published"; }
head -c 600000 /dev/urandom >"$LIVE/big2.bin.tmp.1" && mv "$LIVE/big2.bin.tmp.1" "$LIVE/big2.bin"
wait_until 10 status_has '"unhealthy"' || fail "a full outbox did not make health unhealthy: $(curl -s "http://127.0.0.1:$PORT/status")"
errors=$(metric claude_init_sync_errors_total)
[ "${errors:-0}" -ge 3 ] || fail "errors were not counted ($errors)"
[ ! -e "$OUTBOX/tree/big2.bin" ] || cmp -s "$LIVE/big2.bin" "$OUTBOX/tree/big2.bin" ||
  { ls -la "$OUTBOX/tree"; df -k "$OUTBOX"; grep big "$OUTBOX/journal.jsonl"; tail -5 "$WORK/init.log"; fail "a partial file appeared in a full outbox"; }
no_temp() { ! ls -A "$OUTBOX/tree" | grep -q claude-init-tmp; }
wait_until 5 no_temp || fail "a temp file was left in the full outbox"
[ "$(stat -c %s "$LIVE/big2.bin")" = 600000 ] || fail "the live file was touched"
pass "a full outbox: $errors errors counted, health unhealthy, no partial or temp file, live file intact"

rm "$LIVE/big1.bin"  # frees the space (the delete is published)
wait_until 15 cmp -s "$LIVE/big2.bin" "$OUTBOX/tree/big2.bin" || fail "publishing did not resume after space returned"
wait_until 10 status_has '"status":"ok"' || fail "health did not recover: $(curl -s "http://127.0.0.1:$PORT/status")"
pass "space returns: the held-back file is published by the retry, health is ok again"

mount -o remount,ro "$OUTBOX"
echo '{"theme":"dark"}' >"$LIVE/settings.json"
wait_until 10 status_has '"unhealthy"' || fail "a read-only outbox did not make health unhealthy"
grep -q "Read-only file system" "$WORK/init.log" || fail "the error does not say read-only: $(tail -3 "$WORK/init.log")"
# A log appended every 10 ms while the outbox stays read-only: the retries keep to the
# backoff (100 ms doubling), they do not follow the writer's pace (300 tries in 3 s).
mkdir -p "$LIVE/projects/-w"
errors_before=$(metric claude_init_sync_errors_total)
for i in $(seq 300); do echo "{\"i\":$i}" >>"$LIVE/projects/-w/s.jsonl"; sleep 0.01; done
errors_after=$(metric claude_init_sync_errors_total)
tries=$(( ${errors_after:-0} - ${errors_before:-0} ))
[ "$tries" -le 20 ] || fail "a failing outbox was retried $tries times in 3 s of appends: the backoff is not kept"
mount -o remount,rw "$OUTBOX"
wait_until 15 cmp -s "$LIVE/settings.json" "$OUTBOX/tree/settings.json" || fail "publishing did not resume after the outbox became writable"
wait_until 15 cmp -s "$LIVE/projects/-w/s.jsonl" "$OUTBOX/tree/projects/-w/s.jsonl" || fail "the log appended while the outbox was read-only was not published after remount rw"
wait_until 10 status_has '"status":"ok"' || fail "health did not recover after remount rw"
pass "a read-only outbox: unhealthy with a clear error, $tries retries during 3 s of appends (backoff kept), resumes after remount rw"

stop_sync
"$CHECK" "$OUTBOX" --live "$LIVE" || fail "outbox does not match its journal and the live dir"
grep -q '"errors": \[' "$OUTBOX/reports/run.json" && grep -q 'No space left on device' "$OUTBOX/reports/run.json" || fail "run.json does not list the errors"
pass "the final report lists the errors; outbox matches its journal"
