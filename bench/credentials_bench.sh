#!/usr/bin/env bash
# The credential broker's latency at the file level: three `claude-host run` of one home
# (a stand-in `docker`: no engine), 100 refreshes, each published in turn by one of the
# three containers' outboxes the way claude-init does (temp + rename); the time from the
# rename to the new login being in the other two runs' inboxes and in the host file.
# Prints p50/p99/max and saves the raw numbers to bench/results/credentials_bench.txt.
# Target (issue 19): within 1 s. The container side (the init installing from its inbox)
# is measured by tests/e2e/credentials_three_containers_test.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
N=${CREDENTIALS_BENCH_N:-100}
source "$here/../tests/helpers/host_test_lib.sh" "${1:-$here/../build}"
BIN="$TEST_ROOT/bin"; mkdir -p "$BIN"
ln -s "$HELPERS/host_fake_docker.sh" "$BIN/docker"
export PATH="$BIN:$PATH"
PROJ="$TEST_ROOT/work/app"; mkdir -p "$PROJ"; cd "$PROJ"
make_claude_home "$PROJ" > /dev/null
cat > "$TEST_ROOT/container.sh" <<'SH'
#!/usr/bin/env bash
set -euo pipefail
python3 "$OUTBOX_WRITER" "$OUTBOX" begin "$RUN_ID" "$TRACE_ID"
printf '%s\n%s\n' "$OUTBOX" "$INBOX" > "$TEST_ROOT/ready-$NAME.tmp"; mv "$TEST_ROOT/ready-$NAME.tmp" "$TEST_ROOT/ready-$NAME"
until [ -e "$TEST_ROOT/stop" ]; do sleep 0.05; done
SH
chmod +x "$TEST_ROOT/container.sh"
export FAKE_CONTAINER="$TEST_ROOT/container.sh" OUTBOX_WRITER TEST_ROOT
for n in 0 1 2; do
  NAME=$n "$CLAUDE_HOST" run > /dev/null 2> "$TEST_ROOT/run-$n.err" &
  CLEANUP_PIDS+=($!)
done
trap 'touch "$TEST_ROOT/stop"; cleanup' EXIT
for n in 0 1 2; do wait_for 20 test -e "$TEST_ROOT/ready-$n" || { echo "run $n did not start" >&2; exit 1; }; done
python3 - "$TEST_ROOT" "$HOME/.claude/.credentials.json" "$N" "$here/results/credentials_bench.txt" <<'PY'
import os, sys, time
root, host, n, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
runs = []
for i in range(3):
    outbox, inbox = open(f"{root}/ready-{i}").read().split("\n")[:2]
    runs.append((outbox, inbox))
base = int(time.time() + 3600) * 1000
def read(p):
    try:
        with open(p) as f: return f.read()
    except OSError: return None
lat = []
for k in range(n):
    src = k % 3
    text = '{"claudeAiOauth":{"accessToken":"a-%d","refreshToken":"r-%d","expiresAt":%d}}' % (k, k, base + 1000 * (k + 1))
    tree = os.path.join(runs[src][0], "tree")
    tmp = os.path.join(tree, ".credentials.json.tmp")
    with open(tmp, "w") as f: f.write(text); f.flush(); os.fsync(f.fileno())
    os.chmod(tmp, 0o600)
    t0 = time.monotonic()
    os.rename(tmp, os.path.join(tree, ".credentials.json"))
    places = [host] + [os.path.join(runs[i][1], ".credentials.json") for i in range(3) if i != src]
    while not all(read(p) == text for p in places):
        if time.monotonic() - t0 > 5: sys.exit(f"refresh {k} from run {src} did not arrive within 5 s")
        time.sleep(0.002)
    lat.append((time.monotonic() - t0) * 1000)
    time.sleep(0.05)
s = sorted(lat)
pct = lambda p: s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]
os.makedirs(os.path.dirname(out), exist_ok=True)
with open(out, "w") as f: f.write("\n".join("%.1f" % x for x in lat) + "\n")
verdict = "PASS" if pct(99) <= 1000 else "MISS"
print(f"credential broker, 3 runs, {n} refreshes: p50 {pct(50):.0f} ms, p99 {pct(99):.0f} ms, max {s[-1]:.0f} ms (target 1000 ms): {verdict}")
PY
