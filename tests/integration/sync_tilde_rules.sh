#!/usr/bin/env bash
# A "~" rule naming a folder that is mounted outside the container's home
# (`Edit(~/work/infra/**)` with ~/work/infra at /workspace/infra): inside it names the
# mount (`Edit(//workspace/infra/**)`, hooks and additionalDirectories absolute), and what
# the container writes back keeps the host's own spelling, byte for byte — also after a
# restart that keeps the live dir. A rule the container adds names the host folder.
source "$(dirname "$0")/sync_common.bash"
STAGE=$WORK/stage

rm -rf "$STAGE"; mkdir -p "$STAGE/tree"
cat >"$STAGE/tree/settings.json" <<'J'
{
  "permissions": {
    "allow": ["Edit(~/work/infra/**)", "Read(~/notes/**)", "Bash(~/work/infra/bin/plan.sh:*)"],
    "additionalDirectories": ["~/work/infra/docs"]
  },
  "hooks": {"Stop": [{"hooks": [{"type": "command", "command": "~/work/infra/hooks/stop.sh ~/.claude/log"}]}]},
  "theme": "dark"
}
J
printf '{"permissions":{"allow":["Write(~/work/infra/out/**)"]}}\n' >"$STAGE/tree/settings.local.json"
python3 - "$STAGE" <<'PY'
import hashlib, json, os, sys
stage = sys.argv[1]; root = os.path.join(stage, "tree"); files = []
for n in sorted(os.listdir(root)):
    b = open(os.path.join(root, n), "rb").read()
    files.append({"path": n, "size": len(b), "sha256": hashlib.sha256(b).hexdigest(), "mode": 0o644})
json.dump({"format": "claude-stage/1", "run_id": "run-7", "trace_id": "trace-7", "created_at": "2026-12-06T00:00:00Z",
           "mapping": [{"host": "/Users/al/work/infra", "container": "/workspace/infra"},
                       {"host": "/Users/al/.claude", "container": "/root/.claude-config", "role": "config"},
                       {"host": "/Users/al", "container": "/root", "role": "home"}],
           "files": files, "symlinks": []}, open(os.path.join(stage, "manifest.json"), "w"))
PY

rm -rf "$LIVE"
start_sync
# (The test's live dir is not under the container's home, so ~/.claude is written absolute too.)
for want in '"Edit(//workspace/infra/**)"' '"Read(~/notes/**)"' '"Bash(/workspace/infra/bin/plan.sh:*)"' \
            '"/workspace/infra/docs"' "\"/workspace/infra/hooks/stop.sh $LIVE/log\""; do
  grep -qF "$want" "$LIVE/settings.json" || fail "the live settings.json lacks $want: $(cat "$LIVE/settings.json")"
done
grep -qF '"Write(//workspace/infra/out/**)"' "$LIVE/settings.local.json" || fail "settings.local.json not mapped: $(cat "$LIVE/settings.local.json")"
pass "inside, ~ rules, hooks and folders under ~/work/infra name /workspace/infra (// in file rules)"

# The CLI rewrites the file (a setting changed): every old string comes back as the host wrote it.
sed -i 's/"theme": "dark"/"theme": "light"/' "$LIVE/settings.json"
barrier
sed 's/"theme": "dark"/"theme": "light"/' "$STAGE/tree/settings.json" | cmp - "$OUTBOX/tree/settings.json" ||
  fail "settings.json did not come back in the host's spelling: $(cat "$OUTBOX/tree/settings.json")"
pass "a rewritten settings.json comes back byte for byte apart from the change (~ kept)"

# It adds a rule of its own: that one names the host folder absolute; the old one keeps "~".
printf '{"permissions":{"allow":["Write(//workspace/infra/out/**)","Edit(//workspace/infra/new/**)"]}}\n' >"$LIVE/settings.local.json"
barrier
want='{"permissions":{"allow":["Write(~/work/infra/out/**)","Edit(//Users/al/work/infra/new/**)"]}}'
[ "$(cat "$OUTBOX/tree/settings.local.json")" = "$want" ] ||
  fail "settings.local.json came back as $(cat "$OUTBOX/tree/settings.local.json"), not $want"
pass "a rule the container adds names the host folder; the staged one keeps its ~"
stop_sync

# A restart keeps the live dir and still learns the host's spellings from the stage.
start_sync
sed -i 's/"theme": "light"/"theme": "auto"/' "$LIVE/settings.json"
barrier
sed 's/"theme": "dark"/"theme": "auto"/' "$STAGE/tree/settings.json" | cmp - "$OUTBOX/tree/settings.json" ||
  fail "after a restart settings.json came back as $(cat "$OUTBOX/tree/settings.json")"
"$CHECK" "$OUTBOX" >/dev/null || fail "outbox does not match its journal"
stop_sync
pass "after a restart (live dir kept) the host's spelling still comes back"
