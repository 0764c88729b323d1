#!/usr/bin/env bash
# A root claude-init writing into an outbox folder that belongs to another user (the host
# user behind a root container): everything it creates there — folders, published files,
# 0600 credentials, links, the journal, the reports — belongs to that user, who can read
# them. With a root-owned outbox folder nothing is given away.
source "$(dirname "$0")/sync_common.bash"
[ "$(id -u)" = 0 ] || fail "needs root (it runs the init as root and changes owners)"
HOST_UID=4242
HOST_GID=4243
chmod 0711 "$WORK"  # lets the host user reach the outbox, as a home folder would

populate() {
  mkdir -p "$LIVE/projects/-w" "$LIVE/todos"
  echo '{"oauth":"secret"}' >"$LIVE/.credentials.json"
  chmod 0600 "$LIVE/.credentials.json"
  echo '{"a":1}' >"$LIVE/todos/t.json"
  printf '{"cwd":"/w","n":1}\n' >>"$LIVE/projects/-w/s.jsonl"
  ln -sfn todos/t.json "$LIVE/link.json"
}

# not_owned_by UID GID: what under the outbox belongs to someone else (empty when none).
not_owned_by() { find "$OUTBOX" -mindepth 1 \( ! -uid "$1" -o ! -gid "$2" \) -printf '%u:%g %p\n'; }

chown "$HOST_UID:$HOST_GID" "$OUTBOX"
start_sync
populate
barrier || fail "the barrier did not return"
printf '{"cwd":"/w","n":2}\n' >>"$LIVE/projects/-w/s.jsonl"
barrier || fail "the second barrier did not return"
[ -L "$OUTBOX/tree/link.json" ] && [ -f "$OUTBOX/tree/projects/-w/s.jsonl" ] || fail "not everything was published: $(ls -laR "$OUTBOX/tree")"
left=$(not_owned_by "$HOST_UID" "$HOST_GID")
[ -z "$left" ] || fail "while running, created as root: $left"
[ "$(stat -c %a "$OUTBOX/tree/.credentials.json")" = 600 ] || fail "the credentials are not 0600 in the outbox"
setpriv --reuid "$HOST_UID" --regid "$HOST_GID" --clear-groups cat "$OUTBOX/tree/.credentials.json" | grep -q secret ||
  fail "the host user cannot read the published credentials"
stop_sync
left=$(not_owned_by "$HOST_UID" "$HOST_GID")
[ -z "$left" ] || fail "after the final flush and report, created as root: $left"
outbox_matches_live || fail "the outbox does not match its journal and the live dir"
pass "an outbox folder of uid $HOST_UID: every folder, file, link, journal and report created there is its, and it reads the 0600 credentials"

# The same with an outbox folder that root owns: nothing is given away.
rm -rf "$OUTBOX" "$LIVE"
mkdir -p "$OUTBOX" "$LIVE"
start_sync
populate
barrier || fail "the barrier did not return"
stop_sync
[ -f "$OUTBOX/tree/todos/t.json" ] && [ -f "$OUTBOX/reports/run.json" ] || fail "nothing was published to the root-owned outbox"
left=$(not_owned_by 0 0)
[ -z "$left" ] || fail "a root-owned outbox got files of another owner: $left"
pass "a root-owned outbox folder: everything stays root's"
