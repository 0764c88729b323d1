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

# A skipped entry whose name is not UTF-8 is named by its exact bytes in the events.
mkfifo "$LIVE/commands/$(printf 'p\xff')"
"$INIT" sync --health-port "$PORT" >/dev/null || fail "the barrier with a FIFO was not complete"
grep -q '"event":"skipped".*"path_b64":"Y29tbWFuZHMvcP8="' "$OUTBOX/reports/events.jsonl" ||
  fail "the skipped FIFO is not named by its bytes: $(grep skipped "$OUTBOX/reports/events.jsonl")"
rm "$LIVE/commands/$(printf 'p\xff')"
pass "a skipped entry with a non-UTF-8 name is reported under path_b64"

# A restart recovers the outbox (its walk reaches the deep file) and changes nothing.
stop_sync
lines=$(wc -l <"$OUTBOX/journal.jsonl")
start_sync
"$INIT" sync --health-port "$PORT" >/dev/null || fail "the barrier after a restart was not complete: $(health_json)"
! grep -q '"op":"put"' <(tail -n +$((lines + 1)) "$OUTBOX/journal.jsonl") ||
  fail "the restart published again: $(tail -n +$((lines + 1)) "$OUTBOX/journal.jsonl")"
stop_sync
pass "a restart recovers the outbox with these names and republishes nothing"

# The same names in a stage: the manifest carries them (path_b64 for the one that is not
# UTF-8), the seed writes them under their exact bytes, and a change comes back.
STAGE=$WORK/stage
rm -rf "$LIVE" "$OUTBOX" && mkdir -p "$OUTBOX" "$STAGE/tree/commands"
echo "latin-1" >"$STAGE/tree/commands/$bad"
echo '{"v":0}' >"$STAGE/tree/commands/$long"
python3 - "$STAGE" <<'PY'
import base64, hashlib, json, os, sys
stage = sys.argv[1]
fd = os.open(os.path.join(stage, "tree"), os.O_RDONLY | os.O_DIRECTORY)
for i in range(50):
    name = ("%02d" % i) + "d" * 97
    os.mkdir(name, dir_fd=fd)
    nfd = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
    os.close(fd)
    fd = nfd
f = os.open("deep.json", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
os.write(f, b'{"deep":0}')
os.close(f)
deep = "/".join(("%02d" % i) + "d" * 97 for i in range(50)) + "/deep.json"
def entry(rel, data):
    e = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest(), "mode": 0o644}
    try:
        rel.decode("utf-8"); e["path"] = rel.decode()
    except UnicodeDecodeError:
        e["path_b64"] = base64.b64encode(rel).decode()
    return e
files = []
for rel in os.listdir(os.path.join(stage, "tree", "commands").encode()):
    files.append(entry(b"commands/" + rel, open(os.path.join(stage.encode(), b"tree/commands", rel), "rb").read()))
files.append(entry(deep.encode(), b'{"deep":0}'))
json.dump({"format": "claude-stage/1", "run_id": "r", "trace_id": "t", "created_at": "2026-11-22T00:00:00Z",
           "mapping": [], "files": files, "symlinks": []}, open(os.path.join(stage, "manifest.json"), "w"))
PY
start_sync
[ "$(cat "$LIVE/commands/$bad")" = latin-1 ] || fail "the seed did not write the non-UTF-8 name under its bytes"
[ "$(cat "$LIVE/commands/$long")" = '{"v":0}' ] || fail "the seed did not write the 255-byte name"
echo '{"v":9}' >"$LIVE/commands/$long"
"$INIT" sync --health-port "$PORT" >/dev/null || fail "the barrier after the seed was not complete: $(health_json)"
[ "$(cat "$OUTBOX/tree/commands/$long")" = '{"v":9}' ] || fail "the change to the seeded 255-byte name did not come back"
! grep -q "deep.json" "$OUTBOX/journal.jsonl" || fail "the unchanged deep seeded file was published"
python3 - "$LIVE" <<'PY' || fail "the seed did not write the deep file"
import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY)
for i in range(50):
    nfd = os.open(("%02d" % i) + "d" * 97, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd); os.close(fd); fd = nfd
assert os.read(os.open("deep.json", os.O_RDONLY, dir_fd=fd), 100) == b'{"deep":0}'
PY
stop_sync
pass "a stage with a non-UTF-8 name, a 255-byte name and a deep file seeds them exactly; unchanged ones are not published"
