#!/usr/bin/env python3
"""Crash soak of `claude-host readback`: SIGKILL at random moments while it merges a run with
many files, session logs and a .claude.json edited on both sides.

  readback_soak.py BUILD_DIR        rounds: $HOSTILE_SOAK_ROUNDS (200 by default), seed: $HOSTILE_SOAK_SEED

A reference read-back of the same run from the same home gives the "new" state. Then each
round restores the home as it was before the read-back, starts one, kills it (SIGKILL) after a
random delay within its usual duration, and checks:
  - every file under ~/.claude and ~/.claude.json is its old or its new version (a session
    log may also be its old bytes plus whole lines of what is appended to it: an append-only
    log is never torn); nothing else appeared there;
  - the next read-back (not killed) completes, exits as the reference did (or 0), and leaves
    exactly the new state, and no ~/.claude.json.lock;
  - nothing outside ~/.claude* changed and the canary keys never travel (the corpus's check).
"""
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import CaseFailed, Env, check, one_line  # noqa: E402


def contents(env):
    """Bytes of every file (links as 'link:target') under ~/.claude and ~/.claude.json."""
    out = {}
    p = env.home + "/.claude.json"
    if os.path.lexists(p):
        out[".claude.json"] = Env.read(p)
    for dirpath, dirnames, filenames in os.walk(env.home + "/.claude"):
        for n in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            q = os.path.join(dirpath, n)
            rel = os.path.relpath(q, env.home)
            out[rel] = ("link:" + os.readlink(q)).encode() if os.path.islink(q) else Env.read(q)
    return out


def build_run(env):
    """A home with ~600 files and a run whose container changed ~half of them."""
    env.make_claude_home()
    h = env.home + "/.claude"
    rnd = random.Random(7)
    for i in range(200):
        env.write("%s/commands/c%03d.md" % (h, i), "command %d\n" % i + "x" * rnd.randint(10, 4000))
    for i in range(80):
        env.write("%s/agents/a%03d.md" % (h, i), "agent %d\n" % i)
    for i in range(60):
        env.write("%s/todos/t%03d.json" % (h, i), json.dumps([{"content": "todo %d" % i, "status": "pending"}]))
    logs = []
    for i in range(12):
        rel = "projects/%s/log%02d.jsonl" % (env.enc, i)
        env.write(h + "/" + rel, "".join(json.dumps({"cwd": env.proj, "uuid": "%d-%d" % (i, j), "pad": "p" * 80}) + "\n"
                                          for j in range(300)), 0o600)
        logs.append(rel)
    cj = json.loads(Env.read(env.home + "/.claude.json"))
    cj["projects"].update({"/proj/p%03d" % i: {"allowedTools": [], "n": i} for i in range(300)})
    env.write(env.home + "/.claude.json", json.dumps(cj, indent=2))
    run = env.stage_run()
    run.open_outbox()
    for i in range(0, 200, 2):
        run.put("commands/c%03d.md" % i, "container version of %d\n" % i + "y" * rnd.randint(10, 4000))
    for i in range(40):
        run.put("agents/new%03d.md" % i, "new agent %d\n" % i)
    for rel in logs:
        run.put(rel, run.staged(rel), 0o600)
        run.append(rel, "".join(json.dumps({"cwd": env.proj, "uuid": "c-%d" % j}) + "\n" for j in range(40)))
    for i in range(3):
        run.delete("todos/t%03d.json" % i)
    d = json.loads(run.staged(".claude.json"))
    d["numStartups"] = 99
    d["containerKey"] = {"k%d" % i: i for i in range(200)}
    for i in range(0, 300, 3):
        d["projects"]["/proj/p%03d" % i]["n"] = -i
    run.put(".claude.json", json.dumps(d, indent=2), 0o600)
    run.put("settings.json", '{"model":"sonnet","from":"container"}\n')
    run.report("events.jsonl", "".join(json.dumps({"format": "claude-events/1", "event": "x", "i": i, "trace_id": run.trace}) + "\n"
                                       for i in range(2000)))
    run.report("metrics.jsonl", "".join(json.dumps({"format": "claude-metrics/1", "i": i}) + "\n" for i in range(200)))
    run.report("run.json", json.dumps({"format": "claude-report/1", "exit_code": 0, "clean_stop": True,
                                       "flush_complete": True, "errors": []}))
    # The host worked meanwhile: another key in .claude.json, a line in one log, a newer command.
    hj = json.loads(Env.read(env.home + "/.claude.json"))
    hj["hostKey"] = 1
    env.write(env.home + "/.claude.json", json.dumps(hj, indent=2))
    with open(h + "/" + logs[0], "a") as f:
        f.write(json.dumps({"uuid": "host-line"}) + "\n")
    env.write(h + "/commands/c004.md", "host edit, newer\n")
    return run


def is_temp(rel):
    """A temp file a writer was killed before renaming: tolerated after a kill, as long as the
    next read-back leaves none (the final state is compared in full)."""
    base = os.path.basename(rel)
    return ".claude-init-tmp." in base or ".tmp." in base


def judge_killed(old, new, cur):
    """Problems with CUR, a home after a killed read-back (see the module's docstring)."""
    bad = []
    for rel in sorted(set(old) | set(new) | set(cur)):
        if rel not in old and rel not in new and is_temp(rel):
            continue
        o, n, c = old.get(rel), new.get(rel), cur.get(rel)
        if c == o or c == n:
            continue
        if c is not None and rel.endswith(".jsonl") and o is not None and n is not None and n.startswith(o) \
                and c.startswith(o) and n.startswith(c) and c.endswith(b"\n"):
            continue  # an append-only log part way through whole lines
        what = "absent" if c is None else "%d bytes" % len(c)
        bad.append("%s: %s (old %s, new %s)" % (rel, what, "absent" if o is None else len(o), "absent" if n is None else len(n)))
    return bad


def main(argv):
    build = argv[1]
    rounds = int(os.environ.get("HOSTILE_SOAK_ROUNDS", "200"))
    seed = int(os.environ.get("HOSTILE_SOAK_SEED", str(int(time.time()))))
    rnd = random.Random(seed)
    # SIGKILL, not power loss: what is durable on disk does not matter here, only what the
    # process left in place. A tmpfs makes each read-back's fsyncs free (about 40 ms each on a
    # loaded disk), so that 200 rounds fit in a few minutes.
    if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) and "HOSTILE_SOAK_TMPDIR" not in os.environ:
        os.environ["TMPDIR"] = "/dev/shm"
    elif "HOSTILE_SOAK_TMPDIR" in os.environ:
        os.environ["TMPDIR"] = os.environ["HOSTILE_SOAK_TMPDIR"]
    env = Env(build)
    try:
        run = build_run(env)
        env.begin()
        pristine = env.logs + "/pristine-home"
        subprocess.run(["cp", "-a", env.home, pristine], check=True)
        old = contents(env)

        def restore():
            shutil.rmtree(env.home)
            subprocess.run(["cp", "-a", pristine, env.home], check=True)

        t0 = time.monotonic()
        ref = run.readback("--lock-timeout", "10")
        took = time.monotonic() - t0
        check(not ref.crashed() and ref.rc in (0, 3), "the reference read-back: %s: %s" % (ref.describe(), one_line(ref.out, 400)))
        new = contents(env)
        check(new != old, "the reference read-back changed nothing")
        env.verify_outside_unchanged()
        print("reference read-back: %s in %.3f s; %d files before, %d after; seed %d, %d rounds"
              % (ref.describe(), took, len(old), len(new), seed, rounds))
        stats = {"killed": 0, "finished_first": 0, "partial": 0, "logs_mid_append": 0, "temps_left": 0}
        window = max(took * 1.2, 0.05)
        # Half the rounds kill anywhere in the read-back's run; the other half aim at the part
        # where it writes: after the latest kill that left the old state, before the earliest
        # that left the new one (learnt as the rounds go).
        too_early, too_late = 0.0, window
        for r in range(rounds):
            restore()
            delay = rnd.uniform(0, window) if r % 2 == 0 or too_early >= too_late else rnd.uniform(too_early, too_late)
            p = subprocess.Popen([env.host_bin, "readback", "--run", run.id, "--lock-timeout", "10"], env=env.host_env(),
                                 cwd=env.proj, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(delay)
            if p.poll() is None:
                p.send_signal(signal.SIGKILL)
                stats["killed"] += 1
            else:
                stats["finished_first"] += 1
            p.wait()
            cur = contents(env)
            bad = judge_killed(old, new, cur)
            check(not bad, "round %d (kill after %.3f s, seed %d): torn or foreign files:\n  %s" % (r, delay, seed, "\n  ".join(bad[:10])))
            if any(is_temp(k) and k not in new for k in cur):
                stats["temps_left"] += 1
            if cur != old and cur != new:
                stats["partial"] += 1
            elif cur == old and p.returncode == -signal.SIGKILL:
                too_early = max(too_early, delay)
            elif cur == new and p.returncode == -signal.SIGKILL:
                too_late = min(too_late, delay)
            if any(cur.get(k) not in (old.get(k), new.get(k)) for k in cur if k.endswith(".jsonl")):
                stats["logs_mid_append"] += 1
            nxt = run.readback("--lock-timeout", "10", timeout=60)
            check(not nxt.crashed(), "round %d: the next read-back crashed: %s" % (r, nxt.describe()))
            check(nxt.rc in (0, ref.rc), "round %d (kill after %.3f s): the next read-back: %s: %s"
                  % (r, delay, nxt.describe(), one_line(nxt.out, 400)))
            final = contents(env)
            diff = sorted(k for k in set(final) | set(new) if final.get(k) != new.get(k))
            check(not diff, "round %d (kill after %.3f s, seed %d): the state after the next read-back differs from the reference: %s"
                  % (r, delay, seed, ", ".join(diff[:10])))
            check(not os.path.lexists(env.home + "/.claude.json.lock"),
                  "round %d (kill after %.3f s): ~/.claude.json.lock is left after the next read-back (Claude Code would wait on it)" % (r, delay))
            env.verify_outside_unchanged()
        print("ok - %d rounds: %d killed mid-way (%d left a mix of old and new files, %d a log part-way, %d a temp file "
              "the next read-back removed), %d finished first; every next read-back completed with the reference state"
              % (rounds, stats["killed"], stats["partial"], stats["logs_mid_append"], stats["temps_left"], stats["finished_first"]))
        return 0
    except CaseFailed as e:
        print("not ok - %s" % e)
        return 1
    finally:
        env.cleanup()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
