#!/usr/bin/env bash
# The host -> container inbox (--inbox): a .credentials.json the host renames into the
# inbox is installed into the live dir within 1 s when it is a newer login (0600, owned by
# the session user, under Claude Code's write lock); an older expiresAt, a file that is
# not credentials and a temp name are never installed; what the init installed is never
# published back to the outbox, while the container's own later write is; a restart does
# not publish its earlier install either. No inbox: the channel is off and the run healthy.
source "$(dirname "$0")/sync_common.bash"
[ "$(id -u)" = 0 ] || fail "needs root (the installed file is given to --user)"
U=4242; G=4243
INBOX=$WORK/inbox; mkdir -p "$INBOX"
EVENTS=$OUTBOX/reports/events.jsonl
NOW_MS=$(( $(date +%s) * 1000 ))

# creds NAME HOURS: a login whose tokens carry NAME and which expires HOURS from now.
creds() {
  printf '{"claudeAiOauth":{"accessToken":"sk-ant-oat01-%s","refreshToken":"sk-ant-ort01-%s","expiresAt":%s,"scopes":["user:inference"]}}\n' \
    "$1" "$1" $(( NOW_MS + $2 * 3600000 ))
}
# to_inbox FILE: as the host does: a temp name, then a rename onto .credentials.json.
to_inbox() {
  local tmp; tmp="$INBOX/.credentials.json.tmp.$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
  cp "$1" "$tmp" && mv "$tmp" "$INBOX/.credentials.json"
}
fingerprint() { sha256sum "$1" | cut -c1-12; }
live_is() { cmp -s "$1" "$LIVE/.credentials.json"; }
outbox_is() { cmp -s "$1" "$OUTBOX/tree/.credentials.json"; }
journal_sum() { sha256sum "$OUTBOX/journal.jsonl" | cut -d' ' -f1; }
event_with() { grep -q "\"event\":\"$1\".*$2" "$EVENTS" 2>/dev/null || grep -q "\"event\": *\"$1\".*$2" "$EVENTS" 2>/dev/null; }
metric() { curl -s "http://127.0.0.1:$PORT/metrics" | awk -v m="$1" '$1 == m {print $2}'; }

creds CONTAINER1 1 >"$WORK/c1"; creds HOST2 2 >"$WORK/c2"; creds TEMP9 9 >"$WORK/c9"
creds OLDER0 0 >"$WORK/c0"; creds CONTAINER3 3 >"$WORK/c3"; creds HOST8 8 >"$WORK/c8"
cp "$WORK/c1" "$LIVE/.credentials.json"; chmod 0600 "$LIVE/.credentials.json"

start_sync --inbox "$INBOX" --user "$U:$G"
barrier
outbox_is "$WORK/c1" || fail "the container's own credentials were not published at start"
journal_before=$(journal_sum)

# A temp name is never looked at, even when it holds a newer login.
cp "$WORK/c9" "$INBOX/.credentials.json.tmp.0123456789abcdef"
# A newer login renamed into the inbox is installed within 1 s.
t0=$(date +%s%N)
to_inbox "$WORK/c2"
wait_until 1 live_is "$WORK/c2" || fail "the newer inbox credentials were not installed within 1 s: $(cat "$LIVE/.credentials.json")"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$(stat -c '%a %u:%g' "$LIVE/.credentials.json")" = "600 $U:$G" ] ||
  fail "installed credentials are $(stat -c '%a %u:%g' "$LIVE/.credentials.json"), expected 600 $U:$G"
wait_until 5 event_with inbox_install "$(fingerprint "$WORK/c2")" || fail "no inbox_install event with the fingerprint: $(cat "$EVENTS")"
[ "$(metric claude_init_inbox_installs_total)" = 1 ] || fail "claude_init_inbox_installs_total is $(metric claude_init_inbox_installs_total)"
[ ! -e "$LIVE/.storage-write.lock" ] || fail "the init left Claude Code's write lock behind"
[ ! -e "$LIVE/.oauth_refresh.lock" ] && [ ! -e "$LIVE.lock" ] || fail "the init took Claude Code's refresh lock (a CLI finding it held fails its turn)"
pass "a newer login in the inbox is installed in ${ms} ms (0600, $U:$G, event with its fingerprint, metric); the temp name was ignored"

# Never echoed: the outbox keeps the container's own last write, and the journal is untouched.
barrier
outbox_is "$WORK/c1" || fail "the installed credentials were published back to the outbox: $(cat "$OUTBOX/tree/.credentials.json")"
[ "$(journal_sum)" = "$journal_before" ] || fail "the install was journaled: $(tail -3 "$OUTBOX/journal.jsonl")"
pass "the install is not published: outbox copy and journal unchanged after a barrier"

# An older expiresAt is never installed.
to_inbox "$WORK/c0"
wait_until 5 grep -q "fingerprint $(fingerprint "$WORK/c0"))" "$WORK/init.log" || fail "the older login was not looked at: $(tail -5 "$WORK/init.log")"
live_is "$WORK/c2" || fail "an older login replaced a newer one: $(cat "$LIVE/.credentials.json")"
pass "an older expiresAt is never installed"

# A file that is not credentials is refused with an event; nothing changes.
printf '{"claudeAiOauth": {"accessToken": "sk-ant-oat01-BROKEN' >"$WORK/bad"
to_inbox "$WORK/bad"
wait_until 5 event_with inbox_refused "not a JSON object" || fail "no inbox_refused event for a broken file: $(cat "$EVENTS")"
printf '{"mcpOAuth":{}}\n' >"$WORK/notoken"
to_inbox "$WORK/notoken"
wait_until 5 event_with inbox_refused "no claudeAiOauth" || fail "no inbox_refused event for a file without a login: $(cat "$EVENTS")"
live_is "$WORK/c2" || fail "a refused file changed the live credentials"
barrier
outbox_is "$WORK/c1" && [ "$(journal_sum)" = "$journal_before" ] || fail "a refused file changed the outbox"
pass "a broken file and one without a login are refused with an event; nothing changed"

# The container's own write after an install is published, as always.
cp "$WORK/c3" "$LIVE/.credentials.json.tmp.1" && mv "$LIVE/.credentials.json.tmp.1" "$LIVE/.credentials.json"
wait_until 5 outbox_is "$WORK/c3" || fail "the container's refresh after an install was not published"
pass "the container's own later write is published"

# Claude Code's write lock (<live>/.storage-write.lock) held: the install waits for it and
# happens once it is released. Its refresh lock does not hold an install back.
hours=5
mkdir "$LIVE/.storage-write.lock"
creds "HOST$hours" "$hours" >"$WORK/locked"; hours=$((hours + 1))
to_inbox "$WORK/locked"
sleep 0.3
! live_is "$WORK/locked" || fail "installed while $LIVE/.storage-write.lock was held"
rmdir "$LIVE/.storage-write.lock"
wait_until 1 live_is "$WORK/locked" || fail "not installed within 1 s of the write lock's release"
mkdir "$LIVE/.oauth_refresh.lock"
creds "HOST$hours" "$hours" >"$WORK/locked"; hours=$((hours + 1))
to_inbox "$WORK/locked"
wait_until 1 live_is "$WORK/locked" || fail "not installed within 1 s while a CLI refreshed"
[ -d "$LIVE/.oauth_refresh.lock" ] || fail "the refresh lock the CLI held was removed"
rmdir "$LIVE/.oauth_refresh.lock"
pass "the install waits while Claude Code's write lock is held and follows its release; a refresh in progress does not hold it back"

# A CLI's refresh that lands over a newer install (it refreshed before the install and
# writes after it): the inbox is looked at again and the newer login goes back in.
cp "$WORK/c0" "$LIVE/.credentials.json.tmp.2" && mv "$LIVE/.credentials.json.tmp.2" "$LIVE/.credentials.json"
wait_until 1 live_is "$WORK/locked" || fail "an older login written over a newer install stayed: $(cat "$LIVE/.credentials.json")"
pass "an older login the session writes over a newer install is replaced by the inbox's within 1 s"
stop_sync

# A restart finds its own install in the live dir: still not published.
to_inbox "$WORK/c8"
outbox_before=$(sha256sum <"$OUTBOX/tree/.credentials.json")
start_sync --inbox "$INBOX"
wait_until 1 live_is "$WORK/c8" || fail "the newest login was not installed at start"
barrier
[ "$(sha256sum <"$OUTBOX/tree/.credentials.json")" = "$outbox_before" ] || fail "an install at start was published"
stop_sync
start_sync --inbox "$INBOX"
barrier
[ "$(sha256sum <"$OUTBOX/tree/.credentials.json")" = "$outbox_before" ] || fail "a restart published the earlier install"
stop_sync
pass "an install at start, and the same install found again after a restart, are not published"

if grep -rl "sk-ant-o" "$OUTBOX/reports" "$OUTBOX/journal.jsonl" "$WORK/init.log"; then
  fail "a token reached a report, the journal or the log"
fi
pass "no token in the reports, the journal or the log"

# No inbox: the channel is off (one info line) and the run is healthy.
start_sync --inbox "$WORK/no-such-inbox"
grep -q "no inbox at $WORK/no-such-inbox" "$WORK/init.log" || fail "no info line for the missing inbox: $(cat "$WORK/init.log")"
echo '# x' >"$LIVE/CLAUDE.md"
barrier
cmp -s "$LIVE/CLAUDE.md" "$OUTBOX/tree/CLAUDE.md" || fail "sync did not run without an inbox"
curl -sf "http://127.0.0.1:$PORT/healthz" -o /dev/null || fail "unhealthy without an inbox: $(health_json)"
health_json | python3 -c 'import json,sys; s=json.load(sys.stdin); assert s["components"]["sync"]["status"]=="ok", s' ||
  fail "sync is not ok without an inbox: $(health_json)"
stop_sync
pass "no inbox folder: the channel is off with one info line; sync runs and the run is healthy"
