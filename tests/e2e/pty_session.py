"""Drives an interactive program under a pseudo-terminal, for the end-to-end tests.

usage: pty_session.py TRANSCRIPT EXIT_KEY -- COMMAND...
Starts COMMAND on a new pty (120x40), waits for the Claude Code prompt, types a
question and waits for the stand-in API's answer on screen, then presses EXIT_KEY
("ctrl-d" or "ctrl-c") twice, as a person leaving the CLI does, and waits for COMMAND to
exit. Exits with COMMAND's status; 90 when a step times out. Everything the terminal
showed is saved to TRANSCRIPT (escape sequences stripped) for the failure message.
"""
import fcntl
import os
import pty
import re
import select
import struct
import sys
import termios
import time

transcript_path, exit_key = sys.argv[1], sys.argv[2]
assert sys.argv[3] == "--"
argv = sys.argv[4:]
key = {"ctrl-d": b"\x04", "ctrl-c": b"\x03"}[exit_key]

pid, fd = pty.fork()
if pid == 0:
    os.execvp(argv[0], argv)
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
raw = b""


def screen():
    text = re.sub(rb"\x1b\[[0-9;?<>=]*[a-zA-Z~]|\x1b\][^\x07]*\x07|\x1b[()][A-Z0-9]|\x1b[=>]", b"", raw)
    return text.decode("utf-8", errors="replace")


def save():
    with open(transcript_path, "w") as f:
        f.write(screen())


def pump(seconds):
    """Reads output for up to `seconds`; False once the program has closed the pty."""
    global raw
    end = time.time() + seconds
    while time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            try:
                data = os.read(fd, 65536)
            except OSError:
                return False
            if not data:
                return False
            raw += data
    return True


def wait_for(pattern, seconds, what):
    end = time.time() + seconds
    start = len(screen())
    while time.time() < end:
        if re.search(pattern, screen()[start:] if what.startswith("new:") else screen()):
            return
        if not pump(0.2):
            break
    save()
    print(f"pty_session: timed out waiting for {what.removeprefix('new:')}", file=sys.stderr)
    os.kill(pid, 9)
    sys.exit(90)


# The input prompt: the status line under the input box names the permission mode.
wait_for(r"bypass\s*permissions", 120, "the CLI's prompt")
pump(1.0)
os.write(fd, b"say hello")
pump(0.5)
os.write(fd, b"\r")
wait_for(r"stand-in\s*API\s*finished", 60, "new:the stand-in API's answer on screen")
pump(1.0)
os.write(fd, key)
pump(0.3)
os.write(fd, key)
end = time.time() + 60
status = None
while time.time() < end:
    pump(0.2)
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        break
else:
    save()
    print(f"pty_session: still running 60 s after {exit_key} twice", file=sys.stderr)
    os.kill(pid, 9)
    sys.exit(90)
pump(0.2)
save()
sys.exit(os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))
