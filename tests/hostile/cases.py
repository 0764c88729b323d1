"""The hostile-input corpus: one function per case. Each case's docstring is one line saying
what is done; `expect` says what the tool must do. Every case also gets the harness's common
check (tests/hostile/corpus.py): nothing outside ~/.claude* changed (find + sha256), the canary
~/.ssh/id_ed25519 and authorized_keys stay byte-identical and never appear under ~/.claude*.

A case returns what it got (exit status and message excerpt, or health) for the table in
tests/README.md, and raises CaseFailed when the tool did not do what `expect` says.
"""
import json
import os
import random
import shutil
import signal
import socket
import stat
import subprocess
import threading
import time
import urllib.error
import urllib.request

# Memory bounds are the product's; under AddressSanitizer (its shadow memory, redzones and
# quarantine of freed blocks) the same runs take several times more, so the sanitizer
# build's tests scale every bound by CLAUDE_TEST_RSS_FACTOR (tests/CMakeLists.txt).
RSS_FACTOR = int(os.environ.get("CLAUDE_TEST_RSS_FACTOR", "1"))

from harness import CaseFailed, Env, Init, check, deep_json, first_line_with, one_line, sha

CASES = []


class Case:
    def __init__(self, fn, area, expect):
        self.fn, self.area, self.expect = fn, area, expect
        self.name = fn.__name__
        self.description = (fn.__doc__ or "").strip().splitlines()[0]


def case(area, expect):
    def deco(fn):
        CASES.append(Case(fn, area, expect))
        return fn
    return deco


# --- shared expectations ------------------------------------------------------------------------

def expect_exit(p, codes, *needles, what="claude-host"):
    check(not p.crashed(), "%s crashed (%s); output: %s" % (what, p.describe(), one_line(p.out, 400)))
    check(p.rc in codes, "%s: %s, expected exit %s; output: %s" % (what, p.describe(), "/".join(map(str, codes)), one_line(p.out, 600)))
    for n in needles:
        alts = n if isinstance(n, tuple) else (n,)
        check(any(a.lower() in p.out.lower() for a in alts),
              "%s (%s): the message lacks %s: %s" % (what, p.describe(), " or ".join(map(repr, alts)), one_line(p.out, 600)))
    first = needles[0] if needles and not isinstance(needles[0], tuple) else (needles[0][0] if needles else "")
    line = first_line_with(p.out, first) if first else ""
    return "%s: %s" % (p.describe(), line or one_line(p.out, 120))


def expect_quarantined(run):
    st = run.state()
    check(st == "quarantined", "run %s is %r in state.json, expected \"quarantined\"" % (run.id, st))


def expect_later_stage_works(env, run):
    """A bad run never blocks the next command: `claude-host stage` succeeds (and skips it)."""
    p = env.host("stage", "--json")
    check(not p.crashed(), "the next stage crashed (%s)" % p.describe())
    check(p.rc == 0, "the next stage failed after run %s (%s): %s" % (run.id, p.describe(), one_line(p.out, 400)))


def readback_refused(env, run, codes, needles, quarantine=True, later_stage=True, unchanged=True):
    """Read-back of a hostile run: the exit status, the message naming what, the home unchanged
    (when the whole run is refused), quarantine, and a later stage that works."""
    before = env.home_state()
    p = run.readback()
    got = expect_exit(p, codes, *needles)
    if unchanged:
        after = env.home_state()
        diff = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
        check(not diff, "the home changed though the run was refused: %s" % ", ".join(diff[:8]))
    if quarantine:
        expect_quarantined(run)
    if later_stage:
        expect_later_stage_works(env, run)
    return got


def clean_stop(run):
    """The report a cleanly stopped init writes last: then nothing in its outbox may be
    unjournaled or differ from its journal (a kill could explain neither)."""
    run.report("run.json", json.dumps({"format": "claude-report/1", "run_id": run.id, "trace_id": run.trace, "exit_code": 0,
                                       "clean_stop": True, "flush_complete": True, "errors": []}))


def good_run(env):
    """A staged run whose container changed a couple of things properly."""
    run = env.stage_run()
    run.open_outbox()
    run.put("commands/new.md", "from the container\n")
    return run


# ==== the stage, as input to claude-init ==========================================================

def staged_init(env, edit):
    run = env.stage_run()
    edit(run)
    init = Init(env, stage=run.stage, outbox=run.outbox)
    init.start(wait_ready=False)
    rc = init.wait_exit(30)
    return run, init, rc


def expect_seed_refused(env, run, init, rc, *needles):
    check(rc == 1, "the init exited %s on a hostile stage, expected 1 (refused); log: %s" % (rc, one_line(init.log(), 400)))
    log = init.log()
    for n in needles:
        alts = n if isinstance(n, tuple) else (n,)
        check(any(a.lower() in log.lower() for a in alts), "the refusal does not name %s: %s" % (" or ".join(map(repr, alts)), one_line(log, 500)))
    tree = os.path.join(run.outbox, "tree")
    published = [f for _, _, fs in os.walk(tree) for f in fs] if os.path.isdir(tree) else []
    check(not published, "files reached the outbox after a refused seed: %s" % published[:5])
    return "exit 1: " + log_excerpt(log, needles[0])


def log_excerpt(log, needle):
    """The message of the first log line naming NEEDLE, or any of a tuple of them (the init
    logs JSON lines)."""
    alts = needle if isinstance(needle, tuple) else (needle,)
    for line in log.splitlines():
        if not any(a.lower() in line.lower() for a in alts):
            continue
        try:
            line = json.loads(line).get("msg", line)
        except ValueError:
            pass
        return one_line(line, 160)
    return ""


def edit_manifest(run, fn):
    path = os.path.join(run.stage, "manifest.json")
    m = json.loads(Env.read(path))
    fn(m)
    os.chmod(path, 0o600)
    Env.write(path, json.dumps(m), 0o600)


def add_manifest_file(run, rel, data):
    edit_manifest(run, lambda m: m["files"].append({"path": rel, "size": len(data), "sha256": sha(data), "mode": 0o644}))


@case("stage", "exit 1, names manifest.json; nothing seeded or published")
def stage_manifest_truncated(env):
    """manifest.json cut in half"""
    def edit(run):
        p = os.path.join(run.stage, "manifest.json")
        d = Env.read(p)
        os.chmod(p, 0o600)
        Env.write(p, d[: len(d) // 2], 0o600)
    run, init, rc = staged_init(env, edit)
    return expect_seed_refused(env, run, init, rc, "manifest.json")


@case("stage", "exit 1, names manifest.json")
def stage_manifest_not_object(env):
    """manifest.json is a JSON array of garbage strings"""
    def edit(run):
        p = os.path.join(run.stage, "manifest.json")
        os.chmod(p, 0o600)
        Env.write(p, '["\\u0000", 1e999999, "x"]', 0o600)
    run, init, rc = staged_init(env, edit)
    return expect_seed_refused(env, run, init, rc, "manifest.json")


@case("stage", "exit 1, names manifest.json (unknown format)")
def stage_manifest_future_format(env):
    """manifest.json says format claude-stage/99"""
    run, init, rc = staged_init(env, lambda run: edit_manifest(run, lambda m: m.update(format="claude-stage/99")))
    return expect_seed_refused(env, run, init, rc, "manifest.json")


@case("stage", "exit 1, names settings.json (sha256 mismatch)")
def stage_hash_mismatch(env):
    """a staged file's bytes changed after staging, same size"""
    def edit(run):
        p = os.path.join(run.stage, "tree", "settings.json")
        d = bytearray(Env.read(p))
        d[2] ^= 0x01
        os.chmod(p, 0o600)
        Env.write(p, bytes(d), 0o600)
    run, init, rc = staged_init(env, edit)
    return expect_seed_refused(env, run, init, rc, "settings.json")


@case("stage", "exit 1, names CLAUDE.md (size mismatch)")
def stage_size_mismatch(env):
    """a staged file grew after staging"""
    def edit(run):
        p = os.path.join(run.stage, "tree", "CLAUDE.md")
        os.chmod(p, 0o600)
        with open(p, "ab") as f:
            f.write(b"more\n")
    run, init, rc = staged_init(env, edit)
    return expect_seed_refused(env, run, init, rc, "CLAUDE.md")


@case("stage", "exit 1, names the missing file")
def stage_file_missing(env):
    """the manifest lists a file the tree does not have"""
    run, init, rc = staged_init(env, lambda run: add_manifest_file(run, "commands/ghost.md", b"boo\n"))
    return expect_seed_refused(env, run, init, rc, "ghost.md")


@case("stage", "exit 1, names ../ path; nothing written beside the live dir")
def stage_traversal_dotdot(env):
    """a manifest entry ../.claude-escape/x.md, its file placed there with a matching hash"""
    data = b"escaped\n"

    def edit(run):
        Env.write(os.path.join(run.stage, ".claude-escape", "x.md"), data)
        add_manifest_file(run, "../.claude-escape/x.md", data)
    run, init, rc = staged_init(env, edit)
    got = expect_seed_refused(env, run, init, rc, "../.claude-escape/x.md")
    check(not os.path.lexists(os.path.join(env.home, ".claude-escape")), "the seed wrote ~/.claude-escape beside the live dir")
    return got


@case("stage", "exit 1, names the absolute path; the target is never written")
def stage_absolute_path(env):
    """a manifest entry with an absolute path into ~/.ssh"""
    data = b"ssh-ed25519 AAAA attacker\n"

    def edit(run):
        add_manifest_file(run, os.path.join(env.home, ".ssh", "authorized_keys2"), data)
    run, init, rc = staged_init(env, edit)
    check(not os.path.exists(os.path.join(env.home, ".ssh", "authorized_keys2")), "the seed wrote ~/.ssh/authorized_keys2")
    return expect_seed_refused(env, run, init, rc, "authorized_keys2")


@case("stage", "exit 1, names CLAUDE.md as a symlink; the key never reaches the live dir")
def stage_file_symlink_to_key(env):
    """tree/CLAUDE.md is a symlink to ~/.ssh/id_ed25519, the manifest holds the key's hash"""
    def edit(run):
        key = Env.read(env.key)
        p = os.path.join(run.stage, "tree", "CLAUDE.md")
        os.unlink(p)
        os.symlink(env.key, p)
        edit_manifest(run, lambda m: [f.update(size=len(key), sha256=sha(key)) for f in m["files"] if f["path"] == "CLAUDE.md"])
    run, init, rc = staged_init(env, edit)
    return expect_seed_refused(env, run, init, rc, "CLAUDE.md")


@case("stage", "exit 1, names commands/ (a link); nothing from ~/.ssh seeded")
def stage_dir_symlink_out(env):
    """tree/commands is a symlink to ~/.ssh, the manifest lists commands/authorized_keys"""
    def edit(run):
        p = os.path.join(run.stage, "tree", "commands")
        shutil.rmtree(p)
        os.symlink(os.path.join(env.home, ".ssh"), p)
        auth = Env.read(env.auth)
        edit_manifest(run, lambda m: (m.update(files=[f for f in m["files"] if not f["path"].startswith("commands/")]),
                                      m["files"].append({"path": "commands/authorized_keys", "size": len(auth), "sha256": sha(auth), "mode": 0o644})))
    run, init, rc = staged_init(env, edit)
    return expect_seed_refused(env, run, init, rc, "commands")


@case("stage", "exit 1, names the link and its target outside the tree")
def stage_manifest_symlink_escapes(env):
    """the manifest's symlinks list a link agents/keys -> ../../.ssh"""
    def edit(run):
        os.symlink("../../.ssh", os.path.join(run.stage, "tree", "agents", "keys"))
        edit_manifest(run, lambda m: m.setdefault("symlinks", []).append({"path": "agents/keys", "target": "../../.ssh"}))
    run, init, rc = staged_init(env, edit)
    check(not os.path.islink(os.path.join(env.home, ".claude-config", "agents", "keys")), "the escaping link was seeded")
    return expect_seed_refused(env, run, init, rc, "agents/keys")


@case("stage", "exit 1 at once (no hang), names CLAUDE.md as not a regular file")
def stage_fifo(env):
    """tree/CLAUDE.md is a FIFO nobody writes to"""
    def edit(run):
        p = os.path.join(run.stage, "tree", "CLAUDE.md")
        os.unlink(p)
        os.mkfifo(p)
    run, init, rc = staged_init(env, edit)
    return expect_seed_refused(env, run, init, rc, "CLAUDE.md")


@case("stage", "exit 1 naming manifest.json or its first bad entry; peak RSS under 1 GiB; no crash")
def stage_huge_manifest(env):
    """manifest.json of 160 MB (one padding string and 200 000 entries)"""
    def edit(run):
        p = os.path.join(run.stage, "manifest.json")
        m = json.loads(Env.read(p))
        m["padding"] = "x" * (150 << 20)
        m["files"] += [{"path": "todos/f%06d.json" % i, "size": 2, "sha256": "0" * 64, "mode": 420} for i in range(200000)]
        os.chmod(p, 0o600)
        Env.write(p, json.dumps(m), 0o600)
    run, init, rc = staged_init(env, edit)
    got = expect_seed_refused(env, run, init, rc, ("manifest.json", "todos/f000000.json"))
    check(init.maxrss_kib < (1024 << 10) * RSS_FACTOR, "the init's peak RSS was %d MiB for a 160 MB manifest" % (init.maxrss_kib >> 10))
    return got + " (peak RSS %d MiB)" % (init.maxrss_kib >> 10)


@case("stage", "exit 1, names manifest.json (nested too deep); no crash")
def stage_manifest_deep(env):
    """manifest.json is an array nested 100 000 deep"""
    def edit(run):
        p = os.path.join(run.stage, "manifest.json")
        os.chmod(p, 0o600)
        Env.write(p, deep_json(100000), 0o600)
    run, init, rc = staged_init(env, edit)
    check(rc >= 0 and rc < 128, "the init died of the manifest (status %s)" % rc)
    return expect_seed_refused(env, run, init, rc, "manifest.json")


@case("stage", "no crash: refused naming .claude.json (exit 1), or seeded byte-identical and ready")
def stage_claude_json_deep(env):
    """tree/.claude.json nested 100 000 deep, with a matching manifest entry"""
    data = deep_json(100000, "object")

    def edit(run):
        p = os.path.join(run.stage, "tree", ".claude.json")
        os.chmod(p, 0o600)
        Env.write(p, data, 0o600)
        edit_manifest(run, lambda m: [f.update(size=len(data), sha256=sha(data)) for f in m["files"] if f["path"] == ".claude.json"])
    run = env.stage_run()
    edit(run)
    init = Init(env, stage=run.stage, outbox=run.outbox)
    init.start(wait_ready=False)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and init.proc.poll() is None and init.get("/readyz")[0] != 200:
        time.sleep(0.05)
    rc = init.proc.poll()
    if rc is not None:
        check(rc == 1, "the init died of .claude.json (exit %s): %s" % (rc, one_line(init.log(), 300)))
        check(".claude.json" in init.log(), "the refusal does not name .claude.json: %s" % one_line(init.log(), 300))
        return "exit 1: " + log_excerpt(init.log(), ".claude.json")
    check(Env.read(os.path.join(init.live, ".claude.json")) == data, "the seeded .claude.json is not the staged bytes")
    check(init.stop() in (0, 143), "the init did not stop cleanly")
    return "seeded unchanged, ready"


@case("stage", "seeded byte-identical (the CLI reads lone surrogates); ready, health ok")
def stage_lone_surrogate(env):
    """tree/.claude.json holds a lone surrogate escape \\ud800"""
    run = env.stage_run()
    p = os.path.join(run.stage, "tree", ".claude.json")
    data = b'{"numStartups":3,"name":"half \\ud800 pair","projects":{},"theme":"dark"}\n'
    os.chmod(p, 0o600)
    Env.write(p, data, 0o600)
    edit_manifest(run, lambda m: [f.update(size=len(data), sha256=sha(data)) for f in m["files"] if f["path"] == ".claude.json"])
    init = Init(env, stage=run.stage, outbox=run.outbox).start()
    got = Env.read(os.path.join(init.live, ".claude.json"))
    check(got == data, "the seeded .claude.json differs from the staged bytes: %r" % got[:120])
    rc, h = init.health()
    check(rc == 0 and h == "ok", "health after seeding a lone surrogate: %s" % h)
    init.stop()
    return "seeded unchanged; health " + h


@case("stage", "exit 1, names the file (not valid UTF-8 / refused), or seeded under its exact name")
def stage_path_nul_and_control(env):
    """a manifest entry whose path holds a NUL byte"""
    def edit(run):
        add_manifest_file(run, "commands/a\u0000b.md", b"x")
    run, init, rc = staged_init(env, edit)
    return expect_seed_refused(env, run, init, rc, "commands/a")


@case("stage", "no write through the planted link (authorized_keys unchanged), nothing published from it")
def stage_live_dir_link_preplanted(env):
    """the live dir already holds .credentials.json -> ~/.ssh/authorized_keys when the seed runs"""
    run = env.stage_run()
    live = os.path.join(env.home, ".claude-config")
    os.makedirs(live)
    os.symlink(env.auth, os.path.join(live, ".credentials.json"))
    init = Init(env, stage=run.stage, outbox=run.outbox, live=live)
    init.start(wait_ready=False)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and init.proc.poll() is None and init.get("/readyz")[0] != 200:
        time.sleep(0.05)
    # The keys file must be untouched whatever happened (the common check); the live dir's
    # credentials must not be the key file's bytes or a link to it.
    rc = init.proc.poll()
    if rc is not None:
        check(rc == 1 and ".credentials.json" in init.log(), "exit %s: %s" % (rc, one_line(init.log(), 300)))
        return "exit 1: " + log_excerpt(init.log(), ".credentials.json")
    rc, b = init.barrier()
    check(init.alive(), "the init died")
    check(outbox_file(init, ".credentials.json") is None, "the planted link's target was published as the credentials")
    init.stop()
    return "ready; the planted link neither written through nor published (barrier: %s)" % b[:40]


# ==== the live dir: what a root agent in the container writes into the config dir =============

def live_init(env, **kw):
    return Init(env, **kw).start()


def settle_and_judge(env, init, name, published=None, allow_degraded=True):
    """After hostile live-dir input: the init is alive, a barrier answers, health is ok or
    degraded (never dead), the outbox stays consistent, NAME is named somewhere the user looks
    (the log, events.jsonl, /status) unless it was published; a clean stop reports it."""
    rc, b = init.barrier()
    check(init.alive(), "the init died: %s" % one_line(init.log()[-800:], 800))
    check(rc in (0, 1) and b, "claude-init sync gave no answer (%s): %s" % (rc, b))
    hrc, h = init.health()
    check(init.alive(), "the init died: %s" % one_line(init.log()[-800:], 800))
    check(h.startswith("ok") or (allow_degraded and h.startswith("degraded")),
          "health after hostile input: %s (exit %s)" % (h, hrc))
    named = ""
    if published is None:
        where = init.log() + init.events() + json.dumps(init.status())
        check(name in where, "%s is named nowhere (log, events.jsonl, /status)" % name)
        for line in init.events().splitlines():
            if name in line:
                try:
                    ev = json.loads(line)
                    named = "; %s: %s" % (ev.get("event", "event"), one_line(str(ev.get("reason") or ev.get("error") or ev.get("path")), 90))
                except ValueError:
                    pass
                break
    code = init.stop()
    check(code in (0, 143), "the init exited %s after SIGTERM" % code)
    return "alive; barrier: %s; health: %s%s" % (b[:60], h[:80], named)


def outbox_file(init, rel):
    p = os.path.join(os.fsencode(init.outbox), b"tree", os.fsencode(rel))
    return Env.read(p) if os.path.isfile(p) and not os.path.islink(p) else None


def check_outbox_consistent(env, init):
    checker = os.path.join(env.build, "tests", "sync_outbox_check")
    p = subprocess.run([checker, init.outbox], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
    check(p.returncode == 0, "the outbox is not consistent with its journal: %s" % one_line(p.stdout.decode("utf-8", "replace"), 400))


@case("live", "alive, barrier answers, health ok/degraded; the FIFO is skipped and named")
def live_fifo(env):
    """a FIFO commands/pipe.md in the live dir"""
    init = live_init(env)
    os.makedirs(init.live + "/commands")
    os.mkfifo(init.live + "/commands/pipe.md")
    return settle_and_judge(env, init, "commands/pipe.md")


@case("live", "alive, no hang; the outbox keeps the last good .claude.json or journals its delete; the FIFO is named")
def live_fifo_replaces_claude_json(env):
    """.claude.json replaced by a FIFO after it was published"""
    init = live_init(env)
    Env.write(init.live + "/.claude.json", '{"a":1}\n')
    init.barrier()
    os.unlink(init.live + "/.claude.json")
    os.mkfifo(init.live + "/.claude.json")
    rc, b = init.barrier()
    check(outbox_file(init, ".claude.json") in (b'{"a":1}\n', None), "the outbox's .claude.json is neither the last good one nor deleted")
    check_outbox_consistent(env, init)
    return settle_and_judge(env, init, ".claude.json")


@case("live", "alive; /dev/zero-like device never read; named")
def live_char_device_zero(env):
    """a character device (1,5 = /dev/zero) named settings.local.json"""
    init = live_init(env)
    os.mknod(init.live + "/settings.local.json", 0o644 | stat.S_IFCHR, os.makedev(1, 5))
    init.barrier()
    check(init.alive(), "the init died of a /dev/zero device")
    hwm = init.hwm_kib()
    check(hwm < (64 << 10) * RSS_FACTOR, "the init's peak RSS reached %d MiB (it read the device)" % (hwm >> 10))
    return settle_and_judge(env, init, "settings.local.json")


@case("live", "alive; the block device skipped and named")
def live_block_device(env):
    """a block device (7,0) named todos/disk.json"""
    init = live_init(env)
    os.makedirs(init.live + "/todos")
    os.mknod(init.live + "/todos/disk.json", 0o600 | stat.S_IFBLK, os.makedev(7, 0))
    return settle_and_judge(env, init, "todos/disk.json")


@case("live", "alive; the socket skipped and named")
def live_socket(env):
    """a listening unix socket agents/sock.md"""
    init = live_init(env)
    os.makedirs(init.live + "/agents")
    s = socket.socket(socket.AF_UNIX)
    s.bind(init.live + "/agents/sock.md")
    s.listen(1)
    try:
        return settle_and_judge(env, init, "agents/sock.md")
    finally:
        s.close()


@case("live", "alive; the link is not followed (no key in the outbox), named")
def live_symlink_abs_to_key(env):
    """CLAUDE.md -> $HOME/.ssh/id_ed25519 (absolute)"""
    init = live_init(env)
    os.symlink(env.key, init.live + "/CLAUDE.md")
    return settle_and_judge(env, init, "CLAUDE.md")


@case("live", "alive; the link is not followed, named")
def live_symlink_rel_to_key(env):
    """commands/k.md -> ../../.ssh/id_ed25519 (relative, out of the tree)"""
    init = live_init(env)
    os.makedirs(init.live + "/commands")
    os.symlink("../../.ssh/id_ed25519", init.live + "/commands/k.md")
    return settle_and_judge(env, init, "commands/k.md")


@case("live", "alive; the folder link is not walked, named")
def live_symlink_dir_to_ssh(env):
    """agents -> $HOME/.ssh (a folder link out of the tree)"""
    init = live_init(env)
    os.symlink(os.path.join(env.home, ".ssh"), init.live + "/agents")
    got = settle_and_judge(env, init, "agents")
    check(not os.path.exists(os.path.join(init.outbox, "tree", "agents", "id_ed25519")), "the key was published under agents/")
    return got


def resolves_inside(root, rel):
    """Whether the link at ROOT/REL, resolved through every link, stays under ROOT."""
    real = os.path.realpath(os.path.join(root, rel))
    root = os.path.realpath(root)
    return real == root or real.startswith(root + os.sep)


@case("live", "alive; no link published that resolves outside the tree; s1 named")
def live_symlink_chain(env):
    """a/b/c/s2 -> ../../.. and a/b/c/s1 -> s2/../.ssh (each lexically inside)"""
    init = live_init(env)
    os.makedirs(init.live + "/a/b/c")
    os.symlink("../../..", init.live + "/a/b/c/s2")
    os.symlink("s2/../.ssh", init.live + "/a/b/c/s1")
    init.barrier()
    tree = os.path.join(init.outbox, "tree")
    for rel in ("a/b/c/s1", "a/b/c/s2"):
        p = os.path.join(tree, rel)
        if os.path.islink(p):
            check(resolves_inside(tree, rel), "the outbox holds %s -> %s, which resolves outside the tree" % (rel, os.readlink(p)))
    return settle_and_judge(env, init, "a/b/c/s1")


@case("live", "alive, healthy; the loop never followed; outbox consistent")
def live_symlink_loop(env):
    """x.md -> y.md -> x.md"""
    init = live_init(env)
    os.symlink("y.md", init.live + "/x.md")
    os.symlink("x.md", init.live + "/y.md")
    init.barrier()
    check_outbox_consistent(env, init)
    return settle_and_judge(env, init, "x.md", published=True)


@case("live", "alive; memory stays under 128 MiB; published or named")
def live_huge_file(env):
    """a 384 MiB sparse file todos/huge.bin"""
    init = live_init(env)
    os.makedirs(init.live + "/todos")
    with open(init.live + "/todos/huge.bin", "wb") as f:
        f.truncate(384 << 20)
    rc, b = init.barrier(timeout=120)
    check(init.alive(), "the init died of a 384 MiB file: %s" % one_line(init.log()[-500:], 500))
    hwm = init.hwm_kib()
    check(hwm < (128 << 10) * RSS_FACTOR, "the init's peak RSS reached %d MiB" % (hwm >> 10))
    got = settle_and_judge(env, init, "todos/huge.bin", published=True)
    return got + "; peak RSS %d MiB" % (hwm >> 10)


@case("live", "alive; memory under 128 MiB; not published (not JSON), named, health degraded")
def live_huge_json(env):
    """settings.json becomes 384 MiB of NUL bytes then '{' (sparse)"""
    init = live_init(env)
    with open(init.live + "/settings.json", "wb") as f:
        f.truncate(384 << 20)
        f.seek(0, 2)
        f.write(b"{")
    rc, b = init.barrier(timeout=120)
    check(init.alive(), "the init died of a 384 MiB settings.json")
    hwm = init.hwm_kib()
    check(hwm < (128 << 10) * RSS_FACTOR, "the init's peak RSS reached %d MiB reading a 384 MiB .json" % (hwm >> 10))
    return settle_and_judge(env, init, "settings.json") + "; peak RSS %d MiB" % (hwm >> 10)


@case("live", "alive; memory under 128 MiB; the torn 300 MB line not published")
def live_huge_log_line(env):
    """a session log gets one 300 MB line without a newline (sparse)"""
    init = live_init(env)
    p = init.live + "/projects/-w/s.jsonl"
    Env.write(p, '{"uuid":"1"}\n')
    init.barrier()
    with open(p, "r+b") as f:
        f.truncate(300 << 20)
        f.seek(0, 2)
        f.write(b'"x"')
    rc, b = init.barrier(timeout=120)
    check(init.alive(), "the init died of a 300 MB log line")
    hwm = init.hwm_kib()
    check(hwm < (128 << 10) * RSS_FACTOR, "peak RSS %d MiB" % (hwm >> 10))
    got = settle_and_judge(env, init, "s.jsonl", published=True)
    check(outbox_file(init, "projects/-w/s.jsonl") == b'{"uuid":"1"}\n', "the outbox log is not its last whole line")
    return got + "; peak RSS %d MiB" % (hwm >> 10)


@case("live", "published under its exact bytes, journaled reversibly (no U+FFFD); health ok")
def live_non_utf8_name(env):
    """commands/\\xff\\xfe-bad.md (a name that is not UTF-8)"""
    init = live_init(env)
    name = b"commands/\xff\xfe-bad.md"
    os.makedirs(init.live + "/commands")
    Env.write(os.path.join(os.fsencode(init.live), name), b"latin\n")
    rc, b = init.barrier()
    check(outbox_file(init, name) == b"latin\n", "the outbox has no file under the exact name bytes")
    journal = Env.read(os.path.join(init.outbox, "journal.jsonl"))
    check("\ufffd".encode() not in journal and b"\\ufffd" not in journal, "the journal carries a replacement character for the name")
    return settle_and_judge(env, init, "bad.md", published=True, allow_degraded=False)


@case("live", "a session log in a folder whose name is not UTF-8 published under the exact bytes; health ok")
def live_non_utf8_folder(env):
    """projects/-caf\\xe9-proj/s.jsonl (a folder name that is not UTF-8), then an append"""
    init = live_init(env)
    rel = b"projects/-caf\xe9-proj/s.jsonl"
    p = os.path.join(os.fsencode(init.live), rel)
    Env.write(p, b'{"uuid":"1"}\n')
    init.barrier()
    with open(p, "ab") as f:
        f.write(b'{"uuid":"2"}\n')
    rc, b = init.barrier()
    check(outbox_file(init, rel) == b'{"uuid":"1"}\n{"uuid":"2"}\n', "the log under a non-UTF-8 folder is not in the outbox as written (barrier: %s)" % b)
    journal = Env.read(os.path.join(init.outbox, "journal.jsonl"))
    check("\ufffd".encode() not in journal and b"\\ufffd" not in journal, "the journal carries a replacement character for the folder name")
    return settle_and_judge(env, init, "s.jsonl", published=True, allow_degraded=False)


@case("live", "a 255-byte name published and rewritten; health ok")
def live_name_255(env):
    """a file with a 255-byte name, written then rewritten"""
    init = live_init(env)
    name = "commands/" + "n" * 252 + ".md"
    os.makedirs(init.live + "/commands")
    Env.write(init.live + "/" + name, "one\n")
    init.barrier()
    Env.write(init.live + "/" + name, "two\n")
    rc, b = init.barrier()
    check(outbox_file(init, name) == b"two\n", "the rewrite of a 255-byte name never reached the outbox (barrier: %s)" % b)
    return settle_and_judge(env, init, name, published=True, allow_degraded=False)


@case("live", "a 240-byte name rewritten 3 times: every version published; health ok")
def live_name_240_rewrites(env):
    """a 240-byte name rewritten (the temp name must still fit in 255 bytes)"""
    init = live_init(env)
    name = "agents/" + "r" * 237 + ".md"
    os.makedirs(init.live + "/agents")
    for i in range(3):
        Env.write(init.live + "/" + name, "v%d\n" % i)
        init.barrier()
        check(outbox_file(init, name) == ("v%d\n" % i).encode(), "version %d of a 240-byte name not published" % i)
    return settle_and_judge(env, init, name, published=True, allow_degraded=False)


def make_deep(root, levels, seg):
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    for _ in range(levels):
        try:
            os.mkdir(seg, dir_fd=fd)
        except FileExistsError:
            pass
        nfd = os.open(seg, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
        os.close(fd)
        fd = nfd
    return fd


def read_deep(root, levels, seg, name):
    try:
        fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
        for _ in range(levels):
            nfd = os.open(seg, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = nfd
        f = os.open(name, os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        data = os.read(f, 1 << 20)
        os.close(f)
        return data
    except OSError:
        return None


@case("live", "a file below a path longer than PATH_MAX is published, or health names it (never a silent 'complete')")
def live_path_beyond_path_max(env):
    """todos/ + 24 folders of 200 bytes (4.8 KB) + deep.json"""
    init = live_init(env)
    os.makedirs(init.live + "/todos")
    fd = make_deep(init.live + "/todos", 24, "d" * 200)
    f = os.open("deep.json", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
    os.write(f, b'{"deep":true}\n')
    os.close(f)
    os.close(fd)
    rc, b = init.barrier()
    data = read_deep(init.outbox + "/tree/todos", 24, "d" * 200, "deep.json")
    if data != b'{"deep":true}\n':
        hrc, h = init.health()
        check(b.startswith("sync incomplete") and h.startswith(("degraded", "unhealthy")),
              "the deep file was not published, yet barrier said %r and health %r" % (b, h))
        return "not published; barrier: %s; health: %s" % (b[:60], h[:60])
    return settle_and_judge(env, init, "deep.json", published=True, allow_degraded=False)


def deep_input_case(env, rel, data, prime=b'{"a":1}\n'):
    """REL goes from a good version to DATA: the init stays alive; DATA is carried through
    unchanged, or the last good version stays and health is degraded naming REL."""
    init = live_init(env)
    Env.write(os.path.join(init.live, rel), prime)
    init.barrier()
    Env.write(os.path.join(init.live, rel), data)
    rc, b = init.barrier()
    check(init.alive(), "the init died of %s: %s" % (rel, one_line(init.log()[-600:], 600)))
    out = outbox_file(init, rel)
    if out == data:
        return settle_and_judge(env, init, rel, published=True, allow_degraded=False) + "; carried unchanged"
    check(out == prime, "the outbox's %s is neither the last good version nor the new bytes" % rel)
    hrc, h = init.health()
    check(h.startswith(("degraded", "unhealthy")),
          "%s was not published, yet health says %r (the barrier said %r)" % (rel, h, b))
    return settle_and_judge(env, init, rel) + "; not published, reported"


@case("live", "alive; carried unchanged or reported (degraded, named)")
def live_settings_deep(env):
    """settings.json nested 100 000 deep"""
    return deep_input_case(env, "settings.json", deep_json(100000, "object"))


@case("live", "alive; carried unchanged or reported (degraded, named)")
def live_claude_json_deep(env):
    """.claude.json nested 100 000 deep"""
    return deep_input_case(env, ".claude.json", deep_json(100000, "array"))


@case("live", "alive; the deep line carried or the log reported (degraded, named)")
def live_log_line_deep(env):
    """a session log line nested 100 000 deep"""
    init = live_init(env)
    rel = "projects/-w/deep.jsonl"
    Env.write(os.path.join(init.live, rel), '{"uuid":"1"}\n')
    init.barrier()
    with open(os.path.join(init.live, rel), "ab") as f:
        f.write(deep_json(100000) + b"\n")
    rc, b = init.barrier()
    check(init.alive(), "the init died of a deep log line")
    out = outbox_file(init, rel) or b""
    if out.endswith(deep_json(100000) + b"\n"):
        return settle_and_judge(env, init, rel, published=True, allow_degraded=False) + "; carried"
    hrc, h = init.health()
    check(h.startswith(("degraded", "unhealthy")), "the deep line was dropped with health %r" % h)
    return settle_and_judge(env, init, "deep.jsonl") + "; reported"


@case("live", ".claude.json with a lone surrogate published byte-identical; health ok")
def live_lone_surrogate_claude_json(env):
    """.claude.json holds "\\udc00" (JSON.stringify writes lone surrogates so)"""
    data = b'{"numStartups":2,"lastPrompt":"cut \\udc00 here","projects":{}}\n'
    init = live_init(env)
    Env.write(init.live + "/.claude.json", data)
    rc, b = init.barrier()
    check(outbox_file(init, ".claude.json") == data, "a .claude.json with a lone surrogate never reached the outbox (barrier: %s)" % b)
    return settle_and_judge(env, init, ".claude.json", published=True, allow_degraded=False)


@case("live", "settings.json with a lone surrogate published byte-identical; health ok")
def live_lone_surrogate_settings(env):
    """settings.json holds "\\ud83d" without its pair"""
    data = b'{"model":"opus","statusLine":"\\ud83d"}\n'
    init = live_init(env)
    Env.write(init.live + "/settings.json", data)
    rc, b = init.barrier()
    check(outbox_file(init, "settings.json") == data, "settings.json with a lone surrogate not published (barrier: %s)" % b)
    return settle_and_judge(env, init, "settings.json", published=True, allow_degraded=False)


@case("live", "a log line with a lone surrogate appended unchanged; health ok")
def live_lone_surrogate_log(env):
    """a session-log line with "\\udfff" alone"""
    init = live_init(env)
    rel = "projects/-w/s.jsonl"
    Env.write(os.path.join(init.live, rel), '{"uuid":"1"}\n')
    init.barrier()
    with open(os.path.join(init.live, rel), "ab") as f:
        f.write(b'{"uuid":"2","text":"\\udfff"}\n')
    rc, b = init.barrier()
    check(outbox_file(init, rel) == b'{"uuid":"1"}\n{"uuid":"2","text":"\\udfff"}\n',
          "the lone-surrogate line was not appended (barrier: %s)" % b)
    return settle_and_judge(env, init, rel, published=True, allow_degraded=False)


@case("live", "invalid JSON kept out, the last good version stays; reported (degraded, named)")
def live_invalid_json_stays(env):
    """settings.json left as '{"model":' for good"""
    return deep_input_case(env, "settings.json", b'{"model":')


@case("live", "alive; NUL bytes in .claude.json kept out or carried; named if kept out")
def live_binary_claude_json(env):
    """.claude.json overwritten with 1 MiB of random bytes"""
    return deep_input_case(env, ".claude.json", os.urandom(1 << 20))


@case("live", "the new live dir's files are published; health says so until in sync")
def live_dir_replaced(env):
    """the live dir moved away and a new one made with new files"""
    init = live_init(env)
    Env.write(init.live + "/CLAUDE.md", "old\n")
    init.barrier()
    os.rename(init.live, init.live + ".old")
    os.makedirs(init.live + "/commands")
    Env.write(init.live + "/commands/after.md", "after the swap\n")
    Env.write(init.live + "/CLAUDE.md", "new\n")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and outbox_file(init, "commands/after.md") is None:
        init.barrier()
        time.sleep(0.2)
    check(outbox_file(init, "commands/after.md") == b"after the swap\n", "a file in the new live dir was never published")
    check(outbox_file(init, "CLAUDE.md") == b"new\n", "CLAUDE.md of the new live dir was never published")
    return settle_and_judge(env, init, "commands/after.md", published=True)


@case("live", "removal noticed (health not ok, names the live dir); files of the recreated dir published")
def live_dir_removed_recreated(env):
    """rm -rf of the live dir, then a new one with files"""
    init = live_init(env)
    Env.write(init.live + "/CLAUDE.md", "v1\n")
    init.barrier()
    shutil.rmtree(init.live)
    time.sleep(0.5)
    hrc, h = init.health()
    check(init.alive(), "the init died when its live dir was removed")
    check(not h.startswith("ok"), "health says %r with the live dir gone" % h)
    os.makedirs(init.live)
    Env.write(init.live + "/CLAUDE.md", "v2\n")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and outbox_file(init, "CLAUDE.md") != b"v2\n":
        init.barrier()
        time.sleep(0.2)
    check(outbox_file(init, "CLAUDE.md") == b"v2\n", "the recreated live dir's CLAUDE.md was never published")
    return settle_and_judge(env, init, "CLAUDE.md", published=True) + "; while gone: " + h[:60]


@case("live", "nothing from ~/.ssh published; health not ok, names the live dir")
def live_dir_becomes_symlink(env):
    """the live dir replaced by a symlink to $HOME/.ssh"""
    init = live_init(env)
    Env.write(init.live + "/CLAUDE.md", "v1\n")
    init.barrier()
    shutil.rmtree(init.live)
    os.symlink(os.path.join(env.home, ".ssh"), init.live)
    init.barrier()
    time.sleep(0.5)
    init.barrier()
    check(init.alive(), "the init died")
    check(outbox_file(init, "id_ed25519") is None and outbox_file(init, "authorized_keys") is None,
          "the keys were published through a live dir that became a link")
    hrc, h = init.health()
    check(not h.startswith("ok"), "health says %r with the live dir a link to ~/.ssh" % h)
    init.stop()
    os.unlink(init.live)
    return "alive; keys not published; health: " + h[:80]


@case("live", "alive; a folder swapped for a file and back handled, named or published")
def live_dir_file_swap(env):
    """commands/ replaced by a file named commands, then by a folder again, 20 times"""
    init = live_init(env)
    os.makedirs(init.live + "/commands")
    Env.write(init.live + "/commands/a.md", "a\n")
    init.barrier()
    for i in range(20):
        shutil.rmtree(init.live + "/commands")
        Env.write(init.live + "/commands", "file %d\n" % i)
        os.unlink(init.live + "/commands")
        os.makedirs(init.live + "/commands")
        Env.write(init.live + "/commands/a.md", "a%d\n" % i)
    init.barrier()
    check(outbox_file(init, "commands/a.md") == b"a19\n", "the last version of commands/a.md is not in the outbox")
    check_outbox_consistent(env, init)
    return settle_and_judge(env, init, "commands/a.md", published=True, allow_degraded=False)


@case("live", "alive; .credentials.json -> /etc/shadow not followed, named")
def live_credentials_link(env):
    """.credentials.json replaced by a link to /etc/shadow"""
    init = live_init(env)
    os.symlink("/etc/shadow", init.live + "/.credentials.json")
    got = settle_and_judge(env, init, ".credentials.json")
    check(outbox_file(init, ".credentials.json") is None, "the link's target was published as credentials")
    return got


@case("live", "alive; 3000 files in 50 ms all published; outbox consistent")
def live_flood(env):
    """3000 new files in one burst plus 300 renames"""
    init = live_init(env)
    os.makedirs(init.live + "/todos")
    for i in range(3000):
        Env.write(init.live + "/todos/t%04d.json" % i, '{"i":%d}' % i)
    for i in range(300):
        os.rename(init.live + "/todos/t%04d.json" % i, init.live + "/todos/r%04d.json" % i)
    init.barrier(timeout=60)
    check_outbox_consistent(env, init)
    check(outbox_file(init, "todos/r0299.json") == b'{"i":299}', "a renamed file is missing from the outbox")
    return settle_and_judge(env, init, "todos", published=True, allow_degraded=False)


# ==== the outbox, written directly as a compromised container would =============================

@case("outbox", "exit 1, 'symlink' naming tree; quarantined; no key in ~/.claude; next stage works")
def ob_tree_symlink_to_ssh(env):
    """outbox/tree is a symlink to $HOME/.ssh"""
    run = env.stage_run()
    os.makedirs(run.outbox, exist_ok=True)
    if os.path.isdir(run.tree):
        os.rmdir(run.tree)
    os.symlink(os.path.join(env.home, ".ssh"), run.tree)
    run.record({"op": "begin", "format": "claude-outbox/1", "run_id": run.id, "trace_id": run.trace})
    return readback_refused(env, run, (1,), ["symlink", "tree"])


@case("outbox", "exit 1, 'symlink' naming outbox; quarantined; next stage works")
def ob_outbox_symlink_to_ssh(env):
    """runs/<id>/outbox is a symlink to $HOME/.ssh"""
    run = env.stage_run()
    if os.path.isdir(run.outbox):
        shutil.rmtree(run.outbox)
    os.symlink(os.path.join(env.home, ".ssh"), run.outbox)
    return readback_refused(env, run, (1,), ["symlink", "outbox"])


@case("outbox", "exit 1, 'symlink' naming journal.jsonl; authorized_keys untouched")
def ob_journal_symlink_to_authorized_keys(env):
    """journal.jsonl is a symlink to ~/.ssh/authorized_keys (a torn-line cut would truncate it)"""
    run = env.stage_run()
    os.makedirs(run.tree, exist_ok=True)
    os.symlink(env.auth, run.journal_path)
    return readback_refused(env, run, (1,), ["symlink", "journal.jsonl"])


@case("outbox", "exit 1, 'symlink' naming reports; no key in the host logs")
def ob_reports_symlink(env):
    """outbox/reports is a symlink to $HOME/.ssh"""
    run = good_run(env)
    os.symlink(os.path.join(env.home, ".ssh"), os.path.join(run.outbox, "reports"))
    return readback_refused(env, run, (1,), ["symlink", "reports"], quarantine=False, unchanged=False)


@case("outbox", "exit 1, 'symlink' naming events.jsonl; the key is not appended to the host log")
def ob_events_symlink_to_key(env):
    """reports/events.jsonl is a symlink to ~/.ssh/id_ed25519"""
    run = good_run(env)
    os.makedirs(os.path.join(run.outbox, "reports"), exist_ok=True)
    os.symlink(env.key, os.path.join(run.outbox, "reports", "events.jsonl"))
    return readback_refused(env, run, (1,), ["symlink", "events.jsonl"], quarantine=False, unchanged=False)


@case("outbox", "exit 1, 'symlink' naming run.json")
def ob_run_json_symlink(env):
    """reports/run.json is a symlink to ~/.ssh/id_ed25519"""
    run = good_run(env)
    os.makedirs(os.path.join(run.outbox, "reports"), exist_ok=True)
    os.symlink(env.key, os.path.join(run.outbox, "reports", "run.json"))
    return readback_refused(env, run, (1,), ["symlink", "run.json"], quarantine=False, unchanged=False)


@case("outbox", "exit 1, 'symlink' naming commands; authorized_keys never copied into ~/.claude")
def ob_tree_dir_symlink(env):
    """tree/commands -> $HOME/.ssh, journal puts commands/authorized_keys with its real hash"""
    run = env.stage_run()
    run.open_outbox()
    os.symlink(os.path.join(env.home, ".ssh"), os.path.join(run.tree, "commands"))
    auth = Env.read(env.auth)
    run.record({"op": "put", "path": "commands/authorized_keys", "size": len(auth), "sha256": sha(auth), "mode": 0o644})
    got = readback_refused(env, run, (1,), ["symlink", "commands"])
    check(not os.path.exists(env.home + "/.claude/commands/authorized_keys"), "authorized_keys was copied into ~/.claude")
    return got


@case("outbox", "exit 1, 'symlink' naming CLAUDE.md; the host CLAUDE.md unchanged")
def ob_tree_file_symlink(env):
    """tree/CLAUDE.md -> ~/.ssh/authorized_keys, journaled with that file's hash"""
    run = env.stage_run()
    run.open_outbox()
    os.symlink(env.auth, os.path.join(run.tree, "CLAUDE.md"))
    auth = Env.read(env.auth)
    run.record({"op": "put", "path": "CLAUDE.md", "size": len(auth), "sha256": sha(auth), "mode": 0o644})
    return readback_refused(env, run, (1,), ["symlink", "CLAUDE.md"])


@case("outbox", "exit 1, 'symlink' naming .credentials.json; host credentials unchanged")
def ob_credentials_symlink(env):
    """tree/.credentials.json -> ~/.ssh/id_ed25519, journaled with the key's hash"""
    run = env.stage_run()
    run.open_outbox()
    os.symlink(env.key, os.path.join(run.tree, ".credentials.json"))
    key = Env.read(env.key)
    run.record({"op": "put", "path": ".credentials.json", "size": len(key), "sha256": sha(key), "mode": 0o600})
    return readback_refused(env, run, (1,), ["symlink", ".credentials.json"])


@case("outbox", "exit 1 naming commands/out; no link created that resolves outside ~/.claude")
def ob_symlink_record_absolute(env):
    """a journaled symlink commands/out -> $HOME/.ssh (absolute target)"""
    run = good_run(env)
    run.symlink("commands/out", os.path.join(env.home, ".ssh"))
    p = run.readback()
    got = expect_exit(p, (1,), ("commands/out", os.path.join(env.home, ".ssh")))
    check(not os.path.lexists(env.home + "/.claude/commands/out"), "read-back created ~/.claude/commands/out -> ~/.ssh")
    return got


@case("outbox", "exit 1 naming agents/up; no escaping link in ~/.claude")
def ob_symlink_record_relative_escape(env):
    """a journaled symlink agents/up -> ../../.ssh"""
    run = good_run(env)
    run.symlink("agents/up", "../../.ssh")
    p = run.readback()
    got = expect_exit(p, (1,), ("agents/up", "../../.ssh"))
    check(not os.path.lexists(env.home + "/.claude/agents/up"), "read-back created agents/up -> ../../.ssh")
    return got


def escaping_links_in_home(env):
    bad = []
    top = env.home + "/.claude"
    for dirpath, dirnames, filenames in os.walk(top):
        for n in dirnames + filenames:
            p = os.path.join(dirpath, n)
            if os.path.islink(p) and not resolves_inside(top, os.path.relpath(p, top)):
                bad.append("%s -> %s" % (os.path.relpath(p, env.home), os.readlink(p)))
    return bad


@case("outbox", "run 1: exit 1 naming a/b/c/s1, no escaping link; run 2: ~/.ssh/authorized_keys untouched")
def ob_link_chain_two_runs(env):
    """the issue's chain: a/b/c/s2 -> ../../.., a/b/c/s1 -> s2/../.ssh, then a file at a/b/c/s1/authorized_keys"""
    run = env.stage_run()
    run.open_outbox()
    run.put("a/b/c/keep.md", "x\n")
    run.symlink("a/b/c/s2", "../../..")
    run.symlink("a/b/c/s1", "s2/../.ssh")
    p = run.readback()
    got1 = expect_exit(p, (1,), "a/b/c/s1")
    bad = escaping_links_in_home(env)
    check(not bad, "read-back created links that resolve outside ~/.claude: %s" % bad)
    run2 = env.stage_run()
    run2.open_outbox()
    run2.put("a/b/c/s1/authorized_keys", "ssh-ed25519 AAAA attacker@evil\n")
    p2 = run2.readback()
    check(not p2.crashed(), "run 2 read-back crashed")
    return got1 + " | run 2: " + p2.describe()


@case("outbox", "clean stop; exit 1, NOT VERIFIED naming settings.json; host settings.json unchanged; quarantined")
def ob_hash_mismatch_settings(env):
    """tree/settings.json's bytes differ from its journal record (same size)"""
    run = good_run(env)
    run.put("settings.json", '{"model":"haiku"}\n')
    Env.write(run.tree + "/settings.json", '{"model":"evilx"}\n')
    clean_stop(run)
    got = readback_refused(env, run, (1,), [("NOT VERIFIED", "did not verify"), "settings.json"], unchanged=False)
    check(b"evilx" not in Env.read(env.home + "/.claude/settings.json"), "the unverified settings.json was merged")
    check(os.path.exists(env.home + "/.claude/commands/new.md"), "the verified commands/new.md was not merged")
    return got


@case("outbox", "no run.json (init killed): the unjournaled file is not merged and is named; exit 0/1")
def ob_unjournaled_after_kill(env):
    """tree/commands/evil.md with no journal record and no run.json (as after a kill)"""
    run = good_run(env)
    Env.write(run.tree + "/commands/evil.md", "rm -rf ~\n")
    p = run.readback()
    got = expect_exit(p, (0, 1), "commands/evil.md")
    check(not os.path.exists(env.home + "/.claude/commands/evil.md"), "an unjournaled file was merged")
    return got


@case("outbox", "clean stop; exit 1, NOT VERIFIED naming .claude.json; host ~/.claude.json unchanged")
def ob_hash_mismatch_claude_json(env):
    """tree/.claude.json does not match its journal sha256"""
    run = env.stage_run()
    run.open_outbox()
    d = json.loads(run.staged(".claude.json"))
    d["numStartups"] = 4
    run.put(".claude.json", json.dumps(d))
    d["evil"] = True
    Env.write(run.tree + "/.claude.json", json.dumps(d))
    clean_stop(run)
    before = Env.read(env.home + "/.claude.json")
    got = readback_refused(env, run, (1,), [("NOT VERIFIED", "did not verify"), ".claude.json"], unchanged=False)
    check(Env.read(env.home + "/.claude.json") == before, "the unverified .claude.json was merged")
    return got


@case("outbox", "clean stop; exit 1, NOT VERIFIED naming CLAUDE.md (size)")
def ob_size_mismatch(env):
    """tree/CLAUDE.md is longer than its journal record says"""
    run = good_run(env)
    run.put("CLAUDE.md", "# container\n")
    with open(run.tree + "/CLAUDE.md", "ab") as f:
        f.write(b"injected\n")
    clean_stop(run)
    got = readback_refused(env, run, (1,), [("NOT VERIFIED", "did not verify"), "CLAUDE.md"], unchanged=False)
    check(b"injected" not in Env.read(env.home + "/.claude/CLAUDE.md"), "the unverified CLAUDE.md was merged")
    return got


@case("outbox", "clean stop; exit 1, NOT VERIFIED naming commands/evil.md (no journal record); not merged")
def ob_unjournaled_file(env):
    """tree/commands/evil.md with no journal record"""
    run = good_run(env)
    Env.write(run.tree + "/commands/evil.md", "rm -rf ~\n")
    clean_stop(run)
    got = readback_refused(env, run, (1,), [("NOT VERIFIED", "did not verify"), "commands/evil.md"], unchanged=False)
    check(not os.path.exists(env.home + "/.claude/commands/evil.md"), "an unjournaled file was merged")
    return got


@case("outbox", "exit 1 naming the ../ path; ~/.ssh untouched")
def ob_journal_dotdot_put(env):
    """a put record ../.ssh/authorized_keys, its file at outbox/.ssh/authorized_keys"""
    run = env.stage_run()
    run.open_outbox()
    data = b"ssh-ed25519 AAAA attacker@evil\n"
    Env.write(run.outbox + "/.ssh/authorized_keys", data)
    run.record({"op": "put", "path": "../.ssh/authorized_keys", "size": len(data), "sha256": sha(data), "mode": 0o644})
    return readback_refused(env, run, (1,), ["../.ssh/authorized_keys"])


@case("outbox", "exit 1 naming the absolute path; the target untouched")
def ob_journal_absolute_put(env):
    """a put record with an absolute path ROOT/outside/victim.txt"""
    run = env.stage_run()
    run.open_outbox()
    target = os.path.join(env.outside, "victim.txt")
    data = b"overwritten\n"
    Env.write(run.tree + target, data)
    run.record({"op": "put", "path": target, "size": len(data), "sha256": sha(data), "mode": 0o644})
    return readback_refused(env, run, (1,), [target])


@case("outbox", "exit 1 naming the path; ~/.ssh/id_ed25519 not deleted")
def ob_journal_dotdot_delete(env):
    """a delete record ../.ssh/id_ed25519"""
    run = good_run(env)
    run.record({"op": "delete", "path": "../.ssh/id_ed25519"})
    return readback_refused(env, run, (1,), ["../.ssh/id_ed25519"], unchanged=False)


@case("outbox", "exit 1 naming the path; the key not moved into ~/.claude")
def ob_journal_dotdot_rename(env):
    """a rename record from ../.ssh/id_ed25519 to commands/stolen.md"""
    run = good_run(env)
    run.record({"op": "rename", "from": "../.ssh/id_ed25519", "path": "commands/stolen.md"})
    got = readback_refused(env, run, (1,), ["../.ssh/id_ed25519"], unchanged=False)
    check(not os.path.exists(env.home + "/.claude/commands/stolen.md"), "the rename reached ~/.claude/commands/stolen.md")
    return got


@case("outbox", "exit 1 naming journal.jsonl and the bad path; quarantined")
def ob_journal_degenerate_paths(env):
    """put records with paths '', '.', 'commands/../..' and 'a//b'"""
    run = good_run(env)
    for p in ("", ".", "commands/../..", "a//b"):
        run.record({"op": "put", "path": p, "size": 0, "sha256": sha(b""), "mode": 0o644})
    return readback_refused(env, run, (1,), ["journal.jsonl", "path"], unchanged=False)


@case("outbox", "no crash; exit 1 naming the file (escaped); next stage and readback work")
def ob_non_utf8_name_unjournaled(env):
    """tree/commands/\\xff\\xfe.md (not UTF-8), not journaled"""
    run = good_run(env)
    Env.write(os.path.join(os.fsencode(run.tree), b"commands/\xff\xfe.md"), b"x\n")
    clean_stop(run)
    p = run.readback()
    got = expect_exit(p, (1,), "commands/")
    check("type_error" not in p.out and "type must be" not in p.out, "read-back died on a JSON type error: %s" % one_line(p.out, 300))
    expect_later_stage_works(env, run)
    return got


@case("outbox", "no crash; merged under its exact bytes (exit 0), or refused naming it (exit 1); next stage works")
def ob_non_utf8_name_journaled(env):
    """tree/agents/caf\\xe9.md journaled reversibly ("path_b64": base64 of the name's bytes)"""
    import base64
    run = good_run(env)
    rel = b"agents/caf\xe9.md"
    run.put(rel, b"latin-1 name\n", record={"path_b64": base64.b64encode(rel).decode()})
    # The record carries the name only as bytes (a plain "path" would be U+FFFD-lossy).
    lines = Env.read(run.journal_path).splitlines(keepends=True)
    last = json.loads(lines[-1])
    del last["path"]
    Env.write(run.journal_path, b"".join(lines[:-1]) + json.dumps(last).encode() + b"\n")
    p = run.readback()
    check(not p.crashed(), "read-back crashed: %s" % p.describe())
    check("type_error" not in p.out and "type must be" not in p.out, "read-back died on a JSON type error: %s" % one_line(p.out, 300))
    merged = os.path.join(os.fsencode(env.home), b".claude/" + rel)
    if p.rc == 0:
        check(os.path.isfile(merged) and Env.read(merged) == b"latin-1 name\n", "exit 0, yet ~/.claude/agents/caf\\xe9.md is not there as journaled")
        check(not any("\ufffd" in n for n in os.listdir(env.home + "/.claude/agents")), "a U+FFFD name was written")
        got = "exit 0: merged under its exact name"
    else:
        got = expect_exit(p, (1,), ("agents/caf", "journal.jsonl"))
    expect_later_stage_works(env, run)
    return got


@case("outbox", "no crash; exit 1 naming journal.jsonl, or exit 0 with the file merged under its exact name; next stage works")
def ob_journal_raw_invalid_utf8(env):
    """a journal line whose path string holds raw \\xff bytes"""
    run = good_run(env)
    run.record(None, raw=b'{"seq":9,"op":"put","path":"commands/\xff.md","size":1,"sha256":"' + sha(b"x").encode() + b'","mode":420}\n')
    Env.write(os.path.join(os.fsencode(run.tree), b"commands/\xff.md"), b"x")
    p = run.readback()
    check(not p.crashed(), "read-back crashed: %s" % p.describe())
    merged = os.path.join(os.fsencode(env.home), b".claude/commands/\xff.md")
    if p.rc == 0:
        # Names are bytes: a reader that takes the raw name must merge it under exactly it.
        check(os.path.isfile(merged) and Env.read(merged) == b"x", "exit 0, yet commands/\\xff.md is not in ~/.claude as journaled")
        got = "exit 0: merged under its exact name"
    else:
        got = expect_exit(p, (1,), "journal.jsonl")
    expect_later_stage_works(env, run)
    return got


@case("outbox", "exit 1, 'nested deeper than' naming .claude.json; quarantined; next stage works")
def ob_claude_json_deep(env):
    """tree/.claude.json nested 100 000 deep, journaled correctly"""
    run = good_run(env)
    run.put(".claude.json", deep_json(100000, "object"), 0o600)
    return readback_refused(env, run, (1,), ["nested deeper than", ".claude.json"], unchanged=False)


@case("outbox", "exit 1, 'nested deeper than' naming settings.json")
def ob_settings_deep(env):
    """tree/settings.json nested 100 000 deep, journaled correctly"""
    run = good_run(env)
    run.put("settings.json", deep_json(100000))
    got = readback_refused(env, run, (1,), ["nested deeper than", "settings.json"], unchanged=False)
    check(len(Env.read(env.home + "/.claude/settings.json")) < 1000, "the deep settings.json reached the home")
    return got


@case("outbox", "no crash; exit 1 naming journal.jsonl (nested deeper than)")
def ob_journal_deep_line(env):
    """a journal line nested 100 000 deep"""
    run = good_run(env)
    run.record(None, raw=deep_json(100000, "object") + b"\n")
    return readback_refused(env, run, (1,), ["journal.jsonl"], unchanged=False)


@case("outbox", "no crash; exit 0/1; the deep event not copied whole into the host log, or refused naming events.jsonl")
def ob_events_deep_line(env):
    """a reports/events.jsonl line nested 100 000 deep"""
    run = good_run(env)
    run.report("events.jsonl", deep_json(100000) + b"\n")
    p = run.readback()
    check(not p.crashed(), "read-back crashed: %s" % p.describe())
    check(p.rc in (0, 1), "exit %d" % p.rc)
    return "%s: %s" % (p.describe(), first_line_with(p.out, "events.jsonl") or one_line(p.out, 100))


@case("outbox", "no crash; exit 1 naming run.json (nested deeper than)")
def ob_run_json_deep(env):
    """reports/run.json nested 100 000 deep"""
    run = good_run(env)
    run.report("run.json", deep_json(100000, "object"))
    p = run.readback()
    return expect_exit(p, (1,), "run.json")


@case("outbox", "exit 1 'larger than' naming journal.jsonl; peak RSS under 128 MiB")
def ob_journal_huge(env):
    """journal.jsonl of 300 MB (records, then a sparse tail)"""
    run = good_run(env)
    with open(run.journal_path, "r+b") as f:
        f.seek(0, 2)
        tm = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()).encode()
        f.write(b"".join(b'{"seq":%d,"op":"delete","path":"todos/none%d.json","time":"%s"}\n' % (i, i, tm)
                         for i in range(run.seq, run.seq + 100000)))
        f.truncate(300 << 20)
        f.seek(0, 2)
        f.write(b"\n")
    p = run.readback()
    got = expect_exit(p, (1,), "journal.jsonl", "larger than")
    check(p.maxrss_kib < (128 << 10) * RSS_FACTOR, "read-back's peak RSS was %d MiB for a 300 MB journal" % (p.maxrss_kib >> 10))
    return got + " (peak RSS %d MiB)" % (p.maxrss_kib >> 10)


@case("outbox", "exit 1 naming journal.jsonl; peak RSS under 128 MiB")
def ob_journal_billion_byte_line(env):
    """journal.jsonl with a 1 000 000 000-byte line (sparse) between records"""
    run = good_run(env)
    with open(run.journal_path, "r+b") as f:
        f.seek(0, 2)
        f.write(b'{"seq":50,"op":"put","path":"x","size":')
        f.truncate(f.tell() + 1000000000)
        f.seek(0, 2)
        f.write(b'1}\n')
    p = run.readback()
    got = expect_exit(p, (1,), "journal.jsonl")
    check(p.maxrss_kib < (128 << 10) * RSS_FACTOR, "read-back's peak RSS was %d MiB" % (p.maxrss_kib >> 10))
    return got + " (peak RSS %d MiB)" % (p.maxrss_kib >> 10)


@case("outbox", "exit 1 naming journal.jsonl (a line over 1 MiB)")
def ob_journal_long_line(env):
    """a 4 MiB journal line (a put whose path is 4 MiB long)"""
    run = good_run(env)
    run.record({"op": "put", "path": "a" * (4 << 20), "size": 0, "sha256": sha(b""), "mode": 420})
    return readback_refused(env, run, (1,), ["journal.jsonl"], unchanged=False)


@case("outbox", "at most 4 MiB of events copied to the host log, the rest 'not copied'; RSS under 128 MiB")
def ob_events_huge(env):
    """reports/events.jsonl of 300 MB (8 MiB of lines, then a sparse tail)"""
    run = good_run(env)
    line = json.dumps({"format": "claude-events/1", "event": "flood", "trace_id": run.trace, "pad": "p" * 200}).encode() + b"\n"
    os.makedirs(run.outbox + "/reports", exist_ok=True)
    with open(run.outbox + "/reports/events.jsonl", "wb") as f:
        f.write(line * ((8 << 20) // len(line)))
        f.truncate(300 << 20)
        f.seek(0, 2)
        f.write(b"\n")
    host_log = env.home + "/.claude-docker-events.jsonl"
    before = os.path.getsize(host_log) if os.path.exists(host_log) else 0
    p = run.readback()
    check(not p.crashed(), "read-back crashed: %s" % p.describe())
    grown = (os.path.getsize(host_log) if os.path.exists(host_log) else 0) - before
    check(grown <= (4 << 20) + (64 << 10), "the host events log grew by %d MiB" % (grown >> 20))
    check("not copied" in p.out, "the output does not say the rest was not copied: %s" % one_line(p.out, 300))
    check(p.maxrss_kib < (128 << 10) * RSS_FACTOR, "peak RSS %d MiB" % (p.maxrss_kib >> 10))
    return "%s: %s (host log +%d KiB)" % (p.describe(), first_line_with(p.out, "not copied"), grown >> 10)


@case("outbox", "at most 4 MiB of metrics copied, the rest 'not copied'")
def ob_metrics_huge(env):
    """reports/metrics.jsonl of 64 MiB of valid lines"""
    run = good_run(env)
    line = json.dumps({"format": "claude-metrics/1", "files_published": 1, "pad": "m" * 300}).encode() + b"\n"
    os.makedirs(run.outbox + "/reports", exist_ok=True)
    with open(run.outbox + "/reports/metrics.jsonl", "wb") as f:
        f.write(line * ((64 << 20) // len(line)))
    host_log = env.home + "/.claude-docker-metrics.jsonl"
    p = run.readback()
    check(not p.crashed(), "read-back crashed: %s" % p.describe())
    grown = os.path.getsize(host_log) if os.path.exists(host_log) else 0
    check(grown <= (4 << 20) + (64 << 10), "the host metrics log grew by %d MiB" % (grown >> 20))
    check("not copied" in p.out, "the output does not say the rest was not copied")
    return "%s: %s (host log %d KiB)" % (p.describe(), first_line_with(p.out, "not copied"), grown >> 10)


@case("outbox", "exit 1 naming run.json ('larger than'); no crash")
def ob_run_json_huge(env):
    """reports/run.json of 40 MiB"""
    run = good_run(env)
    run.report("run.json", json.dumps({"format": "claude-report/1", "errors": ["e" * 1000] * 40000}))
    p = run.readback()
    return expect_exit(p, (1,), "run.json")


@case("outbox", "exit 1 naming the outbox and the fix; the run stays pending (not read back)")
def ob_outbox_unreadable(env):
    """the outbox belongs to another user, mode 0700; read-back runs as the home's owner"""
    run = good_run(env)
    uid = 61000
    os.chmod(env.root, 0o755)
    subprocess.run(["chown", "-R", "%d:%d" % (uid, uid), env.home], check=True)
    subprocess.run(["chown", "-R", "%d:%d" % (uid + 1, uid + 1), run.outbox], check=True)
    os.chmod(run.outbox, 0o700)
    env.before = env.snapshot()
    st0 = run.state()
    p = run.readback(user=(uid, uid))
    got = expect_exit(p, (1,), "outbox")
    st = run.state()
    check(st == st0, "the run went from %r to %r though its outbox could not be read (it must stay pending)" % (st0, st))
    check(not os.path.exists(env.home + "/.claude/commands/new.md"), "something was merged")
    return got + " (state %s)" % st


@case("outbox", "exit 3 'held' with --accept-deletes; every host file still there")
def ob_bulk_rm(env):
    """the container ran rm -rf on its config dir: a delete record for every staged file"""
    run = env.stage_run()
    run.open_outbox()
    m = json.loads(Env.read(run.stage + "/manifest.json"))
    for f in m["files"]:
        run.record({"op": "delete", "path": f["path"]})
    before = env.home_state()
    p = run.readback()
    got = expect_exit(p, (3,), "held", "--accept-deletes")
    after = env.home_state()
    gone = sorted(k for k in before if k not in after)
    check(not gone, "files deleted without --accept-deletes: %s" % gone[:8])
    return got


@case("outbox", "exit 3 'held'; the session log kept")
def ob_delete_session_log(env):
    """the container deleted the project's session log only"""
    run = env.stage_run()
    run.open_outbox()
    rel = "projects/%s/s1.jsonl" % env.enc
    run.record({"op": "delete", "path": rel})
    p = run.readback()
    got = expect_exit(p, (3,), "held", "s1.jsonl")
    check(os.path.exists(env.home + "/.claude/" + rel), "the session log was deleted")
    return got


@case("outbox", "exit 1 naming the file; no file outside changed (hard link not trusted)")
def ob_hard_link_outside(env):
    """tree/CLAUDE.md is a hard link to ~/.ssh/authorized_keys, journaled with its hash"""
    run = env.stage_run()
    run.open_outbox()
    os.link(env.auth, run.tree + "/CLAUDE.md")
    auth = Env.read(env.auth)
    run.record({"op": "put", "path": "CLAUDE.md", "size": len(auth), "sha256": sha(auth), "mode": 0o644})
    try:
        p = run.readback()
        return expect_exit(p, (1,), "CLAUDE.md")
    finally:
        os.unlink(run.tree + "/CLAUDE.md")


@case("outbox", "exit 1; the hard-linked key never truncated or merged")
def ob_hard_link_log_torn(env):
    """a session log hard-linked to ~/.ssh/id_ed25519, journaled shorter (a 'torn append' to cut)"""
    run = env.stage_run()
    run.open_outbox()
    rel = "projects/%s/s1.jsonl" % env.enc
    os.makedirs(os.path.dirname(run.tree + "/" + rel), exist_ok=True)
    os.link(env.key, run.tree + "/" + rel)
    key = Env.read(env.key)
    run.record({"op": "put", "path": rel, "size": 10, "sha256": sha(key[:10]), "mode": 0o600})
    try:
        p = run.readback()
        return expect_exit(p, (1,), "s1.jsonl")
    finally:
        os.unlink(run.tree + "/" + rel)


@case("outbox", "exit 1 naming journal.jsonl; quarantined; next stage works")
def ob_journal_garbage(env):
    """journal.jsonl is 64 KiB of random bytes with newlines"""
    run = env.stage_run()
    os.makedirs(run.tree, exist_ok=True)
    rnd = random.Random(17)
    Env.write(run.journal_path, bytes(rnd.getrandbits(8) for _ in range(65536)).replace(b"\x00", b"\n"))
    return readback_refused(env, run, (1,), ["journal.jsonl"])


@case("outbox", "exit 1 naming journal.jsonl (format); quarantined")
def ob_journal_wrong_format(env):
    """journal begins with format claude-outbox/9"""
    run = env.stage_run()
    os.makedirs(run.tree, exist_ok=True)
    run.record({"op": "begin", "format": "claude-outbox/9", "run_id": run.id, "trace_id": run.trace})
    run.put("commands/x.md", "x")
    return readback_refused(env, run, (1,), ["journal.jsonl"])


@case("outbox", "exit 1 naming journal.jsonl (seq)")
def ob_journal_seq_replay(env):
    """journal records replayed with a repeated seq (a later put of settings.json with seq 1 again)"""
    run = good_run(env)
    run.put("settings.json", '{"model":"x"}')
    rec = json.loads(Env.read(run.journal_path).splitlines()[-1])
    rec["seq"] = 1
    run.record(None, raw=json.dumps(rec).encode() + b"\n")
    return readback_refused(env, run, (1,), ["journal.jsonl"], unchanged=False)


@case("outbox", "exit 1 at once naming CLAUDE.md (not a regular file); no hang")
def ob_tree_fifo(env):
    """tree/CLAUDE.md is a FIFO, journaled as a put"""
    run = env.stage_run()
    run.open_outbox()
    os.mkfifo(run.tree + "/CLAUDE.md")
    run.record({"op": "put", "path": "CLAUDE.md", "size": 5, "sha256": sha(b"hello"), "mode": 420})
    return readback_refused(env, run, (1,), ["CLAUDE.md"])


@case("outbox", "exit 1 at once naming settings.json (a device); never read")
def ob_tree_device(env):
    """tree/settings.json is the character device 1,5 (/dev/zero)"""
    run = env.stage_run()
    run.open_outbox()
    os.mknod(run.tree + "/settings.json", 0o644 | stat.S_IFCHR, os.makedev(1, 5))
    run.record({"op": "put", "path": "settings.json", "size": 4, "sha256": sha(b"\0\0\0\0"), "mode": 420})
    return readback_refused(env, run, (1,), ["settings.json"])


@case("outbox", "exit 1 naming the entry; ~/notes untouched")
def ob_write_through_home_link(env):
    """the user's ~/.claude/agents became a link to ~/notes; the container puts agents/new.md"""
    run = env.stage_run()
    run.open_outbox()
    run.put("agents/new.md", "planted\n")
    shutil.rmtree(env.home + "/.claude/agents")
    os.symlink(env.home + "/notes", env.home + "/.claude/agents")
    env.before = env.snapshot()
    p = run.readback()
    got = expect_exit(p, (1,), "agents/new.md")
    check(not os.path.exists(env.home + "/notes/new.md"), "read-back wrote ~/notes/new.md through ~/.claude/agents")
    return got


@case("outbox", "no crash; exit 1 naming the entry (a put over a folder)")
def ob_put_over_folder(env):
    """a put record for 'commands' (a folder on the host) with a file in tree/"""
    run = env.stage_run()
    run.open_outbox()
    run.put("commands", "now a file\n")
    p = run.readback()
    check(os.path.isdir(env.home + "/.claude/commands") and os.path.exists(env.home + "/.claude/commands/review.md"),
          "the host's commands/ folder was replaced")
    return expect_exit(p, (1, 3), "commands")


@case("outbox", "no crash; exit 0/1 naming run.json as not a report")
def ob_run_json_wrong_types(env):
    """reports/run.json is a JSON array of mixed types"""
    run = good_run(env)
    run.report("run.json", '[1,"x",{"errors":7},null]')
    p = run.readback()
    return expect_exit(p, (0, 1), "run.json")


@case("outbox", "the verified entries merge, the unverified listed; exit 1")
def ob_mixed_good_and_bad(env):
    """50 good files and one with a wrong hash in the same run"""
    run = good_run(env)
    for i in range(50):
        run.put("todos/g%02d.json" % i, '{"i":%d}' % i)
    run.put("todos/bad.json", '{"i":-1}')
    Env.write(run.tree + "/todos/bad.json", '{"i":-2}')
    clean_stop(run)
    p = run.readback()
    got = expect_exit(p, (1,), ("NOT VERIFIED", "did not verify"), "todos/bad.json")
    check(all(os.path.exists(env.home + "/.claude/todos/g%02d.json" % i) for i in range(50)), "verified files were not merged")
    check(not os.path.exists(env.home + "/.claude/todos/bad.json"), "the unverified file was merged")
    return got


@case("outbox", "exit 1 naming the run (a stage for the same home skips it with a note)")
def ob_quarantined_run_skipped_by_stage(env):
    """a run with a wrong-hash .claude.json, then two stages"""
    run = env.stage_run()
    run.open_outbox()
    run.put(".claude.json", '{"numStartups":9}')
    Env.write(run.tree + "/.claude.json", '{"numStartups":7}')
    clean_stop(run)
    p = env.host("stage", "--json")
    check(not p.crashed(), "stage crashed")
    check(p.rc == 0, "the stage that read the bad run back first failed: %s" % one_line(p.out, 300))
    check(run.id in p.out, "the stage's output does not name the skipped run %s" % run.id)
    p2 = env.host("stage", "--json")
    check(p2.rc == 0, "a second stage failed")
    expect_quarantined(run)
    return "stage exit 0: " + first_line_with(p.out, run.id)


@case("outbox", "no crash; exit 1, 'nested deeper than' naming .credentials.json; host credentials unchanged")
def ob_credentials_deep(env):
    """tree/.credentials.json nested 100 000 deep, journaled correctly"""
    run = good_run(env)
    run.put(".credentials.json", deep_json(100000, "object"), 0o600)
    before = Env.read(env.home + "/.claude/.credentials.json")
    got = readback_refused(env, run, (1,), ["nested deeper than", ".credentials.json"], unchanged=False)
    check(Env.read(env.home + "/.claude/.credentials.json") == before, "the host credentials changed")
    return got


@case("outbox", "exit 1, 'not written back' naming .credentials.json; host credentials unchanged")
def ob_credentials_planted(env):
    """tree/.credentials.json: a login that says it expires in 30 days (the newest by expiresAt)"""
    run = good_run(env)
    far = int(time.time() * 1000) + 30 * 24 * 3600 * 1000
    planted = {"claudeAiOauth": {"accessToken": "sk-ant-oat01-PLANTED", "refreshToken": "sk-ant-ort01-PLANTED",
                                 "expiresAt": far, "scopes": ["user:inference"]}}
    run.put(".credentials.json", json.dumps(planted).encode(), 0o600)
    before = Env.read(env.home + "/.claude/.credentials.json")
    p = run.readback()
    got = expect_exit(p, (1,), "not written back", ".credentials.json")
    check(Env.read(env.home + "/.claude/.credentials.json") == before, "the planted login replaced the host's")
    check("PLANTED" not in p.out, "a planted token is in read-back's output")
    return got


@case("outbox", "no crash; the deep line appended unchanged (exit 0), or refused naming the log (exit 1)")
def ob_log_line_deep(env):
    """a session log appended with a line nested 100 000 deep"""
    run = env.stage_run()
    run.open_outbox()
    rel = "projects/%s/s1.jsonl" % env.enc
    run.put(rel, run.staged(rel), 0o600)
    run.append(rel, deep_json(100000) + b"\n")
    p = run.readback()
    check(not p.crashed(), "read-back crashed: %s" % p.describe())
    log = Env.read(env.home + "/.claude/" + rel)
    if p.rc == 0:
        check(log.endswith(deep_json(100000) + b"\n"), "exit 0, yet the deep line is not in the host log")
        return "exit 0: appended unchanged"
    return expect_exit(p, (1,), "s1.jsonl")


@case("outbox", "the lone surrogate kept byte for byte in ~/.claude.json (exit 0/3), or refused naming .claude.json (exit 1); never dropped silently")
def ob_claude_json_lone_surrogate(env):
    """the container's .claude.json adds a key whose value holds "\\udc00" alone"""
    run = env.stage_run()
    run.open_outbox()
    staged = run.staged(".claude.json").rstrip()
    check(staged.endswith(b"}"), "unexpected staged .claude.json")
    data = staged[:-1] + b',"lastPrompt":"cut \\udc00 here"}\n'
    run.put(".claude.json", data, 0o600)
    p = run.readback()
    check(not p.crashed(), "read-back crashed: %s" % p.describe())
    host = Env.read(env.home + "/.claude.json")
    if p.rc in (0, 3):
        check(b"cut \\udc00 here" in host, "exit %d, yet ~/.claude.json lacks the container's key as written" % p.rc)
        return "%s: carried unchanged" % p.describe()
    return expect_exit(p, (1,), ".claude.json")


# ==== read-back semantics under hostile runs =====================================================

@case("readback", "--accept-deletes applies only the deletions of files still as staged; exit 0")
def rb_accept_deletes(env):
    """bulk delete held, then readback --accept-deletes with one file edited on the host meanwhile"""
    run = env.stage_run()
    run.open_outbox()
    m = json.loads(Env.read(run.stage + "/manifest.json"))
    for f in m["files"]:
        if f["path"] not in (".claude.json", ".credentials.json"):
            run.record({"op": "delete", "path": f["path"]})
    p = run.readback()
    expect_exit(p, (3,), "held")
    Env.write(env.home + "/.claude/CLAUDE.md", "# edited on the host meanwhile\n")
    p2 = run.readback("--accept-deletes")
    got = expect_exit(p2, (0, 3), "")
    check(not os.path.exists(env.home + "/.claude/commands/review.md"), "an accepted deletion was not applied")
    check(os.path.exists(env.home + "/.claude/CLAUDE.md"), "a file edited on the host was deleted")
    return got


@case("readback", "a few deletions (2 files, no log) applied; exit 0 (not held)")
def rb_small_delete_applied(env):
    """the container deleted commands/review.md and agents/helper.md"""
    run = env.stage_run()
    run.open_outbox()
    run.record({"op": "delete", "path": "commands/review.md"})
    run.record({"op": "delete", "path": "agents/helper.md"})
    p = run.readback()
    got = expect_exit(p, (0,))
    check(not os.path.exists(env.home + "/.claude/commands/review.md"), "a small deletion was held")
    return got


@case("readback", "host log untouched; container's kept as s1.jsonl.container-<run>; reported")
def rb_log_rotated(env):
    """the container's session log no longer starts with the staged bytes (rewritten)"""
    run = env.stage_run()
    run.open_outbox()
    rel = "projects/%s/s1.jsonl" % env.enc
    before = Env.read(env.home + "/.claude/" + rel)
    run.put(rel, '{"uuid":"rotated-1"}\n', 0o600)
    p = run.readback()
    check(not p.crashed(), "crashed")
    check(Env.read(env.home + "/.claude/" + rel) == before, "the host's session log was changed")
    side = env.home + "/.claude/" + rel + ".container-" + run.id
    check(os.path.exists(side) and Env.read(side) == b'{"uuid":"rotated-1"}\n', "the container's log is not kept beside")
    return expect_exit(p, (1, 3), "s1.jsonl")


@case("readback", "host log untouched; the truncated container log kept beside; reported")
def rb_log_truncated(env):
    """the container's session log truncated to its first 10 bytes"""
    run = env.stage_run()
    run.open_outbox()
    rel = "projects/%s/s1.jsonl" % env.enc
    before = Env.read(env.home + "/.claude/" + rel)
    run.put(rel, before[:10], 0o600)
    p = run.readback()
    check(not p.crashed(), "crashed")
    check(Env.read(env.home + "/.claude/" + rel) == before, "the host's session log was changed")
    check(os.path.exists(env.home + "/.claude/" + rel + ".container-" + run.id), "the container's log is not kept beside")
    return expect_exit(p, (1, 3), "s1.jsonl")


@case("readback", "whole lines past the journaled size taken, the torn rest not; exit 0")
def rb_kill_after_append(env):
    """a log's whole lines past its last journal record, then a torn line"""
    run = env.stage_run()
    run.open_outbox()
    rel = "projects/%s/s1.jsonl" % env.enc
    run.put(rel, run.staged(rel), 0o600)
    run.append(rel, '{"uuid":"3"}\n')
    with open(run.tree + "/" + rel, "ab") as f:
        f.write(b'{"uuid":"4"}\n{"uuid":"to')
    p = run.readback()
    got = expect_exit(p, (0,))
    log = Env.read(env.home + "/.claude/" + rel)
    check(log.endswith(b'{"uuid":"3"}\n{"uuid":"4"}\n'), "the host log is %r" % log[-60:])
    return got


@case("readback", "a second read-back of a quarantined run changes nothing, exit 0")
def rb_second_readback_quarantined(env):
    """read-back twice of a run with a hash mismatch"""
    run = good_run(env)
    run.put("settings.json", '{"model":"a"}')
    Env.write(run.tree + "/settings.json", '{"model":"b"}')
    run.readback()
    before = env.home_state()
    backups = sorted(os.listdir(env.home + "/.claude-docker/backups/snapshots")) if os.path.isdir(env.home + "/.claude-docker/backups/snapshots") else []
    p = run.readback()
    got = expect_exit(p, (0,))
    check(env.home_state() == before, "the second read-back changed the home")
    after_b = sorted(os.listdir(env.home + "/.claude-docker/backups/snapshots")) if os.path.isdir(env.home + "/.claude-docker/backups/snapshots") else []
    check(after_b == backups, "the second read-back took a backup")
    return got


@case("readback", "no crash, exit 1 naming .claude.json; host file unchanged")
def rb_claude_json_not_object(env):
    """the container's .claude.json is a JSON string, journaled"""
    run = env.stage_run()
    run.open_outbox()
    run.put(".claude.json", '"just a string"', 0o600)
    before = Env.read(env.home + "/.claude.json")
    p = run.readback()
    check(Env.read(env.home + "/.claude.json") == before or json.loads(Env.read(env.home + "/.claude.json")) != "just a string",
          "~/.claude.json became a string")
    return expect_exit(p, (1, 3), ".claude.json")


@case("readback", "a pending hostile run never blocks `stage`: exit 0 with a note")
def rb_stage_after_deep_run(env):
    """a run with a 100 000-deep .claude.json left pending, then `claude-host stage`"""
    run = env.stage_run()
    run.open_outbox()
    run.put(".claude.json", deep_json(100000), 0o600)
    p = env.host("stage", "--json")
    check(not p.crashed(), "stage crashed (%s): every later stage would" % p.describe())
    check(p.rc == 0, "stage failed: %s" % one_line(p.out, 300))
    return "stage exit 0"


@case("readback", "a folder of 5000 files deleted by the container is held (exit 3)")
def rb_folder_delete_held(env):
    """the container deleted todos/ holding files staged from the host"""
    env.make_claude_home()
    for i in range(40):
        env.write(env.home + "/.claude/todos/x%02d.json" % i, "[]")
    run = env.stage_run()
    run.open_outbox()
    run.record({"op": "delete", "path": "todos"})
    p = run.readback()
    got = expect_exit(p, (3,), "held")
    check(len(os.listdir(env.home + "/.claude/todos")) >= 40, "the folder's files were deleted")
    return got


@case("readback", "a log line with a lone surrogate and one with Latin-1 bytes appended byte for byte; exit 0")
def rb_log_odd_bytes_append(env):
    """the container's log appends a line with "\\udfff" and a line with raw \\xe9 bytes"""
    run = env.stage_run()
    run.open_outbox()
    rel = "projects/%s/s1.jsonl" % env.enc
    run.put(rel, run.staged(rel), 0o600)
    lines = b'{"uuid":"3","text":"\\udfff"}\n{"uuid":"4","text":"caf\xe9"}\n'
    run.append(rel, lines)
    p = run.readback()
    got = expect_exit(p, (0,))
    check(Env.read(env.home + "/.claude/" + rel).endswith(lines), "the host log does not end with the appended bytes")
    return got


# ==== the endpoint (loopback HTTP of PID 1) ======================================================

def endpoint_init(env):
    return live_init(env)


def healthy_after(init, what):
    check(init.alive(), "the init died of %s: %s" % (what, one_line(init.log()[-600:], 600)))
    rc, h = init.health()
    check(rc == 0 and h.startswith("ok"), "health after %s: %s" % (what, h))
    code, body = init.get("/readyz")
    check(code == 200, "/readyz after %s: %s %s" % (what, code, body))
    return h


def health_within(init, seconds):
    """`claude-init health` retried (as Docker's HEALTHCHECK retries) until it says ok or
    SECONDS pass: (ok, seconds taken, last answer)."""
    t0 = time.monotonic()
    while True:
        rc, h = init.health()
        took = time.monotonic() - t0
        if rc == 0 and h == "ok":
            return True, took, h
        if took > seconds:
            return False, took, h
        time.sleep(0.1)


def recv_status(s, timeout=10):
    s.settimeout(timeout)
    data = b""
    try:
        while b"\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    except (socket.timeout, ConnectionResetError, BrokenPipeError):
        pass
    line = data.split(b"\r\n", 1)[0].decode("latin-1")
    parts = line.split(" ")
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0


@case("endpoint", "413 before the body is read; init RSS stays under 64 MiB; healthy")
def ep_body_1gib(env):
    """POST /sync with Content-Length: 1 GiB and the body streamed"""
    init = endpoint_init(env)
    base = init.hwm_kib()
    s = socket.create_connection(("127.0.0.1", init.port))
    s.sendall(b"POST /sync HTTP/1.1\r\nHost: x\r\nContent-Length: 1073741824\r\n\r\n")
    chunk = b"\0" * (1 << 20)
    sent = 0
    s.settimeout(10)
    try:
        while sent < (1 << 30):
            s.sendall(chunk)
            sent += len(chunk)
    except (BrokenPipeError, ConnectionResetError, socket.timeout):
        pass
    status = recv_status(s)
    s.close()
    hwm = init.hwm_kib()
    check(init.alive(), "the init died of a 1 GiB body")
    check(hwm - base < (64 << 10) * RSS_FACTOR, "the init's peak RSS grew by %d MiB for a 1 GiB body" % ((hwm - base) >> 10))
    check(status == 413, "answered %s to a 1 GiB body, expected 413 (sent %d MiB)" % (status, sent >> 20))
    h = healthy_after(init, "a 1 GiB body")
    init.stop()
    return "413 after %d MiB sent; RSS +%d MiB; health %s" % (sent >> 20, (hwm - base) >> 10, h)


@case("endpoint", "413 or closed; RSS under 64 MiB more; healthy")
def ep_body_chunked_endless(env):
    """POST /sync with a chunked body of 512 MiB"""
    init = endpoint_init(env)
    base = init.hwm_kib()
    s = socket.create_connection(("127.0.0.1", init.port))
    s.sendall(b"POST /sync HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
    chunk = b"100000\r\n" + b"a" * 0x100000 + b"\r\n"
    sent = 0
    s.settimeout(10)
    try:
        while sent < (512 << 20):
            s.sendall(chunk)
            sent += 0x100000
    except (BrokenPipeError, ConnectionResetError, socket.timeout):
        pass
    status = recv_status(s)
    s.close()
    hwm = init.hwm_kib()
    check(init.alive(), "the init died of a chunked body")
    check(hwm - base < (64 << 10) * RSS_FACTOR, "peak RSS grew by %d MiB" % ((hwm - base) >> 10))
    check(status in (413, 400, 0), "answered %s" % status)
    h = healthy_after(init, "a chunked body")
    init.stop()
    return "status %s after %d MiB; RSS +%d MiB; health %s" % (status or "closed", sent >> 20, (hwm - base) >> 10, h)


@case("endpoint", "431 (or 400) for 1 MiB of headers; RSS bounded; healthy")
def ep_headers_1mib(env):
    """GET /healthz with 1 MiB of headers (one 1 MiB header and 8000 small ones)"""
    init = endpoint_init(env)
    base = init.hwm_kib()
    statuses = []
    for hdrs in (b"X-Big: " + b"b" * (1 << 20) + b"\r\n", b"".join(b"X-%d: %s\r\n" % (i, b"v" * 120) for i in range(8000))):
        s = socket.create_connection(("127.0.0.1", init.port))
        try:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + hdrs + b"\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        statuses.append(recv_status(s))
        s.close()
    hwm = init.hwm_kib()
    check(all(st in (431, 400, 413) for st in statuses), "answers to 1 MiB of headers: %s (expected 431)" % statuses)
    check(hwm - base < (32 << 10) * RSS_FACTOR, "peak RSS grew by %d MiB" % ((hwm - base) >> 10))
    h = healthy_after(init, "1 MiB headers")
    init.stop()
    return "answers %s; health %s" % (statuses, h)


@case("endpoint", "health answers ok within 5 s (retrying) while 64 slowloris connections trickle; RSS bounded")
def ep_slowloris(env):
    """64 connections each sending one header byte every 0.5 s for 8 s"""
    init = endpoint_init(env)
    socks = []
    for _ in range(64):
        s = socket.create_connection(("127.0.0.1", init.port))
        s.sendall(b"GET /status HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        socks.append(s)
    stop = threading.Event()

    def trickle():
        while not stop.is_set():
            for s in socks:
                try:
                    s.send(b"a")
                except OSError:
                    pass
            stop.wait(0.5)
    base = init.hwm_kib()
    t = threading.Thread(target=trickle, daemon=True)
    t.start()
    time.sleep(1)
    ok, took, h = health_within(init, 5)
    stop.set()
    t.join()
    for s in socks:
        s.close()
    check(init.alive(), "the init died")
    check(ok, "health under slowloris: %r after %.1f s of retries" % (h, took))
    check(init.hwm_kib() - base < (32 << 10) * RSS_FACTOR, "peak RSS grew by %d MiB" % ((init.hwm_kib() - base) >> 10))
    healthy_after(init, "slowloris")
    init.stop()
    return "health %s in %.2f s with 64 slow connections" % (h, took)


@case("endpoint", "health answers ok within 5 s (retrying) with 1000 idle connections open; no descriptor leak after")
def ep_many_connections(env):
    """1000 idle TCP connections to the endpoint"""
    init = endpoint_init(env)
    fds0 = len(os.listdir("/proc/%d/fd" % init.pid))
    socks = []
    for _ in range(1000):
        try:
            socks.append(socket.create_connection(("127.0.0.1", init.port), timeout=2))
        except OSError:
            break
    time.sleep(0.5)
    ok, took, h = health_within(init, 5)
    for s in socks:
        s.close()
    check(init.alive(), "the init died")
    check(ok, "health with 1000 open connections: %r after %.1f s of retries" % (h, took))
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and len(os.listdir("/proc/%d/fd" % init.pid)) > fds0 + 8:
        time.sleep(0.2)
    fds1 = len(os.listdir("/proc/%d/fd" % init.pid))
    check(fds1 <= fds0 + 8, "descriptors %d -> %d after the connections closed" % (fds0, fds1))
    init.stop()
    return "health %s in %.2f s with %d connections; fds %d -> %d" % (h, took, len(socks), fds0, fds1)


@case("endpoint", "garbage closed or 400; alive, healthy")
def ep_garbage_bytes(env):
    """16 connections sending 64 KiB of random bytes each, and a NUL-filled request line"""
    init = endpoint_init(env)
    rnd = random.Random(5)
    statuses = []
    for i in range(16):
        s = socket.create_connection(("127.0.0.1", init.port))
        try:
            s.sendall(bytes(rnd.getrandbits(8) for _ in range(65536)) if i else b"\0" * 4096 + b"\r\n\r\n")
        except OSError:
            pass
        statuses.append(recv_status(s, 5))
        s.close()
    check(all(st in (0, 400, 414, 431, 501, 505) for st in statuses), "answers to garbage: %s" % statuses)
    h = healthy_after(init, "garbage bytes")
    init.stop()
    return "answers %s; health %s" % (sorted(set(statuses)), h)


@case("endpoint", "404/400 for traversal URLs; no file content served; healthy")
def ep_path_traversal(env):
    """GET /../../etc/passwd, /%2e%2e/…/.ssh/id_ed25519, /status/../../…, //etc/shadow"""
    init = endpoint_init(env)
    rel_key = os.path.relpath(env.key, "/")
    answers = []
    for path in ("/../../etc/passwd", "/%2e%2e/%2e%2e/" + rel_key, "/status/../../../../" + rel_key,
                 "//etc/shadow", "/healthz/..%2f..%2f..%2fetc%2fpasswd", "/..\\..\\etc\\passwd"):
        s = socket.create_connection(("127.0.0.1", init.port))
        s.sendall(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        s.settimeout(5)
        data = b""
        try:
            while True:
                c = s.recv(65536)
                if not c:
                    break
                data += c
        except OSError:
            pass
        s.close()
        check(env.priv_marker not in data and b"root:" not in data, "%s served file content" % path)
        st = data.split(b" ", 2)[1].decode() if data.count(b" ") >= 2 else "closed"
        answers.append(st)
    check(all(a in ("404", "400", "closed", "405") for a in answers), "answers to traversal URLs: %s" % answers)
    h = healthy_after(init, "traversal URLs")
    init.stop()
    return "answers %s; health %s" % (answers, h)


@case("endpoint", "414/400 for a 1 MiB URL; RSS bounded; healthy")
def ep_long_url(env):
    """GET /status?x=<1 MiB>"""
    init = endpoint_init(env)
    base = init.hwm_kib()
    s = socket.create_connection(("127.0.0.1", init.port))
    try:
        s.sendall(b"GET /status?x=" + b"u" * (1 << 20) + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    except OSError:
        pass
    st = recv_status(s)
    s.close()
    check(st in (414, 400, 431, 0), "answer to a 1 MiB URL: %s" % st)
    check(init.hwm_kib() - base < (32 << 10) * RSS_FACTOR, "peak RSS grew by %d MiB" % ((init.hwm_kib() - base) >> 10))
    h = healthy_after(init, "a 1 MiB URL")
    init.stop()
    return "answer %s; health %s" % (st or "closed", h)


@case("endpoint", "health answers ok within 5 s (retrying) during 50 concurrent POST /sync; every barrier answered within 90 s")
def ep_sync_flood(env):
    """50 concurrent POST /sync while files change, and a health check in the middle"""
    init = endpoint_init(env)
    results = []
    N = 50

    def one():
        try:
            r = urllib.request.urlopen(urllib.request.Request("http://127.0.0.1:%d/sync" % init.port, method="POST", data=b""), timeout=90)
            results.append(r.status)
        except urllib.error.HTTPError as e:
            results.append(e.code)
        except Exception as e:
            results.append(str(e)[:40])
    threads = [threading.Thread(target=one) for _ in range(N)]
    for i, t in enumerate(threads):
        t.start()
        Env.write(init.live + "/todos/f%03d.json" % i, "[%d]" % i)
    ok_h, took, h = health_within(init, 5)
    for t in threads:
        t.join(100)
    answered = sum(1 for r in results if isinstance(r, int))
    check(answered == N, "%d of %d barriers answered within 90 s: %s" % (answered, N, sorted(set(map(str, results)))[:5]))
    check(ok_h, "health during the barrier flood: %r after %.1f s of retries" % (h, took))
    healthy_after(init, "a barrier flood")
    init.stop()
    return "health %s in %.2f s during the flood; %d/%d barriers answered (%s)" % (h, took, answered, N, sorted(set(map(str, results))))


@case("endpoint", "a request with a huge Content-Length on GET refused; healthy")
def ep_negative_content_length(env):
    """GET /healthz with Content-Length: -1, then 99999999999999999999"""
    init = endpoint_init(env)
    statuses = []
    for cl in (b"-1", b"99999999999999999999"):
        s = socket.create_connection(("127.0.0.1", init.port))
        s.sendall(b"POST /sync HTTP/1.1\r\nHost: x\r\nContent-Length: " + cl + b"\r\n\r\nabc")
        statuses.append(recv_status(s, 5))
        s.close()
    check(all(st in (400, 413, 0) for st in statuses), "answers: %s" % statuses)
    h = healthy_after(init, "bad Content-Length")
    init.stop()
    return "answers %s; health %s" % (statuses, h)
