#!/usr/bin/env bash
# Configuring the build changes nothing on the system, and the build does not need ld.lld:
#  1. scripts/fetch-httplib.sh fetches the header with a private apt configuration: nothing
#     under /etc changes; the header has the pinned sha256 and nothing is left beside it;
#  2. a cached header with other bytes is fetched again, not kept;
#  3. a header whose sha256 is not the expected one is refused, and none is left behind;
#  4. `cmake` configures from a clean folder without ld.lld in sight and then links
#     claude-init with the default linker and no link order (and with ld.lld, with it);
#     nothing under /etc changes while it configures.
# Needs Debian's archive over the network (deb.debian.org or HTTPLIB_MIRROR).
# Usage: tests/build_hygiene_test.sh SOURCE_DIR
set -euo pipefail
src=$(cd "${1:?usage: build_hygiene_test.sh SOURCE_DIR}" && pwd)
fetch=$src/scripts/fetch-httplib.sh
want=$(sed -n 's/^want=\${HTTPLIB_SHA256:-\([0-9a-f]\{64\}\)}$/\1/p' "$fetch")
[ -n "$want" ] || { echo "FAIL: no pinned sha256 found in $fetch" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; }

# Every file under /etc with its size and mtime, and the checksum of apt's configuration.
# (The system's apt lists are left out: another apt-get update may run meanwhile.)
snapshot() {
  find /etc -xdev -printf '%p %y %s %T@ %l\n' 2>/dev/null | sort
  find /etc/apt -xdev -type f -print0 2>/dev/null | sort -z | xargs -0 sha256sum 2>/dev/null
}

snapshot >"$work/before"
"$fetch" "$work/h" >"$work/fetch.log" 2>&1 || fail "fetch-httplib.sh failed: $(cat "$work/fetch.log")"
snapshot >"$work/after"
diff "$work/before" "$work/after" >"$work/system.diff" || fail "fetching httplib changed /etc: $(head -20 "$work/system.diff")"
[ "$(sha256sum <"$work/h/httplib.h" | cut -d' ' -f1)" = "$want" ] || fail "httplib.h does not have the pinned sha256"
[ -z "$(ls -A "$work/h" | grep -v '^httplib.h$')" ] || fail "fetch-httplib.sh left files beside httplib.h: $(ls -A "$work/h")"
pass "fetched into its own folder, sha256 $want, /etc unchanged"

echo '// not httplib' >>"$work/h/httplib.h"
"$fetch" "$work/h" >"$work/fetch.log" 2>&1 || fail "fetch-httplib.sh over a changed header failed: $(cat "$work/fetch.log")"
[ "$(sha256sum <"$work/h/httplib.h" | cut -d' ' -f1)" = "$want" ] || fail "a cached header with other bytes was kept"
pass "a cached header with other bytes is fetched again"

rc=0
HTTPLIB_SHA256=0000000000000000000000000000000000000000000000000000000000000000 "$fetch" "$work/bad" >"$work/bad.log" 2>&1 || rc=$?
[ "$rc" -ne 0 ] || fail "a header with another sha256 was accepted"
grep -q "has sha256 $want, expected 0000" "$work/bad.log" || fail "the refusal does not name both sha256: $(cat "$work/bad.log")"
[ ! -e "$work/bad/httplib.h" ] || fail "a refused header was left in place"
pass "a header with another sha256 is refused: $(cat "$work/bad.log")"

# Configure twice from clean folders, the header already there (as a CI cache would hold it).
configure() {  # configure DIR EXTRA_ARGS...
  local dir=$1; shift
  mkdir -p "$dir/third_party" && cp "$work/h/httplib.h" "$dir/third_party/"
  cmake -S "$src" -B "$dir" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF "$@" >"$dir.log" 2>&1 ||
    fail "cmake configure of $dir failed: $(tail -20 "$dir.log")"
}
find /etc -xdev -printf '%p %y %s %T@ %l\n' 2>/dev/null | sort >"$work/etc-before"
# Without ld.lld: every folder it could be found in is ignored (so the tools found there
# are named).
configure "$work/no-lld" "-DCMAKE_IGNORE_PATH=/usr/bin;/bin;/usr/local/bin;/usr/sbin;/sbin;/usr/lib/llvm-14/bin" \
  -DCMAKE_MAKE_PROGRAM="$(command -v make)" -DCMAKE_C_COMPILER="$(command -v cc)" -DCMAKE_CXX_COMPILER="$(command -v c++)" \
  -DCMAKE_AR="$(command -v ar)" -DCMAKE_RANLIB="$(command -v ranlib)"
configure "$work/lld"
find /etc -xdev -printf '%p %y %s %T@ %l\n' 2>/dev/null | sort >"$work/etc-after"
diff "$work/etc-before" "$work/etc-after" >/dev/null || fail "configuring changed /etc: $(diff "$work/etc-before" "$work/etc-after" | head)"
link=$work/no-lld/entrypoint/CMakeFiles/claude-init.dir/link.txt
grep -q -- "-static" "$link" || fail "without ld.lld claude-init is not linked static: $(cat "$link")"
! grep -q -- "lld\|symbol-ordering-file" "$link" || fail "without ld.lld the link still asks for it: $(cat "$link")"
grep -q "ld.lld not found" "$work/no-lld.log" || fail "configure without ld.lld does not say how claude-init is linked"
if command -v ld.lld >/dev/null; then
  grep -q -- "-fuse-ld=lld .*--symbol-ordering-file=$src/entrypoint/claude-init.order" "$work/lld/entrypoint/CMakeFiles/claude-init.dir/link.txt" ||
    fail "with ld.lld claude-init is not linked with its order: $(cat "$work/lld/entrypoint/CMakeFiles/claude-init.dir/link.txt")"
fi
pass "configure changes nothing under /etc; without ld.lld claude-init links static with the default linker and no order"
if [ "${BUILD_HYGIENE_LINK:-0}" = 1 ]; then
  cmake --build "$work/no-lld" -j2 --target claude-init >"$work/no-lld-build.log" 2>&1 ||
    fail "building claude-init without ld.lld failed: $(tail -20 "$work/no-lld-build.log")"
  out=$("$work/no-lld/entrypoint/claude-init" --no-sync --health-port 0 -e 3 -- sh -c 'exit 3'; echo "rc=$?")
  [ "$out" = "rc=0" ] || fail "claude-init linked without ld.lld: $out"
  pass "claude-init built without ld.lld runs (BUILD_HYGIENE_LINK=1)"
fi
echo "build_hygiene: all passed"
