#!/usr/bin/env bash
# The health endpoint is reachable by anything in the container, so no request may cost
# PID 1 more than a bounded amount of memory and time: a 1 GiB body gets 413 at once and
# is never read, huge headers get 431, 200 slow senders (slowloris) hold it no longer than
# the request time, and the init still serves and exits with its child's status.
source "$(dirname "$0")/../helpers/init_test_lib.bash"

port=$(free_port)
base="http://127.0.0.1:$port"
start_init pid1 "$WORK/out" --no-sync --health-port "$port" -- \
  sh -c "while [ ! -e '$WORK/go' ]; do sleep 0.05; done; exit 7"
wait_until 5 "$INIT" health --health-port "$port" >/dev/null || { cat "$WORK/out" >&2; fail "never healthy"; }
hwm() { awk '/^VmHWM:/ {print $2}' "/proc/$INIT_PID/status"; }
# The peak RSS may grow by 16 MiB at most over the idle init's, whatever arrives (the
# idle figure differs between the release and the sanitizer builds).
MAX_HWM_KB=$(( $(hwm) + 16384 ))
check_hwm() {
  local kb; kb=$(hwm)
  [ "$kb" -lt "$MAX_HWM_KB" ] || fail "$1: the init's peak RSS is $kb KiB (limit $MAX_HWM_KB)"
  echo "$kb"
}
echo "idle: VmHWM $(hwm) KiB (limit $MAX_HWM_KB KiB)"

# A 1 GiB body streamed without "Expect: 100-continue": the answer comes after the head,
# long before the body could be read, and the sender stops at it.
python3 - "$port" >"$WORK/body.out" <<'PY' || { cat "$WORK/body.out" >&2; fail "1 GiB body"; }
import select, socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
size = 1 << 30
s.sendall(b"POST /sync HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % size)
chunk = b"\0" * 65536
sent, reply, t0 = 0, b"", time.monotonic()
s.setblocking(False)
while sent < size and b"\r\n\r\n" not in reply and time.monotonic() - t0 < 20:
    r, w, _ = select.select([s], [s], [], 1)
    if r:
        data = s.recv(65536)
        if not data: break
        reply += data
    elif w:
        try: sent += s.send(chunk)
        except (BrokenPipeError, ConnectionResetError): break
print("status", reply.split(b" ")[1].decode() if reply else "none")
print("sent", sent, "ms", int((time.monotonic() - t0) * 1000))
PY
grep -qx "status 413" "$WORK/body.out" || fail "1 GiB body: $(cat "$WORK/body.out")"
sent=$(awk '/^sent/ {print $2}' "$WORK/body.out")
[ "$sent" -lt $((64 << 20)) ] || fail "1 GiB body: the answer came only after $sent bytes"
pass "a 1 GiB POST /sync body gets 413 after $sent bytes ($(tail -1 "$WORK/body.out")); VmHWM $(check_hwm "1 GiB body") KiB"

# The same body sent whole, whatever the answer says: the init discards it unread.
python3 - "$port" >"$WORK/blind.out" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
size = 1 << 30
s.sendall(b"POST /sync HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % size)
chunk, sent = b"\0" * (1 << 20), 0
try:
    while sent < size:
        s.sendall(chunk); sent += len(chunk)
except OSError as e:
    print("stopped", type(e).__name__)
print("sent", sent)
PY
pass "a sender that ignores the 413 is cut off ($(tr '\n' ' ' <"$WORK/blind.out")); VmHWM $(check_hwm "blind 1 GiB body") KiB"

# curl uploading a 1 GiB file (sparse, streamed): with "Expect: 100-continue" nothing is sent at all;
# without it, curl sees the 413 while sending.
truncate -s 1G "$WORK/big"
for expect in "" "-H Expect:"; do
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 20 $expect -X POST -T "$WORK/big" "$base/sync" || true)
  [ "$code" = 413 ] || fail "curl 1 GiB body ${expect:-with Expect: 100-continue}: HTTP $code"
done
rm -f "$WORK/big"
code=$(printf 'POST /sync HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n' |
  python3 -c 'import socket,sys; s=socket.create_connection(("127.0.0.1",int(sys.argv[1]))); s.sendall(sys.stdin.buffer.read()); s.sendall(b"40000000\r\n"+b"\0"*65536); print(s.recv(100).split(b" ")[1].decode())' "$port")
[ "$code" = 413 ] || fail "chunked body: HTTP $code"
pass "curl's 1 GiB upload (with and without Expect: 100-continue) and a chunked body get 413; VmHWM $(check_hwm curl) KiB"

# Headers: one endless line, many lines, one huge header: 431, without reading the rest.
for shape in endless-line many-headers huge-header; do
  python3 - "$port" "$shape" >"$WORK/head.out" <<'PY' || { cat "$WORK/head.out" >&2; fail "$shape"; }
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
shape = sys.argv[2]
if shape == "endless-line":
    head = b"GET /" + b"a" * (64 << 20)
elif shape == "many-headers":
    head = b"GET /healthz HTTP/1.1\r\n" + b"".join(b"X-%d: y\r\n" % i for i in range(1 << 20))
else:
    head = b"GET /healthz HTTP/1.1\r\nX-Big: " + b"b" * (16 << 20) + b"\r\n\r\n"
t0 = time.monotonic()
try:
    s.sendall(head)
except OSError:
    pass
reply = s.recv(200)
print("status", reply.split(b" ")[1].decode() if reply else "none", "ms", int((time.monotonic() - t0) * 1000))
PY
  grep -q "^status 431 " "$WORK/head.out" || fail "$shape: $(cat "$WORK/head.out")"
done
pass "an endless request line, a million headers and a 16 MiB header get 431; VmHWM $(check_hwm headers) KiB"

# Slowloris: 200 connections at once, each sending its head a byte every 100 ms for 4 s.
# Each holds the endpoint no longer than the request time (2 s from its accept); those past
# the workers and the queue get 503 at once. After that time /healthz answers again.
cat >"$WORK/slow.py" <<'PY'
import select, socket, sys, time
port, n = int(sys.argv[1]), 200
socks = []
for _ in range(n):
    s = socket.socket(); s.setblocking(False)
    s.connect_ex(("127.0.0.1", port)); socks.append(s)
msg = b"GET /healthz HTTP/1.1\r\nX-Slow: " + b"z" * 1000
pos = {s: 0 for s in socks}
replies = {}
t0 = time.monotonic()
print("started", flush=True)
# Each sends for 4 s at most; then all must have been answered or closed (10 s at most,
# which leaves room for connections the kernel was slow to establish).
while time.monotonic() - t0 < 10 and len(replies) < n:
    for s in socks:
        if s in replies or time.monotonic() - t0 > 4: continue
        try:
            if pos[s] < len(msg): s.send(msg[pos[s]:pos[s] + 1]); pos[s] += 1
        except OSError: pass
    r, _, _ = select.select([s for s in socks if s not in replies], [], [], 0.1)
    for s in r:
        try: data = s.recv(100)
        except OSError: data = b""
        replies[s] = (data.split(b" ")[1].decode() if data.startswith(b"HTTP/") else "closed", time.monotonic() - t0)
from collections import Counter
print("answers", dict(Counter(v[0] for v in replies.values())), "open", n - len(replies))
print("last answer at %.1f s" % max([v[1] for v in replies.values()] or [0]))
PY
python3 "$WORK/slow.py" "$port" >"$WORK/slow.out" 2>&1 &
slow_pid=$!
BACKGROUND+=("$slow_pid")
wait_until 5 grep -q started "$WORK/slow.out" || fail "slowloris did not start"
t0=$(date +%s%N)
sleep 0.5
busy=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$base/healthz" || true)
# The request time (2 s) after the last slow connection was accepted, /healthz is served.
wait_until 4 bash -c "[ \"\$(curl -s --max-time 1 $base/healthz)\" = ok ]" || fail "/healthz still blocked by slow connections: $(cat "$WORK/slow.out")"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
wait "$slow_pid" || fail "slowloris: $(cat "$WORK/slow.out")"
grep -q "open 0" "$WORK/slow.out" || fail "slowloris connections still open after 10 s: $(cat "$WORK/slow.out")"
pass "200 slow connections: $(tail -2 "$WORK/slow.out" | tr '\n' ' '); /healthz meanwhile HTTP $busy, ok again $ms ms after they started; VmHWM $(check_hwm slowloris) KiB"

# Still serving, and still the child's init.
[ "$(curl -s "$base/healthz")" = ok ] || fail "/healthz after the attacks"
[ "$("$INIT" sync --health-port "$port")" = "sync complete" ] || fail "POST /sync after the attacks"
touch "$WORK/go"
wait_exit 10
[ "$EXIT_CODE" = 7 ] || { cat "$WORK/out" >&2; fail "the init exited $EXIT_CODE, not the child's 7"; }
pass "after every attack the init serves /healthz and /sync and exits with its child's status (7)"
echo "init_endpoint_limits: all passed"
