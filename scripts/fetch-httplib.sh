#!/usr/bin/env bash
# Puts cpp-httplib's single header at $1/httplib.h. Debian's libcpp-httplib-dev is a
# shared library, and claude-init must be fully static, so the header comes from
# Debian's source package (deb-src enabled here if it is not). Cached: a present
# header is kept.
set -euo pipefail
out=${1:?usage: fetch-httplib.sh OUTDIR}
[ -s "$out/httplib.h" ] && exit 0
mkdir -p "$out"
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
src_list=/etc/apt/sources.list.d/claude-init-deb-src.sources
if ! apt-get source --print-uris cpp-httplib >/dev/null 2>&1; then
  "${sudo_cmd[@]}" tee "$src_list" >/dev/null <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  "${sudo_cmd[@]}" apt-get update -qq
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get source -qq --download-only cpp-httplib >/dev/null && dpkg-source -q -x ./*.dsc src >/dev/null)
cp "$work/src/httplib.h" "$out/httplib.h.tmp"
mv "$out/httplib.h.tmp" "$out/httplib.h"
echo "fetch-httplib: $(grep -m1 CPPHTTPLIB_VERSION "$out/httplib.h")"
