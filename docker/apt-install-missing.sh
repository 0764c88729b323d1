#!/bin/sh
# apt-install-missing.sh PACKAGE...: installs, with apt-get, those of PACKAGE... that the
# image lacks, and nothing when it has them all, so that a base built with them
# (docker/build-base.sh) needs no network. Used by docker/Dockerfile's stages.
set -e
missing=""
for p in "$@"; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "apt-install-missing: installing$missing"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
rm -rf /var/lib/apt/lists/*
