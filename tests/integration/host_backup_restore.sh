#!/usr/bin/env bash
# Backups share unchanged files between snapshots, verify by checksum, get a second copy in
# a mirror folder and are pruned by age; restore picks the newest snapshot whose files all
# verify (a corrupted newest snapshot is skipped), swaps it in atomically, verifies it, and
# keeps what was there as a snapshot of its own. What comes back is exact: every file's and
# folder's mode and mtime (nanoseconds), the config folder's own included, and symlinks.
source "$(dirname "$0")/../helpers/host_test_lib.sh" "$1"

PROJ="$TEST_ROOT/proj"; mkdir -p "$PROJ"; cd "$PROJ"
ENC=$(make_claude_home "$PROJ")
MIRROR="$TEST_ROOT/mirror"
ln -s ../CLAUDE.md "$HOME/.claude/commands/linked.md"
# Modes and times as a real home has them: the folder 0755 (not the 0700 a restore used
# to give it), a group-readable sub-folder, and every entry (symlink and folders
# included) a distinct old mtime with nanoseconds, which the CLI orders sessions by.
chmod 755 "$HOME/.claude"; chmod 750 "$HOME/.claude/commands"; chmod 640 "$HOME/.claude/CLAUDE.md"
python3 - "$HOME" <<'PY'
import os, sys
home = sys.argv[1]
paths = [os.path.join(home, ".claude.json")]
for root, dirs, files in os.walk(os.path.join(home, ".claude")):
    paths += [os.path.join(root, n) for n in dirs + files]
paths.append(os.path.join(home, ".claude"))  # last: setting the others does not touch it
for i, p in enumerate(paths):
    t = 1_600_000_000_123_456_789 + i * 86_400_987_654_321
    os.utime(p, ns=(t, t), follow_symlinks=False)
PY
listing() { find "$HOME/.claude" "$HOME/.claude.json" -printf '%p %y %m %s %T@ %l\n' | sort; }
LISTING=$(listing)

"$CLAUDE_HOST" backup create --mirror "$MIRROR" --json > "$TEST_ROOT/b1.json" || fail "backup create"
GOOD=$(state_digest)
GOOD_ID=$(json_get "$TEST_ROOT/b1.json" '["id"]')
objects_before=$(find "$HOME/.claude-docker/backups/objects" -type f | wc -l)
# `restore --at` has one-second resolution: the next snapshot must fall in a later second.
B1_AT=$(( $(json_get "$TEST_ROOT/b1.json" '["created_ms"]') / 1000 + 1 ))
second_after() { [ "$(date +%s)" -gt "$1" ]; }
wait_for 5 second_after "$B1_AT" || fail "clock did not advance"
# Change one file, add one; the next snapshot stores only those.
printf '{"model":"haiku"}\n' > "$HOME/.claude/settings.json"
printf 'new\n' > "$HOME/.claude/commands/added.md"
"$CLAUDE_HOST" backup create --mirror "$MIRROR" --json > "$TEST_ROOT/b2.json" || fail "second backup"
NEW_ID=$(json_get "$TEST_ROOT/b2.json" '["id"]')
objects_after=$(find "$HOME/.claude-docker/backups/objects" -type f | wc -l)
[ $((objects_after - objects_before)) = 2 ] || fail "unchanged files were stored again ($objects_before -> $objects_after)"
[ -f "$MIRROR/snapshots/$NEW_ID.json" ] && [ "$(find "$MIRROR/objects" -type f | wc -l)" = "$objects_after" ] || fail "mirror incomplete"
"$CLAUDE_HOST" backup list --json > "$TEST_ROOT/list.json"
[ "$(json_get "$TEST_ROOT/list.json" '["snapshots"][0]["id"]')" = "$NEW_ID" ] || fail "list is not newest first"
"$CLAUDE_HOST" backup verify > "$TEST_ROOT/verify.txt" || fail "verify of good backups failed: $(cat "$TEST_ROOT/verify.txt")"
pass "snapshots share unchanged files, mirror holds a copy, verify passes"

# Corrupt the content only the newest snapshot has (settings.json v2), in both copies.
SHA=$(sha256sum "$HOME/.claude/settings.json" | cut -c1-64)
for root in "$HOME/.claude-docker/backups" "$MIRROR"; do
  f=$(ls "$root/objects/${SHA:0:2}/$SHA".*)
  chmod u+w "$f"; printf 'garbage' > "$f"
done
set +e; "$CLAUDE_HOST" backup verify > "$TEST_ROOT/verify2.txt"; rc=$?; set -e
[ "$rc" = 1 ] && grep -q "$NEW_ID  CORRUPT" "$TEST_ROOT/verify2.txt" && grep -q "$GOOD_ID  ok" "$TEST_ROOT/verify2.txt" \
  || fail "verify did not flag the corrupt snapshot: $(cat "$TEST_ROOT/verify2.txt")"
pass "verify finds the corrupted snapshot"

# Damage the live state, then restore: the newest good snapshot is the first one.
rm -rf "$HOME/.claude/projects"; printf 'broken' > "$HOME/.claude.json"
"$CLAUDE_HOST" restore --json > "$TEST_ROOT/restore.json" || fail "restore: $(cat "$TEST_ROOT/restore.json")"
[ "$(json_get "$TEST_ROOT/restore.json" '["snapshot_id"]')" = "$GOOD_ID" ] || fail "restored the wrong snapshot"
[ "$(json_get "$TEST_ROOT/restore.json" '["rejected"][0]["id"]')" = "$NEW_ID" ] || fail "the corrupt snapshot was not reported"
[ "$(state_digest)" = "$GOOD" ] || fail "restored state differs from the good snapshot"
[ "$(readlink "$HOME/.claude/commands/linked.md")" = "../CLAUDE.md" ] || fail "symlink not restored"
[ "$(stat -c %a "$HOME/.claude/.credentials.json")" = 600 ] || fail "credentials mode not restored"
ls -d "$HOME"/.claude.restore-* 2>/dev/null && fail "restore left its work folder behind"
[ "$(listing)" = "$LISTING" ] || fail "restore is not exact (mode, size, mtime or link differ): $(diff <(echo "$LISTING") <(listing))"
SAFETY=$(json_get "$TEST_ROOT/restore.json" '["safety_snapshot_id"]')
pass "restore skipped the corrupt newest snapshot and restored the older good one, modes, mtimes and links exactly"

# The damaged state was kept as a snapshot: restoring it brings the damage back exactly.
"$CLAUDE_HOST" restore "$SAFETY" > /dev/null || fail "restore of the safety snapshot"
[ "$(cat "$HOME/.claude.json")" = broken ] && [ ! -e "$HOME/.claude/projects" ] || fail "safety snapshot content"
"$CLAUDE_HOST" restore --at "$(date -u -d @"$B1_AT" +%Y-%m-%dT%H:%M:%SZ)" > /dev/null || fail "restore --at"
[ "$(state_digest)" = "$GOOD" ] || fail "restore --at restored something else"
pass "restore by id and --at"

# Prune: everything older than a day goes (the newest always stays), with its unused files.
for f in "$HOME/.claude-docker/backups/snapshots"/*.json; do
  python3 - "$f" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); d["created_ms"] -= 40 * 86400 * 1000; json.dump(d, open(sys.argv[1], "w"))
PY
done
"$CLAUDE_HOST" backup create > /dev/null
"$CLAUDE_HOST" backup prune --keep-days 30 --json > "$TEST_ROOT/prune.json" || fail "prune"
[ "$(ls "$HOME/.claude-docker/backups/snapshots" | wc -l)" = 1 ] || fail "old snapshots not pruned: $(ls "$HOME/.claude-docker/backups/snapshots")"
"$CLAUDE_HOST" backup verify > /dev/null || fail "the kept snapshot lost files in the prune"
[ "$(json_get "$TEST_ROOT/prune.json" '["objects_removed"]')" -ge 1 ] || fail "unused files not removed"
pass "prune removes old snapshots and unused files, keeps the newest intact"
