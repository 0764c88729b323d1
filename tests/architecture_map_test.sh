#!/usr/bin/env bash
# ARCHITECTURE.md is the map of the code: a newcomer finds any behaviour's file from it in
# one step. Fails, naming the file, when
#   - a source file of core/, platform/, entrypoint/, hostside/, scripts/, docker/ or
#     tests/fuzz/ is not named in it by its path (`dir/name.cc`, `dir/name.h` or
#     `dir/name.*`), or
#   - a path it names in backquotes does not exist (a file moved or renamed without the map).
set -euo pipefail
root=${1:?usage: architecture_map_test.sh SOURCE_DIR}
doc=$root/ARCHITECTURE.md
cd "$root"
fail=0
missing=()
for f in core/*.cc core/*.h platform/*.cc platform/*.h entrypoint/*.cc entrypoint/*.h \
         hostside/*.cc hostside/*.h scripts/* docker/* tests/fuzz/*.cc; do
  case $f in *_test.cc) continue ;; esac
  stem=${f%.*}
  # Named by its exact path, or by its stem with any extension (`dir/name.*`).
  if ! grep -qF -- "$f" "$doc" && ! grep -qF -- "$stem.*" "$doc"; then missing+=("$f"); fi
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "ARCHITECTURE.md does not name these files (add them to \"Where to find it\"):" >&2
  printf '  %s\n' "${missing[@]}" >&2
  fail=1
fi
# Every backquoted path under one of the source folders must exist.
stale=()
while IFS= read -r p; do
  case $p in
    *'.*') ls "${p%.*}".* >/dev/null 2>&1 || stale+=("$p") ;;
    */) [ -d "$p" ] || stale+=("$p") ;;
    *) [ -e "$p" ] || stale+=("$p") ;;
  esac
done < <(grep -oE '`(core|platform|entrypoint|hostside|scripts|docker|compose|tests|bench)/[A-Za-z0-9_./*-]*`' "$doc" | tr -d '`' | sort -u)
if [ ${#stale[@]} -gt 0 ]; then
  echo "ARCHITECTURE.md names paths that do not exist (moved or renamed? fix the map):" >&2
  printf '  %s\n' "${stale[@]}" >&2
  fail=1
fi
[ "$fail" = 0 ] && echo "ARCHITECTURE.md names every source file, and every path it names exists"
exit "$fail"
