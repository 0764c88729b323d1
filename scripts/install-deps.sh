#!/usr/bin/env bash
# Installs, from Debian's archive, whatever the build, tests, demo and benchmarks need
# and this machine lacks. Idempotent: a second run installs nothing and prints nothing
# but its summary line. Usage: scripts/install-deps.sh [build|test|docker|bench|all]
set -euo pipefail

what=${1:-all}
build_pkgs=(build-essential cmake pkg-config file libuv1-dev nlohmann-json3-dev libspdlog-dev
            libfmt-dev catch2 libcurl4-openssl-dev libssl-dev dpkg-dev util-linux procps
            clang libclang-rt-14-dev lld python3 inotify-tools)
docker_pkgs=(docker.io docker-compose debootstrap nodejs npm)
bench_pkgs=(tini dumb-init catatonit hyperfine rsync lsyncd inotify-tools python3-matplotlib)

pkgs=()
case "$what" in
  build|test) pkgs=("${build_pkgs[@]}") ;;
  docker) pkgs=("${build_pkgs[@]}" "${docker_pkgs[@]}") ;;
  bench) pkgs=("${build_pkgs[@]}" "${bench_pkgs[@]}") ;;
  all) pkgs=("${build_pkgs[@]}" "${docker_pkgs[@]}" "${bench_pkgs[@]}") ;;
  *) echo "usage: $0 [build|test|docker|bench|all]" >&2; exit 2 ;;
esac

missing=()
for p in "${pkgs[@]}"; do
  # node's own repository ships nodejs with npm inside; accept either.
  if [ "$p" = npm ] && command -v npm >/dev/null 2>&1; then continue; fi
  if [ "$p" = nodejs ] && command -v node >/dev/null 2>&1; then continue; fi
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
echo "install-deps: $what dependencies present"
