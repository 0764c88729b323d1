#!/usr/bin/env bash
# The macOS Keychain path, with a `security` program first on PATH that behaves like
# macOS's: credentials are staged from the Keychain item (service "Claude Code-credentials",
# plus "-<8 hex of sha256(CLAUDE_CONFIG_DIR)>" when that is set; account $USER), refreshed
# credentials go back into the Keychain, and the token never reaches a command line, an
# output or a log. Also the credential broker with the Keychain as the host store.
source "$(dirname "$0")/../helpers/host_test_lib.sh" "$1"

BIN="$TEST_ROOT/bin"; mkdir -p "$BIN"
ln -s "$HELPERS/host_fake_security.sh" "$BIN/security"
export PATH="$BIN:$PATH"
export FAKE_KEYCHAIN_DIR="$TEST_ROOT/keychain"
PROJ="$TEST_ROOT/proj"; mkdir -p "$PROJ"; cd "$PROJ"
make_claude_home "$PROJ" > /dev/null
rm "$HOME/.claude/.credentials.json"   # on macOS there is no file
EXP=$(( ($(date +%s) + 3600) * 1000 ))
CREDS="{\"claudeAiOauth\":{\"accessToken\":\"sk-ant-oat01-KEYCHAINSECRET\",\"refreshToken\":\"sk-ant-ort01-KCREFRESH\",\"expiresAt\":$EXP}}"
printf 'add-generic-password -U -a "tester" -s "Claude Code-credentials" -X %s\n' "$(printf '%s' "$CREDS" | xxd -p | tr -d '\n')" | security -i

# --keychain: staged from the item.
"$CLAUDE_HOST" --keychain stage --json > "$TEST_ROOT/stage.json" 2> "$TEST_ROOT/stage.err" || fail "stage: $(cat "$TEST_ROOT/stage.err")"
RUN=$(json_get "$TEST_ROOT/stage.json" '["run_id"]')
STAGED="$HOME/.claude-docker/runs/$RUN/stage/tree/.credentials.json"
[ "$(cat "$STAGED")" = "$CREDS" ] || fail "staged credentials differ from the Keychain item"
[ "$(stat -c %a "$STAGED")" = 600 ] || fail "staged credentials not 0600"
grep -q -- "find-generic-password -s Claude Code-credentials -a tester -w" "$FAKE_KEYCHAIN_DIR/calls.log" || fail "security not asked as expected: $(cat "$FAKE_KEYCHAIN_DIR/calls.log")"
pass "credentials staged from the Keychain"

# The container refreshes the token; read-back puts it back into the Keychain.
NEW="{\"claudeAiOauth\":{\"accessToken\":\"sk-ant-oat01-REFRESHEDSECRET\",\"refreshToken\":\"sk-ant-ort01-ROTATED\",\"expiresAt\":$((EXP + 7200000))}}"
O="$HOME/.claude-docker/runs/$RUN/outbox"
python3 "$OUTBOX_WRITER" "$O" begin "$RUN" t
python3 "$OUTBOX_WRITER" "$O" put-text .credentials.json "$NEW" 600
CLAUDE_HOST_KEYCHAIN=1 "$CLAUDE_HOST" readback --run "$RUN" > "$TEST_ROOT/rb.txt" 2>&1 || fail "readback: $(cat "$TEST_ROOT/rb.txt")"
[ "$(security find-generic-password -s "Claude Code-credentials" -a tester -w)" = "$NEW" ] || fail "Keychain item not updated"
grep -q "written back to the Keychain item 'Claude Code-credentials'" "$TEST_ROOT/rb.txt" || fail "summary: $(cat "$TEST_ROOT/rb.txt")"
[ ! -e "$HOME/.claude/.credentials.json" ] || fail "a credentials file was written on the Keychain path"
pass "refreshed credentials written back to the Keychain"

# With CLAUDE_CONFIG_DIR the service name gets the hash suffix; .claude.json lives inside.
export CLAUDE_CONFIG_DIR="$TEST_ROOT/alt-config"
mkdir -p "$CLAUDE_CONFIG_DIR"; printf '{"alt":true}' > "$CLAUDE_CONFIG_DIR/.claude.json"
SUFFIX=$(printf '%s' "$CLAUDE_CONFIG_DIR" | sha256sum | cut -c1-8)
printf 'add-generic-password -U -a "tester" -s "Claude Code-credentials-%s" -X %s\n' "$SUFFIX" "$(printf '%s' "$CREDS" | xxd -p | tr -d '\n')" | security -i
CLAUDE_HOST_KEYCHAIN=1 "$CLAUDE_HOST" stage --json > "$TEST_ROOT/stage2.json" || fail "stage with CLAUDE_CONFIG_DIR"
RUN2=$(json_get "$TEST_ROOT/stage2.json" '["run_id"]')
[ "$(cat "$HOME/.claude-docker/runs/$RUN2/stage/tree/.credentials.json")" = "$CREDS" ] || fail "suffixed item not staged"
[ "$(cat "$HOME/.claude-docker/runs/$RUN2/stage/tree/.claude.json")" = '{"alt":true}' ] || fail ".claude.json not taken from CLAUDE_CONFIG_DIR"
grep -q "Claude Code-credentials-$SUFFIX" "$FAKE_KEYCHAIN_DIR/calls.log" || fail "service suffix not used"
unset CLAUDE_CONFIG_DIR
pass "CLAUDE_CONFIG_DIR: suffixed Keychain service, .claude.json inside the folder"

# A missing item is a clear warning, not a failure.
rm -f "$FAKE_KEYCHAIN_DIR"/item.*
CLAUDE_HOST_KEYCHAIN=1 "$CLAUDE_HOST" stage > "$TEST_ROOT/stage3.txt" 2>&1 || fail "stage without credentials failed"
grep -q "no credentials in the Keychain item" "$TEST_ROOT/stage3.txt" || fail "no warning: $(cat "$TEST_ROOT/stage3.txt")"
pass "missing Keychain item: a warning"

# The credential broker on the Keychain path: two runs (a stand-in docker); a refresh in
# run 1 reaches the Keychain item and run 2's inbox; a refresh the host's claude makes in
# the Keychain (polled once a second) reaches both inboxes.
ln -s "$HELPERS/host_fake_docker.sh" "$BIN/docker"
printf 'add-generic-password -U -a "tester" -s "Claude Code-credentials" -X %s\n' "$(printf '%s' "$CREDS" | xxd -p | tr -d '\n')" | security -i
cat > "$TEST_ROOT/container.sh" <<'SH'
#!/usr/bin/env bash
set -euo pipefail
python3 "$OUTBOX_WRITER" "$OUTBOX" begin "$RUN_ID" "$TRACE_ID"
printf '%s\n%s\n' "$OUTBOX" "$INBOX" > "$TEST_ROOT/ready-$NAME.tmp"; mv "$TEST_ROOT/ready-$NAME.tmp" "$TEST_ROOT/ready-$NAME"
until [ -e "$TEST_ROOT/stop-$NAME" ]; do sleep 0.05; done
SH
chmod +x "$TEST_ROOT/container.sh"
export OUTBOX_WRITER TEST_ROOT
for n in 1 2; do
  NAME=$n FAKE_CONTAINER="$TEST_ROOT/container.sh" CLAUDE_HOST_KEYCHAIN=1 "$CLAUDE_HOST" run > "$TEST_ROOT/run-$n.txt" 2>&1 &
  CLEANUP_PIDS+=($!)
done
for n in 1 2; do wait_for 20 test -e "$TEST_ROOT/ready-$n" || fail "run $n did not start: $(cat "$TEST_ROOT/run-$n.txt")"; done
O1=$(sed -n 1p "$TEST_ROOT/ready-1"); I1=$(sed -n 2p "$TEST_ROOT/ready-1"); I2=$(sed -n 2p "$TEST_ROOT/ready-2")
KC1="{\"claudeAiOauth\":{\"accessToken\":\"sk-ant-oat01-KEYCHAINSECRET-B1\",\"refreshToken\":\"sk-ant-ort01-KCREFRESH-B1\",\"expiresAt\":$((EXP + 9000000))}}"
python3 "$OUTBOX_WRITER" "$O1" put-text .credentials.json "$KC1" 600
kc_holds() { [ "$(security find-generic-password -s "Claude Code-credentials" -a tester -w)" = "$1" ]; }
file_holds() { [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]; }
wait_for 2 kc_holds "$KC1" || fail "run 1's refresh did not reach the Keychain item"
wait_for 2 file_holds "$I2/.credentials.json" "$KC1" || fail "run 1's refresh did not reach run 2's inbox"
KC2="{\"claudeAiOauth\":{\"accessToken\":\"sk-ant-oat01-KEYCHAINSECRET-B2\",\"refreshToken\":\"sk-ant-ort01-KCREFRESH-B2\",\"expiresAt\":$((EXP + 9900000))}}"
printf 'add-generic-password -U -a "tester" -s "Claude Code-credentials" -X %s\n' "$(printf '%s' "$KC2" | xxd -p | tr -d '\n')" | security -i
wait_for 3 file_holds "$I1/.credentials.json" "$KC2" || fail "the host's Keychain refresh did not reach run 1's inbox"
wait_for 3 file_holds "$I2/.credentials.json" "$KC2" || fail "the host's Keychain refresh did not reach run 2's inbox"
for n in 1 2; do touch "$TEST_ROOT/stop-$n"; done
for pid in "${CLEANUP_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
kc_holds "$KC2" || fail "a read-back put an older login in the Keychain"
pass "broker on the Keychain: a container's refresh reaches the item and the other run; the item's refresh (1 s poll) reaches both"

# The secret never reached a command line, an output or a log.
for f in "$FAKE_KEYCHAIN_DIR/calls.log" "$TEST_ROOT"/*.txt "$TEST_ROOT"/*.json "$TEST_ROOT"/*.err \
         "$HOME"/.claude-docker-*.jsonl "$HOME"/.claude-docker-errors.log; do
  [ -f "$f" ] || continue
  if grep -q -e KEYCHAINSECRET -e REFRESHEDSECRET -e KCREFRESH -e ROTATED "$f"; then fail "a token leaked into $f"; fi
done
pass "no token in argv, outputs or logs"
