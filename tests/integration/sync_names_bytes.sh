#!/usr/bin/env bash
# Names are bytes: a file name that is not UTF-8, a 255-byte name rewritten several times,
# and a file 5000 bytes deep (past PATH_MAX) in the live dir each reach the outbox under
# their exact name, with a journal record whose parsed path is the same bytes, the
# barrier complete and health ok.
source "$(dirname "$0")/sync_common.bash"

start_sync
mkdir -p "$LIVE/commands"

# 1. A name that is not UTF-8 (Latin-1 "café.md").
bad=$(printf 'caf\xe9.md')
echo "latin-1" >"$LIVE/commands/$bad"
# 2. A 255-byte name, rewritten several times (each rewrite goes through a temp name).
long=$(printf 'n%.0s' $(seq 1 250)).json
[ ${#long} = 255 ] || fail "test setup: the long name is ${#long} bytes"
# 3. A file 5000 bytes deep: 50 folders of 99 bytes, made relative to each other (no
#    single path of that length can be handed to the kernel).
python3 - "$LIVE" <<'PY'
import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY)
for i in range(50):
    name = ("%02d" % i) + "d" * 97
    os.mkdir(name, dir_fd=fd)
    nfd = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
    os.close(fd)
    fd = nfd
f = os.open("deep.json", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
os.write(f, b'{"deep":true}')
os.close(f)
PY
for v in 1 2 3 4; do
  echo "{\"v\":$v}" >"$LIVE/commands/$long"
  "$INIT" sync --health-port "$PORT" >"$WORK/sync.out" || fail "barrier $v was not complete: $(cat "$WORK/sync.out"); $(health_json)"
  [ "$(cat "$OUTBOX/tree/commands/$long")" = "{\"v\":$v}" ] || fail "version $v of the 255-byte name is not in the outbox"
done
status=$(health_json)
echo "$status" | python3 -c 'import json,sys; s=json.load(sys.stdin); assert s["status"]=="ok", s' || fail "health is not ok: $status"
[ "$(cat "$OUTBOX/tree/commands/$bad")" = latin-1 ] || fail "the non-UTF-8 name is not in the outbox under its exact bytes: $(ls "$OUTBOX/tree/commands" | od -c | head)"
! ls "$OUTBOX/tree/commands" | grep -q "$(printf '\xef\xbf\xbd')" || fail "a replacement-character name reached the outbox"
! ls -a "$OUTBOX/tree/commands" | grep -q claude-init-tmp || fail "a temp file was left in the outbox"

# Every name is journaled under its exact bytes, and the deep file is in the outbox.
python3 - "$OUTBOX" "$bad" "$long" <<'PY' || fail "the journal or the deep outbox file is not right"
import base64, json, os, sys
outbox, bad, long = sys.argv[1], os.fsencode(sys.argv[2]), os.fsencode(sys.argv[3])
paths = {}
for line in open(os.path.join(outbox, "journal.jsonl"), "rb"):
    r = json.loads(line)
    if r["op"] != "put":
        continue
    p = base64.b64decode(r["path_b64"]) if "path_b64" in r else r["path"].encode()
    paths.setdefault(p, []).append(r)
assert b"commands/" + bad in paths, sorted(paths)
assert "path_b64" in paths[b"commands/" + bad][0] and "path" not in paths[b"commands/" + bad][0]
assert len(paths[b"commands/" + long]) == 4, paths.get(b"commands/" + long)
deep = b"/".join(b"%02d" % i + b"d" * 97 for i in range(50)) + b"/deep.json"
assert len(deep) > 5000, len(deep)
assert deep in paths, "no journal record for the deep file"
fd = os.open(os.path.join(outbox, "tree"), os.O_RDONLY | os.O_DIRECTORY)
for part in deep.split(b"/")[:-1]:
    nfd = os.open(part, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
    os.close(fd)
    fd = nfd
f = os.open(b"deep.json", os.O_RDONLY, dir_fd=fd)
assert os.read(f, 100) == b'{"deep":true}'
PY
pass "a non-UTF-8 name, a 255-byte name rewritten 4 times and a file 5000 bytes deep reach the outbox under their exact names, journaled byte for byte"

# A restart recovers the outbox (its walk reaches the deep file) and changes nothing.
stop_sync
lines=$(wc -l <"$OUTBOX/journal.jsonl")
start_sync
"$INIT" sync --health-port "$PORT" >/dev/null || fail "the barrier after a restart was not complete: $(health_json)"
! grep -q '"op":"put"' <(tail -n +$((lines + 1)) "$OUTBOX/journal.jsonl") ||
  fail "the restart published again: $(tail -n +$((lines + 1)) "$OUTBOX/journal.jsonl")"
stop_sync
pass "a restart recovers the outbox with these names and republishes nothing"
