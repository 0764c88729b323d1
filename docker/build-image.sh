#!/usr/bin/env bash
# Builds the claude-init image with docker/Dockerfile, cached by a content hash of every
# input: the Dockerfile, .dockerignore, claude-init's sources, cpp-httplib's header, the
# CLI binary, the base images and the build arguments. An image with that hash already
# present is reused, so CI and a run of end-to-end tests build it once.
#
#   docker/build-image.sh [options]
#     --tag NAME              also tag the result NAME (default claude-init:latest)
#     --base IMAGE            runtime base (default: the local debootstrap base, built if missing)
#     --builder IMAGE         build-stage base (default: the local debootstrap builder)
#     --claude-source SRC     binary (default): the native CLI from the npm package, installed
#                             on this host into .cache/npm-claude; npm: installed inside the build
#     --claude-binary PATH    use this native CLI binary (implies --claude-source binary)
#     --claude-version V      npm version or tag of @anthropic-ai/claude-code (default latest)
#     --user NAME             run as NAME (home /home/NAME) instead of root
#     --public                the Dockerfile's own defaults: debian:bookworm(-slim) from a
#                             registry and the CLI from npm (for machines that reach both)
#
# Prints the content-addressed tag (claude-init:h-<hash>) as the last line on stdout;
# everything else goes to stderr. Starts the engine with scripts/docker-engine.sh when
# none answers.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

tag=claude-init:latest
base=""
builder=""
claude_source=binary
claude_binary=""
claude_version=${CLAUDE_VERSION:-latest}
user=root
public=0
while [ $# -gt 0 ]; do
  case "$1" in
    --tag) tag=$2; shift 2 ;;
    --base) base=$2; shift 2 ;;
    --builder) builder=$2; shift 2 ;;
    --claude-source) claude_source=$2; shift 2 ;;
    --claude-binary) claude_binary=$2; claude_source=binary; shift 2 ;;
    --claude-version) claude_version=$2; shift 2 ;;
    --user) user=$2; shift 2 ;;
    --public) public=1; claude_source=npm; shift ;;
    -h|--help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build-image: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

log() { echo "build-image: $*" >&2; }
die() { log "$*"; exit 1; }

# Starts dockerd when none answers (and leaves it running: the image is for using).
docker info >/dev/null 2>&1 || scripts/docker-engine.sh ensure >&2 || die "no Docker engine (see above)"

build_args=()
if [ $public -eq 0 ]; then
  [ -n "$base" ] || base=$(docker/build-base.sh runtime | tail -n 1)
  [ -n "$builder" ] || builder=$(docker/build-base.sh builder | tail -n 1)
fi
[ -n "$base" ] && build_args+=(--build-arg "BASE_IMAGE=$base")
[ -n "$builder" ] && build_args+=(--build-arg "BUILDER_IMAGE=$builder")

# The native CLI from the npm package, installed on this host once per version.
if [ "$claude_source" = binary ] && [ -z "$claude_binary" ]; then
  cache=$root/.cache/npm-claude
  claude_binary=$cache/node_modules/@anthropic-ai/claude-code-linux-x64/claude
  if [ ! -x "$claude_binary" ] || { [ "$claude_version" != latest ] &&
       [ "$(node -p "require('$cache/node_modules/@anthropic-ai/claude-code/package.json').version" 2>/dev/null)" != "$claude_version" ]; }; then
    command -v npm >/dev/null || die "npm is missing: run scripts/install-deps.sh docker"
    log "installing @anthropic-ai/claude-code@$claude_version into $cache"
    mkdir -p "$cache"
    npm install --prefix "$cache" --no-audit --no-fund --loglevel=error "@anthropic-ai/claude-code@$claude_version" >&2
    [ -x "$claude_binary" ] || die "npm installed no native CLI at $claude_binary (is this linux-x64 with glibc?)"
  fi
fi
case "$claude_source" in
  binary) [ -x "$claude_binary" ] || die "--claude-binary $claude_binary is not an executable file" ;;
  npm) ;;
  *) die "--claude-source must be binary or npm" ;;
esac

# cpp-httplib's header, so that the build stage needs no deb-src access.
httplib=$root/.cache/httplib/httplib.h
[ -s "$httplib" ] || scripts/fetch-httplib.sh "$root/.cache/httplib" >&2

version=$(sed -n 's/^project(claude-init VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
build_args+=(--build-arg "CLAUDE_SOURCE=$claude_source" --build-arg "CLAUDE_VERSION=$claude_version"
             --build-arg "VERSION=$version")
if [ "$user" != root ]; then
  build_args+=(--build-arg "USER=$user" --build-arg "USER_HOME=/home/$user")
fi

# The content hash: file names and bytes of every input, the CLI's bytes, the base
# images' ids (a rebuilt base is a new input) and the build arguments.
hash=$({
  find CMakeLists.txt core platform entrypoint hostside scripts/fetch-httplib.sh docker/Dockerfile docker/apt-install-missing.sh .dockerignore \
       -type f ! -name '*_test.cc' ! -name '*_fuzz.cc' -print0 | sort -z | xargs -0 sha256sum
  sha256sum "$httplib" | cut -d' ' -f1
  [ "$claude_source" = binary ] && sha256sum "$claude_binary" | cut -d' ' -f1
  for img in "$base" "$builder"; do [ -n "$img" ] && docker image inspect -f '{{.Id}}' "$img"; done
  printf '%s\n' "${build_args[@]}"
} | sha256sum | cut -c1-16)
hashed_tag=claude-init:h-$hash

if docker image inspect "$hashed_tag" >/dev/null 2>&1; then
  log "$hashed_tag is up to date (cached)"
else
  # The CLI binary and the header go beside the Dockerfile for this build only.
  cleanup() { rm -rf "$root/docker/cli" "$root/docker/third_party"; }
  trap cleanup EXIT
  cleanup
  mkdir -p docker/third_party
  cp "$httplib" docker/third_party/httplib.h
  if [ "$claude_source" = binary ]; then
    mkdir -p docker/cli
    ln "$claude_binary" docker/cli/claude 2>/dev/null || cp "$claude_binary" docker/cli/claude
  fi
  started=$SECONDS
  log "building $hashed_tag (CLAUDE_SOURCE=$claude_source${base:+, base $base})"
  # The legacy builder is what Docker 20.10 has without the buildx plugin; it also
  # builds unchanged with BuildKit.
  if ! docker build -f docker/Dockerfile "${build_args[@]}" \
         --label "org.opencontainers.image.revision=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" \
         --label "claude-init.input-hash=$hash" \
         -t "$hashed_tag" . >&2; then
    die "docker build failed (output above)"
  fi
  log "built $hashed_tag in $((SECONDS - started))s"
fi
docker tag "$hashed_tag" "$tag"
echo "$hashed_tag"
