#!/usr/bin/env bash
# Symlinks are judged by where they resolve through the live tree's other links, not by
# their text: a chain of relative links, each lexically inside (a/b/c/s2 -> ../../..,
# a/b/c/s1 -> s2/../.ssh), leads out of the tree and is never published; a published link
# that comes to lead out when another link changes is taken out of the outbox.
source "$(dirname "$0")/sync_common.bash"

mkdir -p "$LIVE/a/b/c" "$WORK/.ssh"
echo "ssh-ed25519 AAAA user@host" >"$WORK/.ssh/authorized_keys"
start_sync

ln -s ../../.. "$LIVE/a/b/c/s2"
ln -s s2/../.ssh "$LIVE/a/b/c/s1"
# The same target text, where s2 is still a folder: it stays inside, so it is published.
mkdir -p "$LIVE/x/b/c/s2"
ln -s s2/../.ssh "$LIVE/x/b/c/s1"
"$INIT" sync --health-port "$PORT" >/dev/null || fail "the barrier was not complete"
[ "$(readlink "$OUTBOX/tree/a/b/c/s2")" = ../../.. ] || fail "s2 (resolving to the tree's root) was not published"
[ ! -L "$OUTBOX/tree/a/b/c/s1" ] || fail "s1 -> s2/../.ssh, which leads out through s2, was published"
[ "$(readlink "$OUTBOX/tree/x/b/c/s1")" = s2/../.ssh ] || fail "x/b/c/s1 (inside while s2 is a folder) was not published"
grep -q '"path":"a/b/c/s1".*s2.*leaves the tree' "$OUTBOX/reports/events.jsonl" ||
  { cat "$OUTBOX/reports/events.jsonl"; fail "the skipped link a/b/c/s1 is not named in the events"; }
! grep -q '"path":"a/b/c/s1"' "$OUTBOX/journal.jsonl" || fail "a/b/c/s1 is in the journal"
pass "a chain of links each lexically inside is judged through the other link and not published"

# The folder x/b/c/s2 becomes a link to the root: the published x/b/c/s1 now leads out.
rm -r "$LIVE/x/b/c/s2"
ln -s ../../.. "$LIVE/x/b/c/s2"
"$INIT" sync --health-port "$PORT" >/dev/null || fail "the second barrier was not complete"
[ ! -L "$OUTBOX/tree/x/b/c/s1" ] || fail "x/b/c/s1 stayed in the outbox after x/b/c/s2 made it lead out"
grep -q '"op":"delete","path":"x/b/c/s1"' "$OUTBOX/journal.jsonl" || fail "the withdrawn link has no delete record"
grep -q '"path":"x/b/c/s1".*leaves the tree' "$OUTBOX/reports/events.jsonl" || fail "the withdrawn link is not reported"
pass "a published link that comes to lead out through another link is taken out of the outbox"

# Loops and links climbing above the root are skipped too; a dangling one inside is kept.
ln -s loop2 "$LIVE/loop1"
ln -s loop1 "$LIVE/loop2"
ln -s ../later.md "$LIVE/a/dangling.md"
"$INIT" sync --health-port "$PORT" >/dev/null || fail "the third barrier was not complete"
[ ! -L "$OUTBOX/tree/loop1" ] && [ ! -L "$OUTBOX/tree/loop2" ] || fail "a loop of links was published"
[ "$(readlink "$OUTBOX/tree/a/dangling.md")" = ../later.md ] || fail "a dangling link inside the tree was not published"
grep -q '"path":"loop1".*never resolves' "$OUTBOX/reports/events.jsonl" || fail "the loop is not reported"
outside=$(find "$OUTBOX/tree" -name authorized_keys | wc -l)
[ "$outside" = 0 ] || fail "the key file outside the tree is reachable in the outbox"
stop_sync
grep -q '"path": "a/b/c/s1"' "$OUTBOX/reports/run.json" || fail "run.json does not list the skipped link"
pass "loops are skipped and reported, a dangling link inside is published"
