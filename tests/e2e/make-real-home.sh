#!/usr/bin/env bash
# Builds a realistic Claude Code home with the real CLI, as the user who owns it: what a
# person's home looks like after a few weeks of use, for tests/e2e/real_home_test.sh.
# Run it as that user (runuser -u NAME), never on a real home: it writes HOME's files.
#
#   make-real-home.sh HOME CLAUDE FAKE_API OUT
#     HOME      the (empty) home to fill, e.g. /Users/al
#     CLAUDE    the real CLI's native binary (npm package @anthropic-ai/claude-code)
#     FAKE_API  the stand-in Anthropic API (tests/helpers/fake_anthropic_api.cc)
#     OUT       a folder outside HOME for its own files: the stand-in's request logs,
#               the tool-use script, and layout.sh (written last, sourced by the test)
#
# What the CLI itself made (nothing of the CLI's own state is written by hand):
#   - `claude mcp add-json` in user scope (docs, a server in ~/work/infra, and memory, a
#     server in ~/.claude), local scope (lint, in the git-subfolder project, which the
#     CLI keys by the git root) and project scope (sim, in that project's .mcp.json);
#   - one headless session (`claude -p`) per project, each with scripted Read, Write and
#     Bash tool uses that the permission rules allow, and hooks that ran:
#       ~/work/infra/modules/net   a subfolder of a git repository (git init ~/work/infra)
#       ~/src/my.app               a dotted folder name
#       ~/src/<non-ASCII>          a folder name outside ASCII
#       ~/src/<long>               a path whose encoded folder name is cut and hashed
# What a user writes by hand: ~/.claude/settings.json (permission rules with absolute
# `//...` and `~` paths, one Edit rule per project, additionalDirectories, hooks, a
# status line), the hook
# and status line scripts, ~/.claude/CLAUDE.md, the projects' files.
#
# The hooks and the status line append one line each time they run to .claude-trace in
# the session's project (event, uid, "container" when /.dockerenv exists, else "host").
set -euo pipefail
[ $# -eq 4 ] || { echo "usage: $0 HOME CLAUDE FAKE_API OUT" >&2; exit 2; }
home=$1 claude=$2 api=$3 out=$4
die() { echo "make-real-home: $*" >&2; exit 1; }
[ -d "$home" ] && [ -O "$home" ] || die "$home is not a folder owned by $(id -un)"
[ -z "$(ls -A "$home")" ] || die "$home is not empty; it builds a home from nothing"
[ -x "$claude" ] || die "$claude is not the CLI binary"
[ -x "$api" ] || die "$api is not the stand-in API binary"
mkdir -p "$out"
USER=$(id -un)
export HOME=$home USER
for v in ${!ANTHROPIC_@} ${!CLAUDE_CODE_@}; do unset "$v"; done
unset CLAUDE_CONFIG_DIR
export ANTHROPIC_API_KEY=sk-ant-stand-in-not-a-secret
export CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 DISABLE_TELEMETRY=1 DISABLE_AUTOUPDATER=1

net=$home/work/infra/modules/net
dotted=$home/src/my.app
unicode=$home/src/café-Ünïcödé-项目
long=$home/src/a-project-whose-folder-name-is-long-enough-that-claude-code-cuts-its-encoded-name-at-two-hundred-characters-and-appends-a-hash-of-the-whole-path-so-that-the-session-folder-name-stays-short-enough
projects=("$net" "$dotted" "$unicode" "$long")

# --- what a user writes by hand ---------------------------------------------------------
mkdir -p "$home/.claude/hooks" "$home/.claude/mcp" "$home/work/infra/tools" "$home/work/infra/docs" \
  "$net/bin" "$dotted" "$unicode" "$long"
cat >"$home/.claude/hooks/trace.sh" <<'SH'
#!/bin/sh
# A hook: one line per run in the session's project, then nothing on stdout.
where=host; [ -d /run/claude/outbox ] && where=container
printf 'hook %s uid=%s %s cwd=%s\n' "$1" "$(id -u)" "$where" "$PWD" >>"${CLAUDE_PROJECT_DIR:-$PWD}/.claude-trace"
cat >/dev/null
SH
cat >"$home/.claude/statusline.sh" <<'SH'
#!/bin/sh
# The status line: reads the session's JSON on stdin, prints one line.
input=$(cat)
where=host; [ -d /run/claude/outbox ] && where=container
dir=$(printf '%s' "$input" | sed -n 's/.*"current_dir":"\([^"]*\)".*/\1/p')
printf 'statusline uid=%s %s cwd=%s\n' "$(id -u)" "$where" "$PWD" >>"${dir:-$PWD}/.claude-trace"
printf '%s | %s\n' "$where" "${dir:-$PWD}"
SH
chmod 0755 "$home/.claude/hooks/trace.sh" "$home/.claude/statusline.sh"
printf '#!/bin/sh\nexit 0\n' >"$home/.claude/mcp/memory-server"
printf '#!/bin/sh\nexit 0\n' >"$home/work/infra/tools/docs-server"
printf '#!/bin/sh\nexit 0\n' >"$net/bin/lint-server"
printf '#!/bin/sh\nexit 0\n' >"$net/bin/sim-server"
chmod 0755 "$home/.claude/mcp/memory-server" "$home/work/infra/tools/docs-server" "$net/bin/lint-server" "$net/bin/sim-server"
echo "Keep answers short." >"$home/.claude/CLAUDE.md"
echo "# infra docs" >"$home/work/infra/docs/index.md"
for p in "${projects[@]}"; do printf '# %s\n' "$(basename "$p")" >"$p/README.md"; done
python3 - "$home" "$dotted" "$unicode" "$long" <<'PY'
import json, sys
home, dotted, unicode, long = sys.argv[1:5]
rel = lambda p: p[len(home) + 1:]
settings = {
    "permissions": {
        "allow": [
            f"Read(/{home}/work/**)", f"Read(/{home}/src/**)",
            # Each project's edits: the git-subfolder project's as a ~ rule (claude-host
            # mounts ~/work/infra at /workspace/infra: inside it reads
            # Edit(//workspace/infra/**), outside it stays as written), the others in the
            # absolute // form.
            "Edit(~/work/infra/**)", f"Edit(/{dotted}/**)", f"Edit(/{unicode}/**)", f"Edit(/{long}/**)",
            "Bash(echo:*)", "Bash(pwd)",
        ],
        "deny": [f"Read(/{home}/.ssh/**)"],
        "additionalDirectories": ["~/work/infra/docs", "~/src"],
    },
    "hooks": {
        "SessionStart": [{"hooks": [{"type": "command", "command": f"{home}/.claude/hooks/trace.sh SessionStart"}]}],
        "PostToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": f"{home}/.claude/hooks/trace.sh PostToolUse"}]}],
        "Stop": [{"hooks": [{"type": "command", "command": "~/.claude/hooks/trace.sh Stop"}]}],
    },
    "statusLine": {"type": "command", "command": f"{home}/.claude/statusline.sh"},
    "enableAllProjectMcpServers": True,
    "includeCoAuthoredBy": False,
}
with open(f"{home}/.claude/settings.json", "w", encoding="utf-8") as f:
    json.dump(settings, f, indent=2, ensure_ascii=False)
    f.write("\n")
PY
git -C "$home/work/infra" init -q -b main
git -C "$home/work/infra" add -A
git -C "$home/work/infra" -c user.name=al -c user.email=al@example.com commit -qm "infra: first commit"

# --- what the CLI makes -----------------------------------------------------------------
(cd "$net" &&
  "$claude" mcp add-json -s user docs "{\"type\":\"stdio\",\"command\":\"$home/work/infra/tools/docs-server\",\"args\":[\"--root\",\"$home/work/infra/docs\"]}" &&
  "$claude" mcp add-json -s user memory "{\"type\":\"stdio\",\"command\":\"$home/.claude/mcp/memory-server\",\"args\":[\"--store\",\"$home/.claude/mcp\"]}" &&
  "$claude" mcp add-json -s local lint "{\"type\":\"stdio\",\"command\":\"$net/bin/lint-server\",\"args\":[\"--config\",\"$net/lint.toml\"]}" &&
  "$claude" mcp add-json -s project sim '{"type":"stdio","command":"sh","args":["bin/sim-server"]}') >"$out/mcp-add.out" 2>&1 ||
  die "claude mcp add-json failed: $(cat "$out/mcp-add.out")"
[ -f "$net/.mcp.json" ] || die "claude mcp add-json -s project wrote no $net/.mcp.json"

# The tool uses every session makes (the stand-in's --script; {cwd} is the session's
# working directory): Read, Write, then Bash, each allowed by a permission rule above.
cat >"$out/tools.json" <<'JSON'
[
  {"name": "Read", "input": {"file_path": "{cwd}/README.md"}},
  {"name": "Write", "input": {"file_path": "{cwd}/notes.md", "content": "notes written by a session in {cwd}\n"}},
  {"name": "Bash", "input": {"command": "echo bash ran in {cwd} > {cwd}/bash-notes.md", "description": "Note where it runs"}}
]
JSON

# session PROJECT SESSION_ID: one headless session in PROJECT, against the stand-in.
session() {
  local dir=$1 id=$2 port log=$out/api-$2.jsonl
  rm -f "$out/api.port"
  "$api" --port-file "$out/api.port" --log "$log" --script "$out/tools.json" --cwd "$dir" >/dev/null 2>&1 </dev/null &
  local pid=$!
  for _ in $(seq 200); do [ -s "$out/api.port" ] && break; sleep 0.05; done
  [ -s "$out/api.port" ] || die "the stand-in API did not start"
  port=$(cat "$out/api.port")
  (cd "$dir" && ANTHROPIC_BASE_URL=http://127.0.0.1:$port "$claude" -p "look around, take notes, say where you are" \
    --session-id "$id" --output-format json) >"$out/session-$id.json" 2>"$out/session-$id.err" ||
    { kill "$pid"; die "the session in $dir failed: $(cat "$out/session-$id.err" "$out/session-$id.json")"; }
  kill "$pid"; wait "$pid" 2>/dev/null || true
  python3 - "$out/session-$id.json" "$log" "$dir" <<'PY' || die "the session $id in $dir did not run its tools"
import json, sys
res = json.load(open(sys.argv[1]))
assert not res.get("is_error"), res
calls = [json.loads(l) for l in open(sys.argv[2])]
tools = [c.get("reply") for c in calls if c.get("path") == "/v1/messages"]
for t in ("tool_use Read", "tool_use Write", "tool_use Bash"):
    assert t in tools, f"the stand-in never answered {t}: {tools}"
PY
  grep -q "notes written by a session in $dir" "$dir/notes.md" || die "the Write tool use was not allowed in $dir"
  grep -q "bash ran in $dir" "$dir/bash-notes.md" || die "the Bash tool use was not allowed in $dir"
}
ids=(11111111-1111-4111-8111-000000000001 22222222-2222-4222-8222-000000000002
     33333333-3333-4333-8333-000000000003 44444444-4444-4444-8444-000000000004)
for i in "${!projects[@]}"; do session "${projects[$i]}" "${ids[$i]}"; done
grep -q "hook PostToolUse uid=$(id -u) host" "$net/.claude-trace" || die "the PostToolUse hook did not run in $net"

{
  printf 'RH_NET=%q\nRH_DOTTED=%q\nRH_UNICODE=%q\nRH_LONG=%q\n' "$net" "$dotted" "$unicode" "$long"
  printf 'RH_GIT_ROOT=%q\n' "$home/work/infra"
  printf 'RH_SESSIONS=(%s)\n' "${ids[*]}"
  printf 'RH_TOOLS=%q\n' "$out/tools.json"
} >"$out/layout.sh"
echo "make-real-home: $home made by Claude Code $("$claude" --version | cut -d' ' -f1): 4 MCP servers, ${#ids[@]} sessions" >&2
