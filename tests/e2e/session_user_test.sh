#!/usr/bin/env bash
# Scenario: `claude-host run` by a non-root user in the `docker` group (made with useradd
# for the test), with a real headless session whose Write tool writes a file in the
# project, and a look from inside that writes in the project and in the config dir. The
# session runs as that user (claude-init drops root for it), so afterwards nothing in the
# user's home or project belongs to anyone else: `find $HOME $PROJECT ! -user $USER` is
# empty.
source "$(dirname "$0")/lib.sh" "$@"
[ "$(id -u)" = 0 ] || fail "needs root (it creates a user)"
getent group docker >/dev/null || fail "there is no docker group: the engine's socket must be usable by group docker"
e2e_require_binaries
e2e_ensure_engine
e2e_ensure_image

E2E_USER=ce2e$$
UHOME=$E2E_WORK/uhome
useradd --home-dir "$UHOME" --no-create-home --user-group --groups docker --shell /bin/bash "$E2E_USER" ||
  fail "useradd $E2E_USER"
# Removed at exit, before lib.sh's cleanup (which keeps the exit status).
trap 'rc=$?; userdel -f "$E2E_USER" >/dev/null 2>&1; (exit $rc); e2e_cleanup' EXIT
UID_=$(id -u "$E2E_USER"); GID_=$(id -g "$E2E_USER")
PROJECT=$UHOME/src/demo.project
mkdir -p "$UHOME"
python3 "$E2E_LIB_DIR/make-demo-home.py" "$UHOME" "$PROJECT" >/dev/null || fail "make-demo-home.py"
chown -R "$E2E_USER:$E2E_USER" "$UHOME"
e2e_log "user $E2E_USER ($UID_:$GID_), home $UHOME"

cwd=/workspace/demo.project
opts=()
mapfile -t args < <(e2e_docker_args)
for a in "${args[@]}" -e "FAKE_API_WRITE_PATH=$cwd/hello.txt" -e "E2E_API_LOG=$cwd/.e2e-api.jsonl" \
  -e "E2E_AFTER=id -u > $cwd/.id-u; id -g > $cwd/.id-g; mkdir -p $cwd/made-inside && echo y > $cwd/made-inside/f && mkdir -p \"\$CLAUDE_CONFIG_DIR/agents\" && echo from-container > \"\$CLAUDE_CONFIG_DIR/agents/e2e.md\""; do
  opts+=(--docker-arg "$a")
done
set +e
runuser -u "$E2E_USER" -- env -i HOME="$UHOME" USER="$E2E_USER" LOGNAME="$E2E_USER" PATH="$PATH" \
  bash -c 'cd "$1" && shift && exec "$@"' _ "$PROJECT" \
  "$CLAUDE_HOST" run --image "$E2E_IMAGE" "${opts[@]}" -- -p "write hello.txt" --dangerously-skip-permissions \
  >"$E2E_WORK/run.out" 2>&1
rc=$?
set -e
[ $rc -eq 0 ] || fail "claude-host run as $E2E_USER exited $rc: $(tail -n 30 "$E2E_WORK/run.out")"

[ "$(cat "$PROJECT/.id-u"):$(cat "$PROJECT/.id-g")" = "$UID_:$GID_" ] ||
  fail "the session ran as $(cat "$PROJECT/.id-u"):$(cat "$PROJECT/.id-g"), not $UID_:$GID_"
grep -q "written by the stand-in" "$PROJECT/hello.txt" || fail "the Write tool did not write hello.txt: $(tail -n 20 "$E2E_WORK/run.out")"
[ "$(stat -c %U "$PROJECT/hello.txt")" = "$E2E_USER" ] || fail "hello.txt belongs to $(stat -c %U:%G "$PROJECT/hello.txt")"
[ "$(cat "$UHOME/.claude/agents/e2e.md" 2>/dev/null)" = from-container ] || fail "the config dir's new file was not read back"
ls "$UHOME/.claude/projects/$(e2e_encode_path "$PROJECT")"/*.jsonl | grep -qv 0ld5e55i || fail "no new session log was read back"
pass_user="the session ran as $E2E_USER; its Write tool, its files in the project and the config dir came back"

left=$(find "$UHOME" "$PROJECT" ! -user "$E2E_USER" -printf '%u:%g %p\n')
[ -z "$left" ] || fail "not owned by $E2E_USER after the run:\n$left"
e2e_log "$pass_user; find \$HOME \$PROJECT ! -user $E2E_USER: empty"
e2e_pass
