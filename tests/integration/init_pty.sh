#!/usr/bin/env bash
# Interactive use through a real pseudo-terminal, as `docker run -it` gives one: the child
# owns the terminal's foreground; Ctrl-Z (SIGTSTP), SIGCONT, Ctrl-C and window resizes
# (SIGWINCH) reach it; the terminal's attributes are restored when it exits.
source "$(dirname "$0")/../helpers/init_test_lib.bash"

python3 - "$INIT" "$CHILD" "$WORK/tty" <<'PY' || fail "terminal session"
import fcntl, os, pty, select, signal, struct, sys, termios, time
init, child, rec = sys.argv[1:]

def lines():
    try:
        return open(rec).read().splitlines()
    except FileNotFoundError:
        return []

def drain(fd):
    while select.select([fd], [], [], 0)[0]:
        try:
            if not os.read(fd, 4096):
                return
        except OSError:
            return

def wait_for(pred, what, fd):
    deadline = time.time() + 5
    while time.time() < deadline:
        drain(fd)
        if pred():
            return
        time.sleep(0.02)
    print("FAIL: " + what + "; recorded: " + repr(lines()), file=sys.stderr)
    sys.exit(1)

def state(pid):
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[0]

pid, fd = pty.fork()
if pid == 0:
    os.execv(init, [init, "--no-sync", "--health-port", "0", "--", child, "tty", rec])
before = termios.tcgetattr(fd)
wait_for(lambda: "fg yes" in lines(), "the child is not in the terminal's foreground", fd)
print("ok - the child is the terminal's foreground process group")
kids = open(f"/proc/{pid}/task/{pid}/children").read().split()
child_pid = int(kids[0])

fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 37, 111, 0, 0))
wait_for(lambda: "WINCH 37 111" in lines(), "SIGWINCH with the new size did not reach the child", fd)
print("ok - a window resize reaches the child with the new size (37x111)")

os.write(fd, b"\x1a")  # Ctrl-Z
wait_for(lambda: "TSTP" in lines() and state(child_pid) == "T", "Ctrl-Z did not stop the child", fd)
print("ok - Ctrl-Z delivers SIGTSTP and the child stops")
os.kill(pid, signal.SIGCONT)  # to the init, which forwards it
wait_for(lambda: "CONT" in lines() and state(child_pid) != "T", "SIGCONT did not resume the child", fd)
print("ok - SIGCONT sent to the init resumes the child")

os.write(fd, b"\x03")  # Ctrl-C goes to the foreground group: the child, not the init
wait_for(lambda: "INT" in lines(), "Ctrl-C did not reach the child", fd)
time.sleep(0.1)
assert os.waitpid(pid, os.WNOHANG) == (0, 0), "the init ended on the child's Ctrl-C"
print("ok - Ctrl-C reaches the child only; the init keeps running")

os.kill(pid, signal.SIGTERM)  # the child turns echo off and exits 0
deadline = time.time() + 10
while time.time() < deadline:
    drain(fd)
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        break
    time.sleep(0.02)
else:
    print("FAIL: the init did not exit", file=sys.stderr); sys.exit(1)
assert "exiting" in lines(), "the child did not change the terminal before exiting"
code = os.waitstatus_to_exitcode(status)
assert code == 0, f"exit code {code}"
after = termios.tcgetattr(fd)
if after[3] != before[3]:
    print(f"FAIL: terminal lflag not restored: before {before[3]:#x} after {after[3]:#x}", file=sys.stderr)
    sys.exit(1)
print("ok - the terminal's attributes (echo, canonical mode) are restored at exit")
PY
echo "init_pty: all passed"
