#!/usr/bin/env bash
# The on-disk contract between claude-host and claude-init is spelled once, in
# core/formats.h: no source file of either binary writes one of its file names, markers or
# format versions as a literal of its own (comments aside; tests may). Fails, naming the
# file, the line and the constant to use.
set -euo pipefail
root=${1:?usage: formats_literals_test.sh SOURCE_DIR}
cd "$root"
fail=0
# Every constant of the contract that cannot be an ordinary word: a name with a dot or a
# slash (file names, temp markers, format versions).
mapfile -t constants < <(sed -nE 's/^inline constexpr std::string_view (k[A-Za-z0-9]+) = "([^"]*[./][^"]*)";.*/\1|\2/p' core/formats.h)
n=${#constants[@]}
[ "$n" -ge 10 ] || { echo "formats_literals_test: read only $n constants from core/formats.h; has its layout changed?" >&2; exit 1; }
for constant in "${constants[@]}"; do
  IFS='|' read -r name value <<<"$constant"
  hits=$(grep -rnF --include=*.cc --include=*.h "\"$value\"" core platform entrypoint hostside |
         grep -v -e '_test\.cc:' -e '^entrypoint/test_fakes\.h:' -e '^core/formats\.h:' |
         awk -F: -v v="\"$value\"" '{ code = $0; sub(/^[^:]+:[0-9]+:/, "", code); sub(/\/\/.*/, "", code); if (index(code, v)) print }' || true)
  if [ -n "$hits" ]; then
    echo "\"$value\" is spelled again; use $name from core/formats.h:" >&2
    echo "$hits" | sed 's/^/  /' >&2
    fail=1
  fi
done
[ "$fail" = 0 ] && echo "the contract's $n names and versions are spelled only in core/formats.h"
exit "$fail"
