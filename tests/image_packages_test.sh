#!/usr/bin/env bash
# The image's package lists agree: docker/Dockerfile's build and runtime stages install
# (when missing) exactly what docker/build-base.sh puts in the local debootstrap bases,
# and the build stage has every tool the static claude-init's link asks for. A package
# added to one list only makes an image build that works on one machine and fails on a
# fresh one (a cached base without it), so this fails, naming both lists.
set -euo pipefail
root=${1:?usage: image_packages_test.sh SOURCE_DIR}
dockerfile=$root/docker/Dockerfile
base=$root/docker/build-base.sh

# The packages of the first `RUN apt-install-missing.sh ...` after the line matching $1.
dockerfile_list() {
  awk -v stage="$1" '
    $0 ~ stage { in_stage = 1 }
    in_stage && /^RUN apt-install-missing\.sh/ { grab = 1; sub(/^RUN apt-install-missing\.sh/, "") }
    grab { line = $0; cont = sub(/\\$/, "", line); printf "%s ", line; if (!cont) exit }
  ' "$dockerfile" | tr -s ' ' '\n' | sed '/^$/d' | sort
}
base_list() {
  sed -n "s/^$1=//p" "$base" | tr ',' '\n' | sed '/^$/d' | sort
}

fail=0
compare() {  # compare WHAT DOCKERFILE_STAGE BASE_VAR
  local a b
  a=$(dockerfile_list "$2"); b=$(base_list "$3")
  if [ -z "$a" ] || [ -z "$b" ]; then
    echo "FAIL: could not read the $1 package list from $dockerfile ('$2') or $base ($3=)" >&2
    fail=1; return
  fi
  if [ "$a" != "$b" ]; then
    echo "FAIL: the $1 packages differ between $dockerfile and $base ($3):" >&2
    diff <(echo "$a") <(echo "$b") | sed -n 's/^</  only in the Dockerfile:/p; s/^>/  only in build-base.sh:/p' >&2
    fail=1; return
  fi
  echo "$1 packages agree: $(echo "$a" | tr '\n' ' ')"
}
compare builder '^FROM .* AS build$' builder_packages
compare runtime '^# --- runtime' runtime_packages

# The static link of claude-init uses ld.lld (entrypoint/CMakeLists.txt): the build stage
# must install it.
if grep -q -- '-fuse-ld=lld' "$root/entrypoint/CMakeLists.txt" && ! base_list builder_packages | grep -qx lld; then
  echo "FAIL: entrypoint/CMakeLists.txt links claude-init with ld.lld, but the image's build stage does not install lld" >&2
  fail=1
fi
exit $fail
