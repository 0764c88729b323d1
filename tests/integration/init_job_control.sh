#!/usr/bin/env bash
# Job control under an interactive shell: bash on a pseudo-terminal runs the init as one
# of its jobs (the init is then neither PID 1 nor a session leader). Ctrl-Z stops the
# child, and the init with it: the shell gets the terminal and its prompt back; `fg`
# resumes the child with the terminal, so Ctrl-C then reaches it; `bg` resumes it in the
# background, the terminal staying with the shell. As a session leader (init_pty.sh) the
# init never stops.
source "$(dirname "$0")/../helpers/init_test_lib.bash"

python3 - "$INIT" "$CHILD" "$WORK" <<'PY' || fail "job control under an interactive bash"
import os, pty, re, select, signal, sys, time
init, child, work = sys.argv[1:]
rec = os.path.join(work, "tty")
out = bytearray()

def lines():
    try:
        return open(rec).read().splitlines()
    except FileNotFoundError:
        return []

def pump(fd, timeout=0.02):
    while select.select([fd], [], [], timeout)[0]:
        try:
            data = os.read(fd, 4096)
        except OSError:
            return
        if not data:
            return
        out.extend(data)
        timeout = 0

def fail(what):
    print("FAIL: " + what + "; recorded: " + repr(lines()[-20:]) + "\nterminal: " + out.decode(errors="replace")[-1500:],
          file=sys.stderr)
    sys.exit(1)

def wait_for(pred, what, fd, seconds=5):
    deadline = time.time() + seconds
    while time.time() < deadline:
        pump(fd)
        if pred():
            return
    fail(what() if callable(what) else what)

def state(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return "gone"

def prompts():
    return out.count(b"PROMPT> ")

def children(pid):
    try:
        return [int(p) for p in open(f"/proc/{pid}/task/{pid}/children").read().split()]
    except FileNotFoundError:
        return []

pid, fd = pty.fork()
if pid == 0:
    os.environ["PS1"] = "PROMPT> "
    os.environ["HOME"] = work
    # POSIX mode: bash names the signal that stopped a job ("Stopped(SIGTSTP)").
    os.execv("/bin/bash", ["bash", "--norc", "--noprofile", "--posix", "-i"])

wait_for(lambda: prompts() >= 1, "bash printed no prompt", fd)
os.write(fd, f"'{init}' --no-sync --health-port 0 -- '{child}' tty '{rec}'\n".encode())
wait_for(lambda: "fg yes" in lines(), "the child is not in the terminal's foreground", fd)
init_pid = children(pid)[0]
child_pid = children(init_pid)[0]
sid, pgid = os.getsid(init_pid), os.getpgid(init_pid)
if sid == init_pid or init_pid == 1:
    fail("the init should be a job of bash, not a session leader")
print(f"ok - bash runs the init (pid {init_pid}, group {pgid}) as a job; the child has the terminal")

for round in (1, 2):
    before = prompts()
    os.write(fd, b"\x1a")  # Ctrl-Z
    wait_for(lambda: state(child_pid) == "T", "Ctrl-Z did not stop the child", fd)
    wait_for(lambda: state(init_pid) == "T", "the child stopped, the init did not", fd)
    wait_for(lambda: prompts() > before, "bash did not give the prompt back after Ctrl-Z", fd)
    if os.tcgetpgrp(fd) != os.getpgid(pid):
        fail("the terminal is not back with bash")
    print(f"ok - round {round}: Ctrl-Z stops the child and the init; bash has the prompt and the terminal")

    before_cont = lines().count("CONT")
    os.write(fd, b"fg\n")
    wait_for(lambda: state(child_pid) not in ("T", "gone") and state(init_pid) not in ("T", "gone"),
             "`fg` did not resume the init and the child", fd)
    wait_for(lambda: lines().count("CONT") > before_cont, "the child got no SIGCONT", fd)
    wait_for(lambda: os.tcgetpgrp(fd) == child_pid, "`fg` did not give the terminal back to the child", fd)
    print(f"ok - round {round}: `fg` resumes the child with the terminal")

    before_int = lines().count("INT")
    os.write(fd, b"\x03")  # Ctrl-C goes to the terminal's foreground group: the child's
    wait_for(lambda: lines().count("INT") > before_int, "Ctrl-C after `fg` did not reach the child", fd)
    time.sleep(0.1)
    if state(init_pid) in ("T", "gone"):
        fail("the init stopped or ended on the child's Ctrl-C")
    print(f"ok - round {round}: Ctrl-C then reaches the child; the init keeps running")

# `bg`: resumed in the background, the terminal stays with bash (which prints a prompt).
before = prompts()
os.write(fd, b"\x1a")
wait_for(lambda: state(init_pid) == "T" and prompts() > before, "the second stop did not give the prompt back", fd)
before = prompts()
os.write(fd, b"bg\n")
wait_for(lambda: state(child_pid) not in ("T", "gone") and state(init_pid) not in ("T", "gone"), "`bg` did not resume both", fd)
wait_for(lambda: prompts() > before, "bash gave no prompt after `bg`", fd)
time.sleep(0.1)
if os.tcgetpgrp(fd) != os.getpgid(pid):
    fail("after `bg` the terminal left bash")
print("ok - `bg` resumes the child in the background; the terminal stays with bash")
# Then `fg` (bash sends no SIGCONT to a running job): the init's group has the terminal;
# Ctrl-C reaches the child's group, which gets the terminal, and the init runs on.
before_int = lines().count("INT")
os.write(fd, b"fg\n")
wait_for(lambda: os.tcgetpgrp(fd) == pgid, "`fg` after `bg` did not give the init's group the terminal", fd)
os.write(fd, b"\x03")
wait_for(lambda: lines().count("INT") > before_int, "Ctrl-C after `bg` and `fg` did not reach the child", fd)
wait_for(lambda: os.tcgetpgrp(fd) == child_pid, "Ctrl-C after `bg` and `fg` did not pass the terminal on", fd)
time.sleep(0.1)
if state(init_pid) in ("T", "gone"):
    fail("the init stopped or ended on Ctrl-C after `bg` and `fg`")
print("ok - after `bg` and `fg`, Ctrl-C reaches the child, which gets the terminal back")

before = prompts()
os.kill(init_pid, signal.SIGTERM)  # the child exits 0 on it
wait_for(lambda: state(init_pid) == "gone" and prompts() > before, "the init did not exit, or bash gave no prompt", fd, 10)
os.write(fd, b"echo status=$?\n")
wait_for(lambda: re.search(rb"status=(\d+)", out), "no exit status printed", fd)
code = int(re.search(rb"status=(\d+)", out).group(1))
if code != 0:
    fail(f"exit status {code}")
print("ok - SIGTERM ends the run with status 0 and bash's prompt back")
def status_after(before):
    wait_for(lambda: prompts() > before, "no prompt after the run", fd, 10)
    mark = len(out)
    os.write(fd, b"echo status=$?\n")
    wait_for(lambda: re.search(rb"status=(\d+)", out[mark:]), "no exit status printed", fd)
    return int(re.search(rb"status=(\d+)", out[mark:]).group(1))

def last_stop_notice():
    found = re.findall(rb"Stopped\(\w+\)", bytes(out))
    return found[-1].decode().strip() if found else ""

def run_job(command):
    """Types COMMAND at the prompt; returns the init's and the child's pids."""
    os.write(fd, command.encode() + b"\n")
    wait_for(lambda: len(children(pid)) == 1 and len(children(children(pid)[0])) >= 1, "the job did not start", fd)
    init = children(pid)[0]
    return init, children(init)[0]

# A child that reads the terminal: Ctrl-Z stops it with SIGTSTP, and the init with the
# same signal (bash: "Stopped(SIGTSTP)"); after `bg` it reads, is stopped by SIGTTIN,
# and so is the init ("Stopped(SIGTTIN)"); `fg` lets it read.
reads = os.path.join(work, "reads")
go = os.path.join(work, "go")
# bash, not sh: dash runs `sleep` with vfork, and a Ctrl-Z landing between its vfork and
# exec stops the vfork child while the shell waits for it uninterruptibly (state D), never
# stopping: no init or shell could report that stop (bash itself, typed at, would wait too).
script = f'read a; echo "a $a" >> {reads}; while [ ! -e {go} ]; do sleep 0.02; done; read b; echo "b $b" >> {reads}; exit 5'
init_pid, child_pid = run_job(f"'{init}' --no-sync --health-port 0 -- bash --norc --noprofile -c '{script}'")
wait_for(lambda: os.tcgetpgrp(fd) == child_pid, "the reading child did not get the terminal", fd)
os.write(fd, b"one\n")
wait_for(lambda: "a one" in open(reads).read() if os.path.exists(reads) else False, "the child did not read 'one'", fd)
before = prompts()
os.write(fd, b"\x1a")
wait_for(lambda: state(init_pid) == "T" and prompts() > before,
         lambda: f"Ctrl-Z did not stop the init (init {state(init_pid)}, child {state(child_pid)}, "
                 f"terminal with group {os.tcgetpgrp(fd)}, init group {os.getpgid(init_pid)})", fd)
if last_stop_notice() != "Stopped(SIGTSTP)":
    fail(f"bash says '{last_stop_notice()}': the init did not stop with SIGTSTP")
print("ok - Ctrl-Z stops the init with SIGTSTP, as the child (bash: 'Stopped(SIGTSTP)')")
before = prompts()
os.write(fd, b"bg\n")
wait_for(lambda: prompts() > before and state(init_pid) != "T", "`bg` did not resume the init", fd)
open(go, "w").close()  # the child reads now, in the background: SIGTTIN stops it
wait_for(lambda: state(init_pid) == "T", "a child stopped by SIGTTIN did not stop the init", fd)
before = prompts()
os.write(fd, b"\n")
wait_for(lambda: prompts() > before and last_stop_notice() == "Stopped(SIGTTIN)", "bash did not report a SIGTTIN stop", fd)
print(f"ok - after `bg`, reading stops the child and the init with SIGTTIN (bash: '{last_stop_notice()}')")
os.write(fd, b"fg\n")
wait_for(lambda: os.tcgetpgrp(fd) == child_pid, "`fg` did not hand the terminal to the reading child", fd)
before = prompts()
os.write(fd, b"two\n")
code = status_after(before)
if "b two" not in open(reads).read() or code != 5:
    fail(f"the child read {open(reads).read()!r}; status {code} (5 expected)")
print("ok - `fg` lets it read 'two'; its exit status 5 comes through")

# Brought back by `fg` while running in the background (bash sends no SIGCONT then): the
# child's first read stops it with SIGTTIN while the init holds the terminal; it gets the
# terminal and reads, and nothing stops.
os.remove(go)
open(reads, "w").close()
# The child reads only once `go` exists, after `fg` (a read before it would stop the child
# and the init in the background, which the case above covers).
script_bg = f'while [ ! -e {go} ]; do sleep 0.02; done; read a; echo "a $a" >> {reads}; read b; echo "b $b" >> {reads}; exit 5'
init_pid, child_pid = run_job(f"'{init}' --no-sync --health-port 0 -- bash --norc --noprofile -c '{script_bg}' &")
os.write(fd, b"fg\n")
wait_for(lambda: os.tcgetpgrp(fd) == os.getpgid(init_pid), "`fg` did not give the init's group the terminal", fd)
time.sleep(0.1)
open(go, "w").close()
# 'a' is read first: the init passes the terminal on when the child is stopped reading it.
wait_for(lambda: os.tcgetpgrp(fd) == child_pid, "the child stopped reading was not given the terminal", fd)
if state(init_pid) == "T":
    fail("the init stopped although it had the terminal")
before = prompts()
os.write(fd, b"three\nfour\n")
code = status_after(before)
if open(reads).read().split("\n")[:2] != ["a three", "b four"] or code != 5:
    fail(f"the child read {open(reads).read()!r}; status {code}")
print("ok - started in the background and brought back by `fg`: the child gets the terminal at its first read")

os.write(fd, b"exit\n")
deadline = time.time() + 5
while time.time() < deadline and os.waitpid(pid, os.WNOHANG) == (0, 0):
    pump(fd)
PY
echo "init_job_control: all passed"
