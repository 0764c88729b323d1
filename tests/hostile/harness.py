"""The hostile corpus's harness: a scratch HOME with canary keys, the before/after check of
everything outside ~/.claude*, claude-host runs made by hand, outboxes written directly (as a
compromised container would), and claude-init as PID 1 of a fresh pid namespace.

Nothing here is a test by itself; tests/hostile/cases.py holds the cases.
"""
import hashlib
import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request


class CaseFailed(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise CaseFailed(msg)


def first_line_with(text, needle, limit=160):
    """The first line of TEXT holding NEEDLE (case-insensitive), cut to LIMIT characters."""
    for line in text.splitlines():
        if needle.lower() in line.lower():
            return line.strip()[:limit]
    return ""


def one_line(text, limit=160):
    text = " ".join(text.split())
    return text[:limit]


class Proc:
    """A finished process: exit status (negative: killed by that signal), output, peak RSS."""

    def __init__(self, argv, rc, out, maxrss_kib, seconds):
        self.argv, self.rc, self.out, self.maxrss_kib, self.seconds = argv, rc, out, maxrss_kib, seconds

    def crashed(self):
        return self.rc < 0

    def describe(self):
        if self.rc < 0:
            return "killed by signal %s" % signal.Signals(-self.rc).name
        return "exit %d" % self.rc


def run_measured(argv, env=None, cwd=None, timeout=120, user=None):
    """Runs ARGV to its end; peak RSS from wait4's rusage."""
    t0 = time.monotonic()
    preexec = None
    if user is not None:
        uid, gid = user

        def preexec():
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
    p = subprocess.Popen(argv, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         preexec_fn=preexec, start_new_session=True)
    out_chunks = []
    import threading

    def reader():
        while True:
            b = p.stdout.read(65536)
            if not b:
                break
            if sum(len(c) for c in out_chunks) < 4 << 20:
                out_chunks.append(b)
    t = threading.Thread(target=reader, daemon=True)
    t.start()
    deadline = t0 + timeout
    status = None
    ru = None
    while True:
        pid, status, ru = os.wait4(p.pid, os.WNOHANG)
        if pid == p.pid:
            break
        if time.monotonic() > deadline:
            os.killpg(p.pid, signal.SIGKILL)
            pid, status, ru = os.wait4(p.pid, 0)
            t.join(5)
            raise CaseFailed("%s did not finish within %d s (killed); output: %s" %
                             (os.path.basename(argv[0]), timeout, one_line(b"".join(out_chunks).decode("utf-8", "replace"), 300)))
        time.sleep(0.01)
    p.returncode = os.waitstatus_to_exitcode(status)
    t.join(10)
    out = b"".join(out_chunks).decode("utf-8", "replace")
    return Proc(argv, p.returncode, out, ru.ru_maxrss, time.monotonic() - t0)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def sha(data):
    return hashlib.sha256(data).hexdigest()


def deep_json(depth, kind="array"):
    if kind == "array":
        return b"[" * depth + b"]" * depth
    return b'{"a":' * depth + b"1" + b"}" * depth


class Env:
    """One case's world: ROOT/home is $HOME (canary keys in ~/.ssh, a project in ~/work/proj),
    ROOT/outside holds files that no tool may touch, ROOT/logs is the harness's own."""

    def __init__(self, build):
        self.build = os.path.abspath(build)
        self.host_bin = os.path.join(self.build, "hostside", "claude-host")
        self.init_bin = os.path.join(self.build, "entrypoint", "claude-init")
        self.root = tempfile.mkdtemp(prefix="hostile.", dir=os.environ.get("TMPDIR", "/tmp"))
        os.chmod(self.root, 0o755)
        self.home = os.path.join(self.root, "home")
        self.logs = os.path.join(self.root, "logs")
        self.outside = os.path.join(self.root, "outside")
        self.proj = os.path.join(self.home, "work", "proj")
        for d in (self.home, self.logs, self.outside, self.proj):
            os.makedirs(d)
        self.background = []
        self.notes = []
        self.priv_marker = ("CANARYPRIV" + os.urandom(8).hex()).encode()
        self.auth_marker = ("CANARYAUTH" + os.urandom(8).hex()).encode()
        ssh = os.path.join(self.home, ".ssh")
        os.mkdir(ssh, 0o700)
        self.key = os.path.join(ssh, "id_ed25519")
        self.auth = os.path.join(ssh, "authorized_keys")
        self.write(self.key, b"-----BEGIN OPENSSH PRIVATE KEY-----\n" + self.priv_marker +
                   b"\n-----END OPENSSH PRIVATE KEY-----\n", 0o600)
        self.write(self.auth, b"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI " + self.auth_marker + b" user@host\n", 0o644)
        self.write(os.path.join(self.home, ".bashrc"), b"export PATH=$PATH:~/bin\n")
        self.write(os.path.join(self.home, "notes", "todo.txt"), b"buy milk\n")
        self.write(os.path.join(self.outside, "victim.txt"), b"outside the home\n")
        self.write(os.path.join(self.proj, "main.c"), b"int main(void) { return 0; }\n")
        self.before = None

    # --- files ---------------------------------------------------------------------------
    @staticmethod
    def write(path, data, mode=0o644):
        d = os.path.dirname(path)
        if d:
            os.makedirs(d, exist_ok=True)
        if isinstance(data, str):
            data = data.encode()
        with open(path, "wb") as f:
            f.write(data)
        os.chmod(path, mode)

    @staticmethod
    def read(path):
        with open(path, "rb") as f:
            return f.read()

    # --- the invariant: nothing outside ~/.claude* changes, the keys never travel ---------
    def snapshot(self):
        """`find ROOT -path "$HOME/.claude*" -prune -o -printf '%p %y %m %s %T@ %l\\n'` plus the
        sha256 of every file. ROOT holds $HOME, the outside folder and the project. $HOME's own
        line carries no size and mtime: creating ~/.claude-docker-events.jsonl (a ~/.claude*
        entry) changes them."""
        out = subprocess.run(["find", self.root, "-mindepth", "1", "(", "-path", self.home + "/.claude*", "-o",
                              "-path", self.logs, ")", "-prune", "-o", "-printf", r"%p %y %m %s %T@ %l\0"],
                             stdout=subprocess.PIPE, check=True).stdout
        snap = {}
        for rec in out.split(b"\0"):
            if not rec:
                continue
            path = rec.split(b" ", 1)[0]
            if path == os.fsencode(self.home):
                p, y, m = rec.split(b" ")[:3]
                rec = b" ".join((p, y, m))
            elif rec.split(b" ")[1] == b"f":
                with open(path, "rb") as f:
                    rec += b" " + hashlib.sha256(f.read()).hexdigest().encode()
            snap[path] = rec
        return snap

    def begin(self):
        self.before = self.snapshot()
        self.key_bytes = self.read(self.key)
        self.auth_bytes = self.read(self.auth)

    def verify_outside_unchanged(self):
        after = self.snapshot()
        changed = []
        for p in sorted(set(self.before) | set(after)):
            if self.before.get(p) != after.get(p):
                changed.append("%s: %s -> %s" % (os.fsdecode(p), (self.before.get(p) or b"(none)").decode("utf-8", "replace"),
                                                  (after.get(p) or b"(none)").decode("utf-8", "replace")))
        check(not changed, "outside ~/.claude* changed:\n  " + "\n  ".join(changed[:10]))
        check(self.read(self.key) == self.key_bytes, "~/.ssh/id_ed25519 changed")
        check(self.read(self.auth) == self.auth_bytes, "~/.ssh/authorized_keys changed")
        leaks = self.find_canaries()
        check(not leaks, "the canary keys reached: " + ", ".join(leaks[:10]))

    def find_canaries(self):
        """Files under ~/.claude* (never following a link) holding either canary's bytes."""
        leaks = []
        markers = (self.priv_marker, self.auth_marker)
        for name in os.listdir(self.home):
            if not name.startswith(".claude"):
                continue
            top = os.path.join(self.home, name)
            paths = [top] if not os.path.isdir(top) or os.path.islink(top) else []
            if not paths:
                for dirpath, dirnames, filenames in os.walk(top):
                    paths.extend(os.path.join(dirpath, f) for f in filenames)
            for p in paths:
                try:
                    st = os.lstat(p)
                except OSError:
                    continue
                if not (st.st_mode & 0o170000) == 0o100000:
                    continue
                if st.st_blocks * 512 > 64 << 20 and st.st_size > 64 << 20:
                    # Huge files the cases wrote themselves: the first and last 16 MiB.
                    with open(p, "rb") as f:
                        head = f.read(16 << 20)
                        f.seek(max(0, st.st_size - (16 << 20)))
                        data = head + f.read()
                elif st.st_size > 64 << 20:
                    data = self._sparse_data(p)
                else:
                    with open(p, "rb") as f:
                        data = f.read()
                if any(m in data for m in markers):
                    leaks.append(os.fsdecode(p))
        return leaks

    @staticmethod
    def _sparse_data(p):
        out = []
        fd = os.open(p, os.O_RDONLY)
        try:
            off = 0
            while True:
                try:
                    off = os.lseek(fd, off, os.SEEK_DATA)
                except OSError:
                    break
                end = os.lseek(fd, off, os.SEEK_HOLE)
                os.lseek(fd, off, os.SEEK_SET)
                out.append(os.read(fd, min(end - off, 64 << 20)))
                off = end
        finally:
            os.close(fd)
        return b"".join(out)

    # --- claude-host ------------------------------------------------------------------------
    def host_env(self):
        env = {k: v for k, v in os.environ.items() if k not in ("CLAUDE_CONFIG_DIR",)}
        env.update(HOME=self.home, USER="tester", CLAUDE_HOST_KEYCHAIN="0", LC_ALL="C.UTF-8")
        return env

    def host(self, *args, timeout=120, user=None):
        return run_measured([self.host_bin] + list(args), env=self.host_env(), cwd=self.proj, timeout=timeout, user=user)

    def make_claude_home(self):
        """A small but realistic Claude home for the project (as tests/helpers/host_test_lib.sh)."""
        self.enc = "".join(c if c.isalnum() and c.isascii() else "-" for c in self.proj)
        h = self.home
        self.write(h + "/.claude.json", json.dumps({"numStartups": 3, "projects": {self.proj: {"allowedTools": []}}, "theme": "dark"}) + "\n")
        self.write(h + "/.claude/settings.json", '{"model":"opus","permissions":{"allow":["Bash(ls:*)"]}}\n')
        self.write(h + "/.claude/CLAUDE.md", "# notes\n")
        self.write(h + "/.claude/commands/review.md", "/review\n")
        self.write(h + "/.claude/agents/helper.md", "an agent\n")
        self.write(h + "/.claude/todos/t1.json", '[{"content":"x","status":"pending"}]\n')
        self.write("%s/.claude/projects/%s/s1.jsonl" % (h, self.enc),
                   '{"cwd":"%s","uuid":"1"}\n{"cwd":"%s","uuid":"2"}\n' % (self.proj, self.proj), 0o600)
        self.write(h + "/.claude/projects/-other-project/s9.jsonl", '{"cwd":"/other/project","uuid":"9"}\n', 0o600)
        self.write(h + "/.claude/.credentials.json", json.dumps(
            {"claudeAiOauth": {"accessToken": "sk-ant-oat01-SECRET", "refreshToken": "sk-ant-ort01-SECRET",
                               "expiresAt": int(time.time() + 3600) * 1000}}), 0o600)

    def stage_run(self, *extra):
        """`claude-host stage --json` on the Claude home: returns a Run."""
        if not os.path.exists(self.home + "/.claude.json"):
            self.make_claude_home()
        p = self.host("stage", "--json", *extra)
        check(p.rc == 0, "stage failed (%s): %s" % (p.describe(), one_line(p.out, 400)))
        j = json.loads(p.out[p.out.index("{"):])
        return Run(self, j["run_id"], j["trace_id"])

    def home_state(self):
        """sha256 of every file under ~/.claude and ~/.claude.json, links as their target."""
        out = {}
        top = self.home + "/.claude"
        if os.path.lexists(self.home + "/.claude.json"):
            out[".claude.json"] = sha(self.read(self.home + "/.claude.json"))
        for dirpath, dirnames, filenames in os.walk(top):
            for n in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
                p = os.path.join(dirpath, n)
                rel = os.path.relpath(p, self.home)
                out[rel] = "link:" + os.readlink(p) if os.path.islink(p) else sha(self.read(p))
        return out

    # --- processes the case leaves running ----------------------------------------------------
    def cleanup(self):
        for p in self.background:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except OSError:
                pass
            try:
                p.wait(5)
            except Exception:
                pass
        subprocess.run(["chattr", "-R", "-i", self.root], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(self.root, ignore_errors=True)


class Run:
    """A staged run: its folders, and outbox writing as a compromised container would do it."""

    def __init__(self, env, run_id, trace_id):
        self.env, self.id, self.trace = env, run_id, trace_id
        self.dir = os.path.join(env.home, ".claude-docker", "runs", run_id)
        self.stage = os.path.join(self.dir, "stage")
        self.outbox = os.path.join(self.dir, "outbox")
        self.tree = os.path.join(self.outbox, "tree")
        self.journal_path = os.path.join(self.outbox, "journal.jsonl")
        self.seq = 0

    def staged(self, rel):
        return Env.read(os.path.join(self.stage, "tree", rel))

    def open_outbox(self, begin=True):
        os.makedirs(self.tree, exist_ok=True)
        if begin:
            self.record({"op": "begin", "format": "claude-outbox/1", "run_id": self.id, "trace_id": self.trace})
        return self

    def record(self, rec, raw=None):
        if raw is None:
            rec = dict(rec)
            rec["seq"] = self.seq
            rec.setdefault("time", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
            raw = json.dumps(rec, separators=(",", ":")).encode() + b"\n"
        self.seq += 1
        with open(self.journal_path, "ab") as f:
            f.write(raw)

    def tree_path(self, rel):
        return os.path.join(os.fsencode(self.tree), os.fsencode(rel))

    def put(self, rel, data, mode=0o644, journal=True, record=None):
        """Publishes REL (str or bytes) with DATA in tree/ and journals it (the record's path is
        REL decoded with surrogateescape unless RECORD overrides fields)."""
        if isinstance(data, str):
            data = data.encode()
        dest = self.tree_path(rel)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        if os.path.lexists(dest) and not os.path.isdir(dest):
            os.unlink(dest)
        with open(dest, "wb") as f:
            f.write(data)
        os.chmod(dest, mode)
        if journal:
            r = {"op": "put", "path": os.fsdecode(rel) if isinstance(rel, bytes) else rel, "size": len(data),
                 "sha256": sha(data), "mode": mode}
            r.update(record or {})
            self.record(r)

    def append(self, rel, data):
        dest = self.tree_path(rel)
        offset = os.path.getsize(dest)
        with open(dest, "ab") as f:
            f.write(data.encode() if isinstance(data, str) else data)
        whole = Env.read(dest)
        self.record({"op": "append", "path": rel, "offset": offset, "size": len(whole), "sha256": sha(whole)})

    def delete(self, rel, journal=True):
        dest = self.tree_path(rel)
        if os.path.isdir(dest) and not os.path.islink(dest):
            shutil.rmtree(dest)
        elif os.path.lexists(dest):
            os.unlink(dest)
        if journal:
            self.record({"op": "delete", "path": rel})

    def symlink(self, rel, target, journal=True):
        dest = self.tree_path(rel)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        os.symlink(target, dest)
        if journal:
            self.record({"op": "symlink", "path": rel, "target": target})

    def report(self, name, data):
        d = os.path.join(self.outbox, "reports")
        os.makedirs(d, exist_ok=True)
        Env.write(os.path.join(d, name), data)

    def seed_from_stage(self):
        """What claude-init does first: every staged file is in the live dir, and so nothing
        is published for it (the outbox starts empty but for begin)."""
        return self

    def readback(self, *extra, timeout=120, user=None):
        return self.env.host("readback", "--run", self.id, *extra, timeout=timeout, user=user)

    def state(self):
        try:
            return json.loads(Env.read(os.path.join(self.dir, "state.json"))).get("state")
        except (OSError, ValueError) as e:
            return "unreadable (%s)" % e


class Init:
    """claude-init as PID 1 of a fresh pid namespace (unshare --pid --fork --mount-proc), with a
    live dir, an outbox and optionally a stage under $HOME/.claude*."""

    def __init__(self, env, stage=None, live=None, outbox=None, extra=()):
        self.env = env
        self.live = live or os.path.join(env.home, ".claude-config")
        self.outbox = outbox or os.path.join(env.home, ".claude-outbox")
        self.stage = stage or os.path.join(env.home, ".claude-nostage")
        self.port = free_port()
        self.extra = list(extra)
        self.logpath = os.path.join(env.logs, "init.%d.log" % self.port)
        os.makedirs(self.outbox, exist_ok=True)
        self.proc = None
        self.pid = None

    def start(self, child=("sleep", "infinity"), wait_ready=True, ready_seconds=20):
        if self.stage.endswith(".claude-nostage"):
            os.makedirs(self.live, exist_ok=True)
        argv = ["unshare", "--pid", "--fork", "--mount-proc", "--kill-child", self.env.init_bin,
                "--stage", self.stage, "--outbox", self.outbox, "--live-dir", self.live,
                "--health-port", str(self.port), "--run-id", "hostile-run", "--trace-id", "hostile-trace"] + self.extra + ["--"] + list(child)
        self.logf = open(self.logpath, "wb")
        self.proc = subprocess.Popen(argv, stdout=self.logf, stderr=subprocess.STDOUT, start_new_session=True)
        self.env.background.append(self.proc)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and self.pid is None:
            kids = subprocess.run(["pgrep", "-P", str(self.proc.pid)], stdout=subprocess.PIPE, text=True).stdout.split()
            if kids:
                self.pid = int(kids[0])
            elif self.proc.poll() is not None:
                break
            else:
                time.sleep(0.01)
        if wait_ready:
            deadline = time.monotonic() + ready_seconds
            while not self.get("/readyz")[0] == 200:
                check(self.proc.poll() is None, "the init exited (%s) before it was ready: %s" % (self.proc.returncode, one_line(self.log(), 400)))
                check(time.monotonic() < deadline, "the init was not ready within %d s: %s" % (ready_seconds, one_line(self.log(), 400)))
                time.sleep(0.05)
        return self

    maxrss_kib = 0

    def wait_exit(self, seconds=20):
        """The launcher's exit status; maxrss_kib: the peak RSS of the init (unshare waits for it,
        so its rusage counts the init)."""
        if self.proc.returncode is not None:
            return self.proc.returncode
        deadline = time.monotonic() + seconds
        while True:
            pid, status, ru = os.wait4(self.proc.pid, os.WNOHANG)
            if pid == self.proc.pid:
                self.proc.returncode = os.waitstatus_to_exitcode(status)
                self.maxrss_kib = ru.ru_maxrss
                return self.proc.returncode
            if time.monotonic() > deadline:
                raise CaseFailed("the init did not exit within %d s" % seconds)
            time.sleep(0.01)

    def log(self):
        try:
            return Env.read(self.logpath).decode("utf-8", "replace")
        except OSError:
            return ""

    def get(self, path, timeout=5):
        try:
            r = urllib.request.urlopen("http://127.0.0.1:%d%s" % (self.port, path), timeout=timeout)
            return r.status, r.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode("utf-8", "replace")
        except Exception as e:  # refused, reset, timed out
            return 0, str(e)

    def alive(self):
        if self.pid is None:
            return False
        try:
            with open("/proc/%d/stat" % self.pid) as f:
                return f.read().split(") ")[1][0] not in "ZX"
        except OSError:
            return False

    def hwm_kib(self):
        with open("/proc/%d/status" % self.pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
        return 0

    def barrier(self, timeout=30):
        p = run_measured([self.env.init_bin, "sync", "--health-port", str(self.port)], timeout=timeout)
        return p.rc, p.out.strip()

    def health(self):
        p = run_measured([self.env.init_bin, "health", "--health-port", str(self.port)], timeout=15)
        return p.rc, p.out.strip()

    def status(self):
        code, body = self.get("/status")
        try:
            return json.loads(body)
        except ValueError:
            return {"unparsed": body, "code": code}

    def events(self):
        try:
            return Env.read(os.path.join(self.outbox, "reports", "events.jsonl")).decode("utf-8", "replace")
        except OSError:
            return ""

    def stop(self, seconds=20):
        check(self.alive(), "the init died: %s" % one_line(self.log()[-600:], 600))
        os.kill(self.pid, signal.SIGTERM)
        return self.wait_exit(seconds)

    def run_report(self):
        try:
            return json.loads(Env.read(os.path.join(self.outbox, "reports", "run.json")))
        except (OSError, ValueError):
            return {}
