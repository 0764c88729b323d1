#!/usr/bin/env bash
# Puts Docker Compose v2 (the `docker compose` CLI plugin) in a cache folder, for the
# end-to-end compose test, without installing anything on the system. Debian bookworm
# packages only docker-compose 1.29 (v1); Debian trixie's `docker-compose` package is
# v2, a Go binary that needs only libc6 >= 2.34, so it runs here. Its package name is
# the same as bookworm's v1, so it is never installed with apt or dpkg (v1 stays):
# apt fetches the .deb with a private sources list, lists and cache (the signature of
# trixie's Release is checked with Debian's archive keyring, the .deb's SHA256 against
# the signed index) and dpkg-deb unpacks it into the cache.
#
# Usage: scripts/install-compose-v2.sh [CACHE_DIR]    (default: <repo>/.cache/compose-v2)
# Prints the plugin's path, to be linked as $DOCKER_CONFIG/cli-plugins/docker-compose.
# Cached: a second run prints the path and fetches nothing. Exits non-zero, saying why,
# when the package cannot be fetched, unpacked or run, or is not version 2.
# COMPOSE_V2_SUITE (default trixie) and COMPOSE_V2_MIRROR choose where it comes from.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cache=${1:-$root/.cache/compose-v2}
suite=${COMPOSE_V2_SUITE:-trixie}
mirror=${COMPOSE_V2_MIRROR:-http://deb.debian.org/debian}
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
plugin_rel=usr/libexec/docker/cli-plugins/docker-compose
plugin=$cache/tree/$plugin_rel

die() { echo "install-compose-v2: $*" >&2; exit 1; }

# "2.26.1-4" from the plugin at $1, or failure when it does not run or is not v2.
v2_version() {
  local v
  v=$("$1" version --short 2>/dev/null) || return 1
  case $v in 2.*) printf '%s\n' "$v" ;; *) return 1 ;; esac
}

if [ -x "$plugin" ] && v2_version "$plugin" >/dev/null; then
  printf '%s\n' "$plugin"
  exit 0
fi

command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null ||
  die "apt-get and dpkg-deb are needed to fetch compose v2 from Debian's archive"
[ -s "$keyring" ] || die "$keyring is missing; fix: apt-get install debian-archive-keyring"

mkdir -p "$cache"
work=$(mktemp -d "$cache/.fetch.XXXXXX")
trap 'rm -rf "$work"' EXIT
# apt downloads as the unprivileged _apt user when run as root: it must reach $work.
chmod 0755 "$work"
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/deb"
if [ "$(id -u)" -eq 0 ] && id _apt >/dev/null 2>&1; then chown _apt "$work/deb"; fi
printf 'deb [signed-by=%s] %s %s main\n' "$keyring" "$mirror" "$suite" >"$work/sources.list"
# Every apt path that would otherwise be the system's: its sources, lists and cache stay
# untouched, and the system's apt never sees trixie.
apt_opts=(-q -o "Dir::Etc::sourcelist=$work/sources.list" -o Dir::Etc::sourceparts=-
          -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache"
          -o Acquire::Languages=none)

echo "install-compose-v2: fetching docker-compose from $mirror $suite" >&2
apt-get "${apt_opts[@]}" update >&2 || die "apt-get update of $mirror $suite failed (output above)"
# apt keeps an index only when its Release verified against the keyring.
compgen -G "$work/lists/*_${suite}_InRelease" >/dev/null ||
  die "no verified index of $mirror $suite: it did not download, or its Release is not signed by a key in $keyring (apt-get update output above)"
(cd "$work/deb" && apt-get "${apt_opts[@]}" download "docker-compose/$suite" >&2) ||
  die "apt-get download docker-compose/$suite failed (output above)"
debs=("$work"/deb/docker-compose_*.deb)
[ ${#debs[@]} -eq 1 ] && [ -s "${debs[0]}" ] || die "apt-get download left no docker-compose .deb in $work/deb"

dpkg-deb -x "${debs[0]}" "$work/tree" || die "dpkg-deb -x ${debs[0]} failed"
[ -x "$work/tree/$plugin_rel" ] || die "$(basename "${debs[0]}") has no $plugin_rel"
version=$(v2_version "$work/tree/$plugin_rel") ||
  die "$(basename "${debs[0]}"): '$plugin_rel version --short' fails here or is not 2.x: $("$work/tree/$plugin_rel" version 2>&1 | head -n 3)"
printf '%s %s\n' "$(basename "${debs[0]}")" "$(sha256sum <"${debs[0]}" | cut -d' ' -f1)" >"$work/tree/.origin"

# Published whole, by one rename: a reader sees the old tree, none, or the new one.
rm -rf "$cache/tree"
if ! mv -T "$work/tree" "$cache/tree" 2>/dev/null; then
  # Another run published first; use its tree if it works.
  v2_version "$plugin" >/dev/null || die "cannot move the unpacked tree to $cache/tree"
fi
echo "install-compose-v2: docker compose $version in $cache/tree" >&2
printf '%s\n' "$plugin"
