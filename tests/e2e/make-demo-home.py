"""Fills a throw-away home with a realistic Claude Code state, for the end-to-end tests
and `make demo`. Never point it at a real home: it overwrites ~/.claude.json there.

usage: make-demo-home.py HOME PROJECT
  HOME/.claude.json        onboarding done, PROJECT trusted, the stand-in API's key
                           approved (its last 20 characters, as the CLI records it),
                           bypass-permissions mode accepted
  HOME/.claude/            settings.json (a permission rule with PROJECT's path),
                           CLAUDE.md, commands/hello.md, and an older session of PROJECT
                           under projects/<encoded PROJECT>/
  PROJECT/                 README.md and bin/mcp-server
"""
import json
import os
import stat
import sys

OLD_SESSION = "0ld5e55i-0000-4000-8000-000000000000"


def encode(path):
    """The folder name Claude Code uses under projects/ (DESIGN.md; short paths only)."""
    out = "".join(c if c.isascii() and c.isalnum() else "-" for c in path)
    if len(out) > 200:
        sys.exit("make-demo-home.py: keep the demo project path under 200 characters")
    return out


def main():
    home, project = (os.path.abspath(p) for p in sys.argv[1:3])
    if not project.startswith(home + "/"):
        sys.exit("make-demo-home.py: PROJECT must be inside HOME")
    key = encode(project)
    for d in (os.path.join(project, "bin"), os.path.join(home, ".claude", "commands"),
              os.path.join(home, ".claude", "projects", key)):
        os.makedirs(d, exist_ok=True)
    with open(os.path.join(project, "README.md"), "w") as f:
        f.write("# demo project\n")
    server = os.path.join(project, "bin", "mcp-server")
    with open(server, "w") as f:
        f.write("#!/bin/sh\necho demo mcp server\n")
    os.chmod(server, 0o755)
    claude_json = {
        "numStartups": 4,
        "installMethod": "native",
        "hasCompletedOnboarding": True,
        "lastOnboardingVersion": "2.1.0",
        "userID": "demo-user-0000",
        "customApiKeyResponses": {"approved": ["tand-in-not-a-secret"], "rejected": []},
        "bypassPermissionsModeAccepted": True,
        "projects": {
            project: {"allowedTools": [], "mcpServers": {}, "hasTrustDialogAccepted": True,
                      "projectOnboardingSeenCount": 1},
            os.path.join(home, "src", "other"): {"allowedTools": ["Bash(ls:*)"], "mcpServers": {}},
        },
    }
    with open(os.path.join(home, ".claude.json"), "w") as f:
        json.dump(claude_json, f, indent=2)
    settings = {"permissions": {"allow": ["Read(" + project + "/**)"]}, "includeCoAuthoredBy": False}
    with open(os.path.join(home, ".claude", "settings.json"), "w") as f:
        json.dump(settings, f, indent=2)
    with open(os.path.join(home, ".claude", "CLAUDE.md"), "w") as f:
        f.write("Be brief.\n")
    with open(os.path.join(home, ".claude", "commands", "hello.md"), "w") as f:
        f.write("Say hello.\n")
    record = {"type": "user", "cwd": project, "sessionId": OLD_SESSION,
              "message": {"role": "user", "content": "an older question"}, "uuid": "u-old-1",
              "timestamp": "2026-11-01T10:00:00.000Z", "version": "2.1.0"}
    with open(os.path.join(home, ".claude", "projects", key, OLD_SESSION + ".jsonl"), "w") as f:
        f.write(json.dumps(record, separators=(",", ":")) + "\n")
    os.chmod(os.path.join(home, ".claude.json"), stat.S_IRUSR | stat.S_IWUSR)
    print(key)


if __name__ == "__main__":
    main()
