#!/usr/bin/env bash
# Scenario: a real user's home comes back exactly. As a new user would: a non-root user
# in the `docker` group, a home on a Mac-like layout (/Users/<name>) made by the real
# Claude Code CLI (tests/e2e/make-real-home.sh: MCP servers of every scope, sessions with
# Read/Write/Bash in a git-subfolder project, a dotted, a non-ASCII and a hashed-name
# project, hooks, a status line, permission rules with `//` and `~` paths), then
# `claude-host run` from ~/work/infra/modules/net with a real headless session, then:
#   1. inside, `claude mcp list` in the session's working directory shows every server
#      of every scope, each command a path that exists in the container;
#   2. the hooks and the status line ran inside (their trace lines say "container"), and
#      the permission rules allowed every scripted tool use (no denial);
#   3. the whole-home diff against a copy taken before (`find -printf` listings and
#      bytes) holds only what the session did: claude-host's own ~/.claude-docker*, the
#      session's log (the host's bytes a prefix of it), .claude.json's projects, the
#      files the session wrote; no mode, owner or mtime of anything else changed;
#   4. the host's `claude --resume` continues the container's session, and a second
#      `claude-host run` continues a host-made session (`--resume`), as do runs in the
#      dotted, the non-ASCII and the hashed-name project: each log grows in the host's
#      folder, with as many lines as the container's copy, and the host's bytes of every
#      log are a prefix of the log after;
#   5. nothing in the home is owned by another user;
#   6. a second `claude-host readback --run ID` of every run exits 0 and changes nothing
#      (claude-host's lock, its activity logs and the run record's read-back stamp aside).
# Needs root (it creates the user, removed at exit); the user runs everything else.
# Every check runs and every failure is listed at the end. CLAUDE_E2E_KEEP=DIR keeps a
# copy of the home and the outputs there.
source "$(dirname "$0")/lib.sh" "$@"
[ "$(id -u)" = 0 ] || fail "run it as root: it creates a throw-away user (useradd) and runs as that user"
e2e_require_binaries
e2e_ensure_engine
e2e_ensure_image
getent group docker >/dev/null || fail "there is no docker group: the user must reach the engine through it"

# --- the user and their home ------------------------------------------------------------
RH_USER=al$((RANDOM % 9000 + 1000))
RH_USERS_MADE=0
if [ ! -d /Users ]; then mkdir -m 0755 /Users; RH_USERS_MADE=1; fi
RH_HOME=/Users/$RH_USER
rh_cleanup() {
  local rc=$?
  set +e
  trap - EXIT
  if [ -n "${CLAUDE_E2E_KEEP:-}" ]; then  # a folder to keep the home and outputs in, to debug
    mkdir -p "$CLAUDE_E2E_KEEP" && cp -a "$RH_HOME" "$RH_OUT" "$CLAUDE_E2E_KEEP/" &&
      e2e_log "kept the home and the outputs in $CLAUDE_E2E_KEEP"
  fi
  userdel "$RH_USER" >/dev/null 2>&1
  rm -rf "$RH_HOME"
  [ "$RH_USERS_MADE" = 1 ] && rmdir /Users
  (exit $rc)
  e2e_cleanup
}
trap rh_cleanup EXIT
useradd --no-create-home --home-dir "$RH_HOME" --shell /bin/bash "$RH_USER" || fail "useradd $RH_USER failed"
usermod -aG docker "$RH_USER"
mkdir -m 0750 "$RH_HOME"
chown "$RH_USER:$RH_USER" "$RH_HOME"
RH_UID=$(id -u "$RH_USER")
RH_OUT=$E2E_WORK/out  # the user's files outside the home: API logs, outputs
mkdir -m 0755 "$RH_OUT" "$E2E_WORK/bin"
chown "$RH_USER:" "$RH_OUT"
# The host's CLI is the image's, so that both sides run the same version.
cid=$(docker create "$E2E_IMAGE" true)
docker cp "$cid:/usr/local/bin/claude" "$E2E_WORK/bin/claude" >/dev/null
docker rm "$cid" >/dev/null
chmod 0755 "$E2E_WORK/bin/claude"

# as_user CMD...: CMD as the user, in a clean login-like environment.
as_user() {
  runuser -u "$RH_USER" -- env -i HOME="$RH_HOME" USER="$RH_USER" LOGNAME="$RH_USER" LANG=C.UTF-8 \
    PATH=/usr/local/bin:/usr/bin:/bin "$@"
}
as_user "$E2E_LIB_DIR/make-real-home.sh" "$RH_HOME" "$E2E_WORK/bin/claude" "$FAKE_API" "$RH_OUT" ||
  fail "make-real-home.sh could not build the home"
source "$RH_OUT/layout.sh"
RH_HOST_SESSION=${RH_SESSIONS[0]}  # made on the host in $RH_NET
RH_C1=c0c0c0c0-0000-4000-8000-00000000c001  # the container's session
e2e_log "home $RH_HOME of $RH_USER (uid $RH_UID), project $RH_NET"

# listing DIR > FILE: one line per entry (relative path, type, mode, size, mtime, owner,
# group, symlink target), sorted; DIR itself is ".".
listing() {
  (cd "$1" && find . -printf '%p\t%y\t%m\t%s\t%T@\t%u\t%g\t%l\n' | LC_ALL=C sort)
}

# What run_in_container's E2E_AFTER does inside, after the session, in its working
# directory: what the session saw, a line added to the user's CLAUDE.md, the status line
# as the CLI runs it (`sh -c` on
# the configured command, the session's JSON on stdin), and its session logs as the
# container has them; outputs in /opt/e2e/out/NAME.*.
cat >"$RH_OUT/after.sh" <<'SH'
out=/opt/e2e/out/$1
{ echo "pwd=$PWD"; echo "uid=$(id -u)"; echo "config=$CLAUDE_CONFIG_DIR"; } >"$out.env"
claude mcp list >"$out.mcp-list" 2>&1
for name in docs memory lint sim; do
  line=$(grep "^$name: " "$out.mcp-list" | head -n 1)
  cmd=${line#"$name: "}; cmd=${cmd%% *}
  if [ -z "$line" ]; then echo "$name absent"
  elif command -v "$cmd" >/dev/null 2>&1; then echo "$name found $cmd"
  else echo "$name missing $cmd"; fi
done >"$out.mcp-commands"
sl=$(tr -d '\n' <"${CLAUDE_CONFIG_DIR:-$HOME/.claude}/settings.json" | grep -o '"statusLine": *{[^}]*}' | sed -n 's/.*"command": *"\([^"]*\)".*/\1/p')
echo "$sl" >"$out.statusline-command"
printf '{"session_id":"x","cwd":"%s","workspace":{"current_dir":"%s","project_dir":"%s"}}' "$PWD" "$PWD" "$PWD" |
  sh -c "$sl" >"$out.statusline-out" 2>&1
echo "rc=$?" >>"$out.statusline-out"
cp -a "${CLAUDE_CONFIG_DIR:-$HOME/.claude}/projects" "$out.projects"
cp "${CLAUDE_CONFIG_DIR:-$HOME/.claude}/settings.json" "$out.settings.json"
# What a session does to the user's memory file: every run adds a line (so a later run's
# version is newer than an earlier run's: reading the earlier one back again must not
# bring its version back, nor call it a conflict).
printf -- '- remembered in %s\n' "$1" >>"${CLAUDE_CONFIG_DIR:-$HOME/.claude}/CLAUDE.md"
SH

# run_in_container NAME DIR CLAUDE_ARGS...: `claude-host run` from DIR as the user, the
# stand-in scripted with the Read/Write/Bash tool uses; output in $RH_OUT/NAME.*.
run_in_container() {
  local name=$1 dir=$2 opts=() args a
  shift 2
  mapfile -t args < <(e2e_docker_args)
  # The make-real-home script's tool uses, writing a file of this run's own (Write refuses
  # to overwrite a file the session has not read).
  sed "s/notes\.md/notes-$name.md/g" "$RH_TOOLS" >"$RH_OUT/$name.tools.json"
  args+=(-v "$RH_OUT:/opt/e2e/out" -e "FAKE_API_SCRIPT=/opt/e2e/out/$name.tools.json"
         -e "E2E_API_LOG=/opt/e2e/out/$name.api.jsonl" -e "E2E_AFTER=sh /opt/e2e/out/after.sh $name")
  for a in "${args[@]}"; do opts+=(--docker-arg "$a"); done
  (cd "$dir" && as_user "$CLAUDE_HOST" run --image "$E2E_IMAGE" "${opts[@]}" -- "$@" --output-format json) \
    >"$RH_OUT/$name.out" 2>"$RH_OUT/$name.err"
}

# host_claude NAME CLAUDE_ARGS...: the host's CLI as the user in $RH_NET, against a
# stand-in with no script (a text answer); output in $RH_OUT/NAME.*.
host_claude() {
  local name=$1
  shift
  (cd "$RH_NET" && as_user bash -c '
    out=$1 api=$2 claude=$3; shift 3
    "$api" --port-file "$out.port" --log "$out.api.jsonl" >/dev/null 2>&1 </dev/null & pid=$!
    for _ in $(seq 200); do [ -s "$out.port" ] && break; sleep 0.05; done
    ANTHROPIC_BASE_URL=http://127.0.0.1:$(cat "$out.port") ANTHROPIC_API_KEY=sk-ant-stand-in-not-a-secret \
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 DISABLE_TELEMETRY=1 "$claude" "$@" --output-format json >"$out.out" 2>"$out.err"
    rc=$?; kill $pid; exit $rc' host "$RH_OUT/$name" "$FAKE_API" "$E2E_WORK/bin/claude" "$@")
}

# rules NAME: the container's permission rules in run NAME, and its working directory.
rules() {
  python3 - "$RH_OUT/$1.settings.json" "$RH_OUT/$1.env" <<'PY' 2>/dev/null || echo "(no settings.json from inside)"
import json, sys
p = json.load(open(sys.argv[1], encoding="utf-8")).get("permissions", {})
cwd = [l[4:].strip() for l in open(sys.argv[2]) if l.startswith("pwd=")]
print(f"inside, in {cwd[0] if cwd else '?'}, the rules were allow={p.get('allow')} additionalDirectories={p.get('additionalDirectories')}")
PY
}

# check_session NAME SESSION_ID TOOLS MIN_MESSAGES: NAME's `-p --output-format json`
# result is a success of SESSION_ID, TOOLS (yes/no) says whether the scripted tools ran,
# and the first request held at least MIN_MESSAGES messages (a resumed conversation).
check_session() {
  python3 - "$RH_OUT/$1.out" "$RH_OUT/$1.api.jsonl" "$2" "$3" "$4" <<'PY'
import json, sys
out, api, sid, tools, min_messages = sys.argv[1:4] + [sys.argv[4] == "yes", int(sys.argv[5])]
text = open(out).read().strip().splitlines()
res = json.loads(text[-1]) if text else None
assert res and res.get("type") == "result", f"no result line from claude -p: {open(out).read()[-1500:]}"
assert not res.get("is_error"), f"the session failed: {res}"
assert res.get("session_id") == sid, f"session {res.get('session_id')}, not {sid}"
calls = [json.loads(l) for l in open(api)]
msgs = [c for c in calls if c.get("path") == "/v1/messages"]
assert msgs, "the stand-in API got no /v1/messages request"
replies = [c.get("reply") for c in msgs]
if tools:
    for t in ("tool_use Read", "tool_use Write", "tool_use Bash"):
        assert t in replies, f"the session never got to {t} (replies {replies})"
errors = [c["tool-error"] for c in msgs if c.get("tool-error")]
assert not errors, f"scripted tool uses failed: {errors}"
first = max(int(c.get("messages", 0)) for c in msgs if c.get("messages"))
assert first >= min_messages, f"the conversation sent held {first} messages, fewer than {min_messages}: the earlier session was not loaded"
assert not res.get("permission_denials"), f"the permission rules denied tool uses: {res['permission_denials']}"
print(f"session {sid}: ok, {len(msgs)} requests, up to {first} messages")
PY
}

# hook_errors EVENT: what the container's session log says about EVENT's failed hooks.
hook_errors() {
  python3 - "$RH_HOME/.claude/projects/$(e2e_encode_path "$RH_NET")/$RH_C1.jsonl" "$1" <<'PY' 2>/dev/null || echo "(no session log)"
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    a = json.loads(line).get("attachment") or {}
    if a.get("hookEvent") == sys.argv[2] and "error" in a.get("type", ""):
        print(a.get("stderr", a.get("type"))[:200]); break
else:
    print("no hook error recorded")
PY
}

# --- 1: claude-host run with a real session ---------------------------------------------
cp -a "$RH_HOME" "$E2E_WORK/before"
listing "$RH_HOME" >"$E2E_WORK/before.list"
e2e_log "claude-host run in $RH_NET (container session $RH_C1)"
set +e
run_in_container run1 "$RH_NET" -p "look around, take notes, say where you are" --session-id "$RH_C1"
rc=$?
set -e
[ $rc -eq 0 ] || fail "claude-host run exited $rc:\n$(tail -n 30 "$RH_OUT/run1.err" "$RH_OUT/run1.out")"
listing "$RH_HOME" >"$E2E_WORK/after1.list"
failures=()
record() { failures+=("$*"); printf '[%s] CHECK FAILED: %b\n' "$E2E_NAME" "$*" >&2; }

msg=$(check_session run1 "$RH_C1" yes 1 2>&1) || record "the container's session: ${msg##*Error: }; $(rules run1)"

# 1. every MCP server of every scope, with container paths that exist inside.
if [ -s "$RH_OUT/run1.mcp-commands" ]; then
  bad=$(grep -v ' found ' "$RH_OUT/run1.mcp-commands" || true)
  [ -z "$bad" ] || record "inside, \`claude mcp list\` in $(sed -n 's/^pwd=//p' "$RH_OUT/run1.env") did not show every server with a command that exists there:\n$bad\n--- claude mcp list:\n$(cat "$RH_OUT/run1.mcp-list")"
  ! grep -q "$RH_HOME" "$RH_OUT/run1.mcp-list" ||
    record "inside, \`claude mcp list\` shows host paths (not mapped to the container):\n$(grep "$RH_HOME" "$RH_OUT/run1.mcp-list")"
else
  record "the look inside the container after the session did not run (no $RH_OUT/run1.mcp-commands)"
fi

# 2. hooks and the status line ran inside; the trace lines are the container's.
trace=$RH_NET/.claude-trace
for what in SessionStart PostToolUse Stop; do
  grep -q "^hook $what uid=[0-9]* container" "$trace" 2>/dev/null ||
    record "the $what hook did not run inside the container (no such line in $trace); the session log says: $(hook_errors "$what")"
done
grep -q "^statusline uid=[0-9]* container" "$trace" 2>/dev/null ||
  record "the status line command did not run inside the container: the command in the container's settings.json is '$(cat "$RH_OUT/run1.statusline-command" 2>/dev/null)', run as the CLI does it printed: $(cat "$RH_OUT/run1.statusline-out" 2>/dev/null | tr '\n' ' ')"
grep -q "notes written by a session in /" "$RH_NET/notes-run1.md" 2>/dev/null ||
  record "the container's Write tool use did not write $RH_NET/notes-run1.md"
grep -q "bash ran in /" "$RH_NET/bash-notes-run1.md" 2>/dev/null ||
  record "the container's Bash tool use did not write $RH_NET/bash-notes-run1.md"

# The ~ rule and folder under ~/work/infra (mounted at /workspace/infra) named the mount inside.
for want in '"Edit(//workspace/infra/**)"' '"/workspace/infra/docs"'; do
  grep -qF "$want" "$RH_OUT/run1.settings.json" 2>/dev/null ||
    record "inside, settings.json lacked $want; $(rules run1)"
done

# 3. the whole-home diff holds only what the session did.
net_key=$(e2e_encode_path "$RH_NET")
python3 - "$RH_HOME" "$E2E_WORK/before" "$E2E_WORK/before.list" "$E2E_WORK/after1.list" "$RH_C1" \
  "work/infra/modules/net/notes-run1.md" "work/infra/modules/net/bash-notes-run1.md" "work/infra/modules/net/.claude-trace" \
  "work/infra/.git/index" ".claude/CLAUDE.md" <<'PY' >&2 || record "the home differs from the copy taken before the run beyond what the session did (above)"
import json, os, sys
home, before_dir, before_list, after_list, session = sys.argv[1:6]
written = set(sys.argv[6:])  # files the run wrote (project, CLAUDE.md); git's stat cache (the CLI runs git status)
def load(p):
    out = {}
    for line in open(p, encoding="utf-8", errors="surrogateescape"):
        f = line.rstrip("\n").split("\t")
        out[f[0][2:] if f[0].startswith("./") else ""] = f[1:]
    return out
before, after = load(before_list), load(after_list)
# .claude.json: keys the CLI changes in a session (per project, and its counters).
JSON_KEYS = {"projects", "numStartups", "promptQueueUseCount", "tipsHistory", "memoryUsageCount"}
def allowed(rel):
    parts = rel.split("/")
    if parts[0].startswith(".claude-docker"):
        return "claude-host's own"
    if parts[0] == ".claude" and any(p == session or p.startswith(session + ".") or p.startswith(session + "-") for p in parts):
        return "the session's"
    if rel in (".claude/history.jsonl", ".claude.json"):
        return "appended or merged"
    if rel in written:
        return "written by the session"
    return None
changed = set()
problems = []
for rel in sorted(set(before) | set(after)):
    b, a = before.get(rel), after.get(rel)
    if b == a and (a is None or a[0] != "f" or open(os.path.join(home, rel), "rb").read() == open(os.path.join(before_dir, rel), "rb").read()):
        continue
    changed.add(rel)
why = {rel: allowed(rel) for rel in changed}
# A folder's mtime and size change with its entries: allowed when something allowed
# changed inside it; its type, mode and owner never.
for rel in sorted(changed):
    b, a = before.get(rel), after.get(rel)
    if why[rel]:
        continue
    if b and a and b[0] == a[0] == "d" and (b[1], b[4], b[5], b[6]) == (a[1], a[4], a[5], a[6]):
        inside = [c for c in changed if why[c] and (rel == "" or c.startswith(rel + "/"))]
        if inside:
            continue
    problems.append(f"  {rel or '.'}: {'absent' if b is None else ' '.join(b)}  ->  {'absent' if a is None else ' '.join(a)}")
# Logs: the host's bytes are a prefix of the log after.
for rel in changed:
    if rel.endswith(".jsonl") and rel in before and rel in after and before[rel][0] == "f":
        old = open(os.path.join(before_dir, rel), "rb").read()
        new = open(os.path.join(home, rel), "rb").read()
        if not new.startswith(old):
            problems.append(f"  {rel}: the host's {len(old)} bytes are not a prefix of the {len(new)} bytes after")
# .claude.json: only the projects and the counters changed; its mode and owner kept.
if ".claude.json" in changed:
    b, a = before[".claude.json"], after.get(".claude.json")
    if not a or (b[0], b[1], b[4], b[5]) != (a[0], a[1], a[4], a[5]):
        problems.append(f"  .claude.json: {' '.join(b)} -> {a and ' '.join(a)}")
    else:
        old = json.load(open(os.path.join(before_dir, ".claude.json")))
        new = json.load(open(os.path.join(home, ".claude.json")))
        for k in sorted(set(old) | set(new)):
            if old.get(k) != new.get(k) and k not in JSON_KEYS:
                problems.append(f"  .claude.json: top-level {k!r} changed: {json.dumps(old.get(k))[:200]} -> {json.dumps(new.get(k))[:200]}")
        for p in sorted(set(old.get("projects", {})) - set(new.get("projects", {}))):
            problems.append(f"  .claude.json: projects[{p!r}] was lost")
        text = json.dumps(new)
        for leak in ("/workspace", "/root/"):
            if leak in text:
                problems.append(f"  .claude.json: holds the container path {leak!r}")
if problems:
    print("home differences not made by the session (before  ->  after; type mode size mtime user group link):")
    print("\n".join(problems))
    sys.exit(1)
print(f"home diff: {len(changed)} paths changed, each the session's or claude-host's own")
PY

# The container's session log on the host: its records' paths are host paths.
c1_log=$RH_HOME/.claude/projects/$net_key/$RH_C1.jsonl
if [ -f "$c1_log" ]; then
  python3 - "$c1_log" "$RH_NET" <<'PY' >&2 || record "the container's session log on the host holds container paths (above)"
import json, sys
bad = []
for i, line in enumerate(open(sys.argv[1], encoding="utf-8")):
    r = json.loads(line)
    if "cwd" in r and r["cwd"] != sys.argv[2]:
        bad.append(f"line {i+1}: cwd {r['cwd']!r}")
    for block in (r.get("message") or {}).get("content") or []:
        if isinstance(block, dict) and block.get("type") == "tool_use":
            fp = block.get("input", {}).get("file_path")
            if fp and not fp.startswith(sys.argv[2] + "/"):
                bad.append(f"line {i+1}: {block['name']} file_path {fp!r}")
if bad:
    print("\n".join(bad[:20]))
    sys.exit(1)
PY
else
  record "the container's session log is not at $c1_log (projects/: $(ls "$RH_HOME/.claude/projects" | tr '\n' ' '))"
fi

# same_lines NAME SESSION [DIR]: the host's log of SESSION (of the project DIR, default
# $RH_NET) has as many lines as the container's log of it at the end of run NAME
# (read-back appends every line, repeated ones too).
same_lines() {
  local theirs ours
  ours=$RH_HOME/.claude/projects/$(e2e_encode_path "${3:-$RH_NET}")/$2.jsonl
  theirs=$(find "$RH_OUT/$1.projects" -name "$2.jsonl" 2>/dev/null | head -n 1)
  if [ ! -f "$ours" ]; then
    record "run $1: the host has no log of $2 at $ours"
  elif [ -z "$theirs" ]; then
    record "run $1: the container had no log of $2 (in $RH_OUT/$1.projects)"
  elif [ "$(wc -l <"$ours")" != "$(wc -l <"$theirs")" ]; then
    record "run $1: the host's log of $2 has $(wc -l <"$ours") lines, the container's $(wc -l <"$theirs") ($(sort "$theirs" | uniq -d | wc -l) lines repeated in the container's)"
  fi
}
[ -f "$c1_log" ] && same_lines run1 "$RH_C1"

# --- 4: sessions continue across the host and the container ------------------------------
e2e_log "host claude --resume $RH_C1 (the container's session)"
cp -a "$c1_log" "$E2E_WORK/c1.before" 2>/dev/null || true
if host_claude resume-c1 --resume "$RH_C1" -p "what did you find?"; then
  msg=$(check_session resume-c1 "$RH_C1" no 5 2>&1) || record "the host's claude --resume of the container's session: ${msg##*Error: }"
  [ -f "$E2E_WORK/c1.before" ] && ! cmp -s <(head -c "$(stat -c %s "$E2E_WORK/c1.before")" "$c1_log") "$E2E_WORK/c1.before" &&
    record "the host's resume rewrote the container's session log instead of appending"
else
  record "the host's claude --resume $RH_C1 failed: $(tail -n 5 "$RH_OUT/resume-c1.err" "$RH_OUT/resume-c1.out")"
fi

e2e_log "claude-host run --resume $RH_HOST_SESSION (a host-made session)"
host_log=$RH_HOME/.claude/projects/$net_key/$RH_HOST_SESSION.jsonl
cp -a "$RH_HOME" "$E2E_WORK/before2"
listing "$RH_HOME" >"$E2E_WORK/before2.list"
set +e
run_in_container run2 "$RH_NET" --resume "$RH_HOST_SESSION" -p "take more notes"
rc=$?
set -e
if [ $rc -ne 0 ]; then
  record "claude-host run --resume $RH_HOST_SESSION exited $rc: $(tail -n 20 "$RH_OUT/run2.err" "$RH_OUT/run2.out")"
else
  msg=$(check_session run2 "$RH_HOST_SESSION" yes 5 2>&1) || record "the container's session resuming the host's $RH_HOST_SESSION: ${msg##*Error: }; $(rules run2)"
  old=$E2E_WORK/before2/.claude/projects/$net_key/$RH_HOST_SESSION.jsonl
  [ "$(stat -c %s "$host_log")" -gt "$(stat -c %s "$old")" ] ||
    record "the host's log of $RH_HOST_SESSION did not grow with the container's turn"
  same_lines run2 "$RH_HOST_SESSION"
fi
listing "$RH_HOME" >"$E2E_WORK/after2.list"
python3 - "$RH_HOME" "$E2E_WORK/before2" <<'PY' >&2 || record "a log in the home lost bytes it had before the second run (above)"
import os, sys
home, before = sys.argv[1:3]
bad = []
for root, dirs, files in os.walk(before):
    for f in files:
        if f.endswith(".jsonl"):
            rel = os.path.relpath(os.path.join(root, f), before)
            new = os.path.join(home, rel)
            old = open(os.path.join(root, f), "rb").read()
            if not os.path.exists(new):
                bad.append(f"{rel}: gone")
            elif not open(new, "rb").read().startswith(old):
                bad.append(f"{rel}: the {len(old)} bytes before are not a prefix of the log after")
print("\n".join(bad)); sys.exit(1 if bad else 0)
PY

# The dotted, the non-ASCII and the hashed-name project: a run in each continues its
# host-made session; the log grows in the host's folder for the project (for the long
# name, a hash of the host path, not of the container's).
projects=("$RH_NET" "$RH_DOTTED" "$RH_UNICODE" "$RH_LONG")  # in RH_SESSIONS' order
for i in 1 2 3; do
  dir=${projects[$i]}
  sid=${RH_SESSIONS[$i]}
  log=$RH_HOME/.claude/projects/$(e2e_encode_path "$dir")/$sid.jsonl
  size=$(stat -c %s "$log")
  e2e_log "claude-host run --resume $sid in $(basename "$dir" | cut -c1-40)"
  if ! run_in_container "p$i" "$dir" --resume "$sid" -p "take more notes"; then
    record "claude-host run in $dir exited non-zero: $(tail -n 10 "$RH_OUT/p$i.err" "$RH_OUT/p$i.out")"
    continue
  fi
  msg=$(check_session "p$i" "$sid" yes 5 2>&1) || record "the container's session in $dir resuming $sid: ${msg##*Error: }; $(rules "p$i")"
  [ -f "$log" ] && [ "$(stat -c %s "$log")" -gt "$size" ] ||
    record "the host's log $log did not grow with the container's turn (projects/: $(ls "$RH_HOME/.claude/projects" | tr '\n' ' '))"
  same_lines "p$i" "$sid" "$dir"
done
leaked=$(find "$RH_HOME/.claude/projects" -mindepth 1 -maxdepth 1 -name '-workspace*')
[ -z "$leaked" ] || record "container-encoded project folders reached the host: $leaked"

# Every run's line in CLAUDE.md came back, in order.
want=$(echo "Keep answers short."; printf -- '- remembered in %s\n' run1 run2 p1 p2 p3)
[ "$(cat "$RH_HOME/.claude/CLAUDE.md")" = "$want" ] ||
  record "$RH_HOME/.claude/CLAUDE.md is not the host's line and each run's line in order:\n$(cat "$RH_HOME/.claude/CLAUDE.md")"

# --- 5: everything in the home is the user's --------------------------------------------
others=$(find "$RH_HOME" ! -user "$RH_USER" -printf '%u:%g %m %p\n' | head -n 20)
[ -z "$others" ] || record "files in the home not owned by $RH_USER (the first 20):\n$others"

# --- 6: reading a run back again changes nothing -----------------------------------------
mapfile -t runs < <(ls -1 "$RH_HOME/.claude-docker/runs" 2>/dev/null | sort)
[ ${#runs[@]} -ge 5 ] || record "expected five runs under ~/.claude-docker/runs, found ${#runs[@]}"
# What may move: claude-host's lock, its activity logs (events, metrics), and in the run's
# own record (runs/ID/state.json, and so its folder's mtime) the stamp of the last
# read-back ("last_readback", "updated_at"). Anything else is a change.
same_after_readback() {  # same_after_readback RUN BEFORE_LIST AFTER_LIST STATE_BEFORE
  python3 - "$RH_HOME" "$@" <<'PY'
import json, os, sys
home, run, before_list, after_list, state_before = sys.argv[1:6]
def load(p):
    out = {}
    for line in open(p, encoding="utf-8", errors="surrogateescape"):
        f = line.rstrip("\n").split("\t")
        out[f[0]] = f[1:]
    return out
b, a = load(before_list), load(after_list)
quiet = {"./.claude-docker/lock", "./.claude-docker-events.jsonl", "./.claude-docker-metrics.jsonl"}
run_dir, state = f"./.claude-docker/runs/{run}", f"./.claude-docker/runs/{run}/state.json"
problems = []
for path in sorted(set(b) | set(a)):
    x, y = b.get(path), a.get(path)
    if x == y or path in quiet:
        continue
    if path == run_dir and x and y and x[:3] + x[4:] == y[:3] + y[4:]:
        continue  # its mtime: state.json was replaced
    if path == state and x and y and (x[0], x[1], x[4], x[5]) == (y[0], y[1], y[4], y[5]):
        old = json.load(open(state_before))
        new = json.load(open(os.path.join(home, state[2:])))
        for j in (old, new):
            j.pop("last_readback", None); j.pop("updated_at", None)
        if old == new:
            continue
        keys = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
        problems.append(f"  {path}: changed beyond the read-back stamp: {keys}")
        continue
    problems.append(f"  {path}: {' '.join(x) if x else 'absent'}  ->  {' '.join(y) if y else 'absent'}")
print("\n".join(problems[:20]))
sys.exit(1 if problems else 0)
PY
}
for run in "${runs[@]}" "${runs[@]:0:1}"; do
  listing "$RH_HOME" >"$E2E_WORK/rb.before"
  cp "$RH_HOME/.claude-docker/runs/$run/state.json" "$E2E_WORK/rb.state.json" 2>/dev/null || echo '{}' >"$E2E_WORK/rb.state.json"
  rc=0
  (cd "$RH_NET" && as_user "$CLAUDE_HOST" readback --run "$run") >"$RH_OUT/readback-$run.out" 2>&1 || rc=$?
  [ $rc -eq 0 ] || record "a second claude-host readback --run $run exited $rc: $(tail -n 10 "$RH_OUT/readback-$run.out")"
  listing "$RH_HOME" >"$E2E_WORK/rb.after"
  d=$(same_after_readback "$run" "$E2E_WORK/rb.before" "$E2E_WORK/rb.after" "$E2E_WORK/rb.state.json") ||
    record "a second claude-host readback --run $run changed the home (before -> after):\n$d"
done

if [ ${#failures[@]} -gt 0 ]; then
  fail "${#failures[@]} check(s) failed:\n$(printf -- '- %s\n' "${failures[@]}" | cut -c1-700)"
fi
e2e_pass
