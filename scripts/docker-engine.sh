#!/usr/bin/env bash
# Makes sure a Docker engine answers on this machine, and stops only what it started.
#
#   scripts/docker-engine.sh ensure   install docker.io/docker-compose/debootstrap when
#                                     missing, start dockerd in the background when no
#                                     engine answers, wait until `docker info` works
#   scripts/docker-engine.sh stop     stop the dockerd that `ensure` started (if any);
#                                     an engine somebody else started is left alone
#   scripts/docker-engine.sh status   say whether an engine answers and who started it
#
# The engine is a shared resource: several test scripts call `ensure`, and only the one
# that actually started dockerd owns it (its pid is in the state file). `ensure` never
# skips: when the engine cannot start it prints the daemon's log and exits non-zero.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
state_dir=${CLAUDE_DOCKER_ENGINE_STATE:-/run/claude-init-docker-engine}
pid_file=$state_dir/dockerd.pid
log_file=$state_dir/dockerd.log
start_timeout=${CLAUDE_DOCKER_START_TIMEOUT:-90}

sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)

die() { echo "docker-engine: $*" >&2; exit 1; }

engine_answers() { docker info >/dev/null 2>&1; }

# The pid we recorded, if that process is still a dockerd.
owned_pid() {
  [ -s "$pid_file" ] || return 1
  local pid
  pid=$(cat "$pid_file")
  [ -r "/proc/$pid/comm" ] && [ "$(cat "/proc/$pid/comm")" = dockerd ] || return 1
  echo "$pid"
}

ensure_packages() {
  local need=0
  command -v dockerd >/dev/null 2>&1 || need=1
  command -v docker >/dev/null 2>&1 || need=1
  command -v docker-compose >/dev/null 2>&1 || need=1
  command -v debootstrap >/dev/null 2>&1 || need=1
  if [ $need -eq 1 ]; then
    "$here/install-deps.sh" docker
  fi
  command -v dockerd >/dev/null 2>&1 || die "dockerd is still missing after installing docker.io; check apt's output above"
}

start_engine() {
  "${sudo_cmd[@]}" mkdir -p "$state_dir"
  # A stale socket from a crashed daemon makes the new one fail to bind.
  if [ -S /var/run/docker.sock ] && ! engine_answers && ! pgrep -x dockerd >/dev/null; then
    "${sudo_cmd[@]}" rm -f /var/run/docker.sock
  fi
  echo "docker-engine: starting dockerd (log: $log_file)"
  # setsid: the daemon must outlive the calling test's process group and must not get
  # the terminal's Ctrl-C.
  "${sudo_cmd[@]}" setsid dockerd >"$log_file" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" | "${sudo_cmd[@]}" tee "$pid_file" >/dev/null
  local deadline=$((SECONDS + start_timeout))
  until engine_answers; do
    if ! kill -0 "$pid" 2>/dev/null; then
      "${sudo_cmd[@]}" rm -f "$pid_file"
      echo "docker-engine: dockerd exited while starting; its log:" >&2
      tail -n 40 "$log_file" >&2 || true
      die "the Docker engine cannot start on this machine (see the log above); end-to-end tests need it"
    fi
    if [ $SECONDS -ge $deadline ]; then
      echo "docker-engine: dockerd did not answer within ${start_timeout}s; its log:" >&2
      tail -n 40 "$log_file" >&2 || true
      die "the Docker engine did not come up; raise CLAUDE_DOCKER_START_TIMEOUT or read $log_file"
    fi
    sleep 0.2
  done
  echo "docker-engine: dockerd $(docker version --format '{{.Server.Version}}' 2>/dev/null) is up (pid $pid)"
}

stop_engine() {
  local pid
  if ! pid=$(owned_pid); then
    "${sudo_cmd[@]}" rm -f "$pid_file"
    echo "docker-engine: no dockerd started by this script is running; nothing to stop"
    return 0
  fi
  echo "docker-engine: stopping dockerd (pid $pid)"
  "${sudo_cmd[@]}" kill -TERM "$pid"
  local deadline=$((SECONDS + 30))
  while kill -0 "$pid" 2>/dev/null; do
    if [ $SECONDS -ge $deadline ]; then
      echo "docker-engine: dockerd ignored SIGTERM for 30s; killing it" >&2
      "${sudo_cmd[@]}" kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.2
  done
  "${sudo_cmd[@]}" rm -f "$pid_file"
}

case "${1:-}" in
  ensure)
    ensure_packages
    if engine_answers; then
      exit 0
    fi
    if owned_pid >/dev/null; then
      # Ours, but not answering (still starting, or wedged): wait for it like a fresh start.
      deadline=$((SECONDS + start_timeout))
      until engine_answers; do
        [ $SECONDS -lt $deadline ] || die "the dockerd this script started (pid $(owned_pid)) does not answer; read $log_file"
        sleep 0.2
      done
      exit 0
    fi
    if pgrep -x dockerd >/dev/null; then
      die "a dockerd is running but \`docker info\` fails (permissions on /var/run/docker.sock, or DOCKER_HOST?): $(docker info 2>&1 | tail -n 1)"
    fi
    start_engine
    ;;
  stop) stop_engine ;;
  status)
    if engine_answers; then
      if pid=$(owned_pid); then echo "running, started by this script (pid $pid)"
      else echo "running, not started by this script (left alone by stop)"; fi
    else
      echo "not running"
      exit 1
    fi
    ;;
  *) echo "usage: $0 ensure|stop|status" >&2; exit 2 ;;
esac
