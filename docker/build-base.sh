#!/usr/bin/env bash
# Builds local Debian base images with debootstrap + `docker import`, for machines that
# reach Debian's archive but no image registry. Cached by tag: an image that already
# exists is kept (pass --force to rebuild it).
#
#   docker/build-base.sh runtime [TAG]   minbase + what the runtime stage wants
#   docker/build-base.sh builder [TAG]   minbase + what the build stage compiles with
#   docker/build-base.sh all             both
#
# The default tags carry a hash of the package list (claude-init-base:bookworm-1a2b3c4d),
# so that changing the list makes a new image instead of reusing a stale one. The tag of
# each image is printed on stdout, one per line; progress goes to stderr.
#
# With these packages already in the base, the Dockerfile's conditional apt-get steps
# do nothing and the image builds with no network at all. A user with a registry does
# not need this script: the Dockerfile's defaults are public images.
set -euo pipefail

suite=${DEBIAN_SUITE:-bookworm}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
force=0
args=()
for a in "$@"; do
  case "$a" in
    --force) force=1 ;;
    *) args+=("$a") ;;
  esac
done
set -- "${args[@]}"

# Keep both lists equal to the Dockerfile's (its build stage's and runtime stage's
# apt-get lines): the build stage compiles what CMakeLists.txt configures (hostside's
# libcurl included); the runtime gives the CLI what it shells out to.
builder_packages=build-essential,cmake,pkg-config,lld,libuv1-dev,nlohmann-json3-dev,libspdlog-dev,libfmt-dev,libcurl4-openssl-dev,ca-certificates,dpkg-dev
runtime_packages=ca-certificates,procps,git,less

tag_for() {  # tag_for NAME PACKAGES -> NAME:SUITE-<hash of the package list>
  echo "$1:$suite-$(printf '%s' "$2" | sha256sum | cut -c1-8)"
}

log() { echo "build-base: $*" >&2; }

build_one() {
  local kind=$1 tag=$2 include=${3:-}
  if [ $force -eq 0 ] && docker image inspect "$tag" >/dev/null 2>&1; then
    log "$tag is present (cached)"
    echo "$tag"
    return 0
  fi
  command -v debootstrap >/dev/null || { log "debootstrap is missing: run scripts/install-deps.sh docker"; exit 1; }
  local dir
  dir=$(mktemp -d "${TMPDIR:-/tmp}/claude-init-$kind-rootfs.XXXXXX")
  # The rootfs holds root-owned device nodes and setuid files: remove it whatever happens.
  trap 'rm -rf "'"$dir"'"' RETURN
  local started=$SECONDS
  log "debootstrap $suite ($kind) into $dir"
  local extra=()
  [ -n "$include" ] && extra+=("--include=$include")
  if ! debootstrap --variant=minbase "${extra[@]}" "$suite" "$dir" "$mirror" >"$dir.log" 2>&1; then
    tail -n 30 "$dir.log" >&2
    log "debootstrap failed (log above; full log $dir.log): is $mirror reachable?"
    exit 1
  fi
  rm -f "$dir.log"
  # Leave the package lists out of the image (they are stale by the time it is used) and
  # make apt inside the image quiet about it.
  rm -rf "$dir"/var/lib/apt/lists/* "$dir"/var/cache/apt/*.bin "$dir"/var/cache/apt/archives/*.deb
  tar --numeric-owner -C "$dir" -c . | docker import \
    --change 'CMD ["/bin/bash"]' \
    --change 'ENV LANG=C.UTF-8' \
    --message "debootstrap --variant=minbase $suite ($kind) from $mirror" \
    - "$tag" >/dev/null
  log "$tag imported in $((SECONDS - started))s ($(docker image inspect -f '{{.Size}}' "$tag" | awk '{printf "%.0f MB", $1/1e6}'))"
  echo "$tag"
}

case "${1:-all}" in
  runtime) build_one runtime "${2:-$(tag_for claude-init-base "$runtime_packages")}" "$runtime_packages" ;;
  builder) build_one builder "${2:-$(tag_for claude-init-builder "$builder_packages")}" "$builder_packages" ;;
  all)
    build_one runtime "$(tag_for claude-init-base "$runtime_packages")" "$runtime_packages"
    build_one builder "$(tag_for claude-init-builder "$builder_packages")" "$builder_packages"
    ;;
  *) echo "usage: $0 runtime|builder|all [TAG] [--force]" >&2; exit 2 ;;
esac
