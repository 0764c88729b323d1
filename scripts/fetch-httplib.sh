#!/usr/bin/env bash
# Puts cpp-httplib's single header at $1/httplib.h without changing the system. Debian's
# libcpp-httplib-dev is a shared library, and claude-init must be fully static, so the
# header comes from Debian's source package: apt fetches it with a private sources list,
# lists and cache under $1/.apt (the system's sources, lists and cache stay untouched; no
# sudo), checking the source files against the signed Sources index (Debian's archive
# keyring), dpkg-source unpacks it with Debian's patches, and the header must have the
# sha256 pinned below. Cached: a present header with that sha256 is kept.
#
# Usage: scripts/fetch-httplib.sh OUTDIR        (CMake calls it with <build>/third_party)
# HTTPLIB_DEB_VERSION and HTTPLIB_SHA256 choose another version (both must change together);
# HTTPLIB_MIRROR another Debian mirror.
set -euo pipefail
out=${1:?usage: fetch-httplib.sh OUTDIR}
version=${HTTPLIB_DEB_VERSION:-0.11.4+ds-1+deb12u1}
want=${HTTPLIB_SHA256:-2bcaaeb62b3fee7beed69aa51e14f811f4d0bac3a0c1d6f0f095b02655d80a4e}
mirror=${HTTPLIB_MIRROR:-http://deb.debian.org/debian}
keyring=/usr/share/keyrings/debian-archive-keyring.gpg

die() { echo "fetch-httplib: $*" >&2; exit 1; }
sha() { sha256sum <"$1" | cut -d' ' -f1; }

if [ -s "$out/httplib.h" ] && [ "$(sha "$out/httplib.h")" = "$want" ]; then exit 0; fi
command -v apt-get >/dev/null && command -v dpkg-source >/dev/null ||
  die "apt-get and dpkg-source are needed; fix: apt-get install apt dpkg-dev"
[ -s "$keyring" ] || die "$keyring is missing; fix: apt-get install debian-archive-keyring"

mkdir -p "$out"
work=$(mktemp -d "$out/.fetch.XXXXXX")
trap 'rm -rf "$work"' EXIT
# apt downloads as the unprivileged _apt user when run as root: it must reach $work.
chmod 0755 "$work"
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/src"
if [ "$(id -u)" -eq 0 ] && id _apt >/dev/null 2>&1; then chown _apt "$work/src"; fi
for suite in bookworm bookworm-updates; do
  printf 'deb-src [signed-by=%s] %s %s main\n' "$keyring" "$mirror" "$suite"
done >"$work/sources.list"
# Every apt path that would otherwise be the system's.
apt_opts=(-q -o "Dir::Etc::sourcelist=$work/sources.list" -o Dir::Etc::sourceparts=-
          -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache"
          -o Acquire::Languages=none)
apt-get "${apt_opts[@]}" update >"$work/update.log" 2>&1 ||
  die "apt-get update of $mirror (deb-src, private lists under $work) failed: $(tail -n 3 "$work/update.log")"
(cd "$work/src" && apt-get "${apt_opts[@]}" source --download-only "cpp-httplib=$version" >"$work/source.log" 2>&1) ||
  die "apt-get source cpp-httplib=$version failed: $(tail -n 3 "$work/source.log"); fix: set HTTPLIB_DEB_VERSION and HTTPLIB_SHA256 to a version the mirror has"
(cd "$work/src" && dpkg-source -q -x ./*.dsc tree >"$work/dpkg.log" 2>&1) ||
  die "dpkg-source could not unpack cpp-httplib $version: $(tail -n 3 "$work/dpkg.log")"
got=$(sha "$work/src/tree/httplib.h")
[ "$got" = "$want" ] ||
  die "cpp-httplib $version's httplib.h has sha256 $got, expected $want; fix: check the new version, then set HTTPLIB_SHA256"
cp "$work/src/tree/httplib.h" "$out/httplib.h.tmp"
mv "$out/httplib.h.tmp" "$out/httplib.h"
echo "fetch-httplib: $(grep -m1 CPPHTTPLIB_VERSION "$out/httplib.h") (Debian $version, sha256 $want)"
