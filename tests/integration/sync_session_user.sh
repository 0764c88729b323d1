#!/usr/bin/env bash
# --user UID:GID (CLAUDE_INIT_USER, which `claude-host run` passes for a non-root host
# user): claude-init stays root as PID 1 and runs the child and the probes as that user.
# Before the child starts, the live dir (and its parent, where the CLI takes its lock),
# $HOME (the CLI writes ~/.cache) are that user's; what the session writes in the mounted
# project and in the live dir is the user's; the sync still publishes it. Without --user
# nothing changes: the child runs as root.
source "$(dirname "$0")/sync_common.bash"
[ "$(id -u)" = 0 ] || fail "needs root (it runs the init as root and changes owners)"
U=4242; G=4243
chmod 0711 "$WORK"
PROJECT=$WORK/project; mkdir -p "$PROJECT"; chown "$U:$G" "$PROJECT"   # the host's bind mount
export HOME=$WORK/home; mkdir -p "$HOME/.cache"                         # root's, as in the image
chown "$U:$G" "$OUTBOX"
printf '{"model":"opus"}\n' > "$LIVE/settings.json"                     # seeded as root
mkdir -p "$LIVE/projects/-w"

cat > "$WORK/session.sh" <<SH
#!/bin/sh
set -e
id -u > "$PROJECT/uid"; id -g > "$PROJECT/gid"; id -G > "$PROJECT/groups"
echo new > "$PROJECT/created.txt"
mkdir "$PROJECT/sub" && echo x > "$PROJECT/sub/y"
printf '{"cwd":"/w","n":1}\n' >> "$LIVE/projects/-w/s.jsonl"
printf '{"model":"sonnet"}\n' > "$LIVE/settings.json.tmp" && mv "$LIVE/settings.json.tmp" "$LIVE/settings.json"
mkdir "$LIVE.lock" && rmdir "$LIVE.lock"          # the CLI's lock beside its config dir
mkdir -p "\$HOME/.cache/claude" && echo c > "\$HOME/.cache/claude/c"
# Wait (bounded) for one probe, which runs as the session does.
i=0; while [ ! -s "$WORK/probe-uid" ] && [ \$i -lt 250 ]; do sleep 0.02; i=\$((i+1)); done
SH
chmod 0755 "$WORK/session.sh"

PORT=$(free_port)
start_init pid1 "$WORK/init.log" --stage "$STAGE" --outbox "$OUTBOX" --live-dir "$LIVE" --health-port "$PORT" \
  --user "$U:$G" --probe-cmd "id -u > $WORK/probe-uid" --probe-interval 100ms --probe-timeout 50ms -- "$WORK/session.sh"
wait_exit 20
[ "$EXIT_CODE" = 0 ] || { cat "$WORK/init.log" >&2; fail "init exited $EXIT_CODE"; }
[ "$(cat "$PROJECT/uid")" = "$U" ] && [ "$(cat "$PROJECT/gid")" = "$G" ] && [ "$(cat "$PROJECT/groups")" = "$G" ] \
  || fail "the child ran as $(cat "$PROJECT/uid"):$(cat "$PROJECT/gid") groups $(cat "$PROJECT/groups")"
[ "$(cat "$WORK/probe-uid")" = "$U" ] || fail "the probe ran as uid $(cat "$WORK/probe-uid")"
pass "child and probe run as $U:$G with no other groups, the init as root"

left=$(find "$PROJECT" "$LIVE" "$HOME" \( ! -uid "$U" -o ! -gid "$G" \) -printf '%u:%g %p\n')
[ -z "$left" ] || fail "not the session user's: $left"
[ "$(stat -c %u "$WORK")" = "$U" ] || fail "the live dir's parent is not writable by the session user"
pass "what the session wrote in the project, the live dir and the home is the user's; the live dir and its parent are writable by it"

grep -q '"model":"sonnet"' "$OUTBOX/tree/settings.json" && grep -q '"n":1' "$OUTBOX/tree/projects/-w/s.jsonl" \
  || fail "the session's changes were not published: $(ls -lR "$OUTBOX/tree")"
left=$(find "$OUTBOX" -mindepth 1 \( ! -uid "$U" -o ! -gid "$G" \) -printf '%u:%g %p\n')
[ -z "$left" ] || fail "outbox entries of another owner: $left"
pass "the sync publishes the session's changes to the outbox"

# Without --user: the child is root, and nothing is handed over.
rm -rf "$OUTBOX" "$LIVE" "$PROJECT"; mkdir -p "$OUTBOX" "$LIVE" "$PROJECT"
start_init pid1 "$WORK/init2.log" --stage "$STAGE" --outbox "$OUTBOX" --live-dir "$LIVE" --health-port 0 \
  -- /bin/sh -c "id -u > $PROJECT/uid; echo x > $LIVE/f"
wait_exit 20
[ "$EXIT_CODE" = 0 ] && [ "$(cat "$PROJECT/uid")" = 0 ] && [ "$(stat -c %u "$LIVE/f")" = 0 ] || fail "without --user: $(cat "$WORK/init2.log")"
pass "without --user the child runs as root"

# A bad value is refused before anything starts.
set +e; CLAUDE_INIT_USER=al "$INIT" --no-sync -- true 2> "$WORK/bad.err"; rc=$?; set -e
[ "$rc" = 1 ] && grep -q "CLAUDE_INIT_USER" "$WORK/bad.err" || fail "CLAUDE_INIT_USER=al: exit $rc, $(cat "$WORK/bad.err")"
pass "a non-numeric CLAUDE_INIT_USER is refused, naming the variable"
