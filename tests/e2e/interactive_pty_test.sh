#!/usr/bin/env bash
# Scenario 9: `claude-host run` under a pseudo-terminal (so it runs the container with
# -it and claude-init hands the terminal to the CLI): the interactive CLI reaches its
# prompt, answers a question through the stand-in API, and exits cleanly (status 0) on
# Ctrl-D pressed twice, and in a second run on Ctrl-C pressed twice. Each session's log
# is read back to the host.
source "$(dirname "$0")/lib.sh" "$@"
e2e_ready

sessions() { ls "$HOME/.claude/projects/$E2E_PROJECT_KEY/" | grep -v 0ld5e55i | grep -c '\.jsonl$' || true; }
for exit_key in ctrl-d ctrl-c; do
  before=$(sessions)
  mapfile -t args < <(e2e_docker_args)
  cmd=("$CLAUDE_HOST" run --project "$E2E_PROJECT" --image "$E2E_IMAGE")
  for a in "${args[@]}"; do cmd+=(--docker-arg "$a"); done
  cmd+=(-- --dangerously-skip-permissions)
  set +e
  (cd "$E2E_PROJECT" && TERM=xterm-256color python3 "$E2E_LIB_DIR/pty_session.py" "$E2E_WORK/screen-$exit_key.txt" "$exit_key" -- "${cmd[@]}")
  rc=$?
  set -e
  [ $rc -eq 0 ] || fail "interactive run ended with $rc after $exit_key; the screen showed:\n$(tail -c 3000 "$E2E_WORK/screen-$exit_key.txt")"
  after=$(sessions)
  [ "$after" -gt "$before" ] || fail "the interactive session ($exit_key) was not read back to the host"
  e2e_log "$exit_key: prompt reached, answer shown, exit 0, session read back"
done
e2e_pass
