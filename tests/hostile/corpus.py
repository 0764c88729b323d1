#!/usr/bin/env python3
"""The hostile-input corpus's runner.

  corpus.py list                         one case name a line (tests/CMakeLists.txt registers each)
  corpus.py run BUILD_DIR CASE           runs one case; exit 0 when it held, 1 when not
  corpus.py table README RESULTS_DIR     rewrites the table in README between its markers from
                                         the results the runs left in RESULTS_DIR
  corpus.py selftest BUILD_DIR           proves the common check can fail: each thing it must
                                         catch is done once, and must be caught

Each run prints what it got, and with $HOSTILE_RESULTS set leaves CASE.json there (area,
description, expected, got, passed) for the table (`make hostile-table`).
"""
import json
import os
import re
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import CaseFailed, Env  # noqa: E402
import cases  # noqa: E402

BEGIN = "<!-- hostile-table:begin (make hostile-table rewrites this part) -->"
END = "<!-- hostile-table:end -->"


def run_case(build, name):
    by_name = {c.name: c for c in cases.CASES}
    if name not in by_name:
        print("no case named %s (corpus.py list)" % name, file=sys.stderr)
        return 2
    c = by_name[name]
    print("case %s [%s]: %s\nexpected: %s" % (c.name, c.area, c.description, c.expect))
    if os.geteuid() != 0:
        print("not ok - the corpus runs as root (unshare, mknod, chown, another user's outbox)")
        return 1
    env = Env(build)
    t0 = time.monotonic()
    passed, got = False, ""
    try:
        env.begin()
        got = c.fn(env) or ""
        env.verify_outside_unchanged()
        passed = True
    except CaseFailed as e:
        got = "FAILED: %s" % e
        try:
            env.verify_outside_unchanged()
        except CaseFailed as e2:
            got += "; and " + str(e2)
        except Exception:
            pass
    except Exception:
        got = "FAILED (harness error): " + traceback.format_exc().strip().splitlines()[-1]
        traceback.print_exc()
    finally:
        env.cleanup()
    got = "".join(ch if ch.isprintable() else "\\x%02x" % ord(ch) for ch in got)
    # The table stays stable from run to run: no scratch folders, run ids or times.
    got = got.replace(env.home, "~").replace(env.root, "$ROOT")
    got = re.sub(r"\b\d{8}-\d{6}-[0-9a-f]{6}(-\d+)?\b", "<id>", got)
    got = re.sub(r"\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z\b", "<time>", got)
    secs = time.monotonic() - t0
    print(("ok - " if passed else "not ok - ") + got)
    print("(%.1f s)" % secs)
    results = os.environ.get("HOSTILE_RESULTS")
    if results:
        os.makedirs(results, exist_ok=True)
        with open(os.path.join(results, name + ".json"), "w") as f:
            json.dump({"name": name, "area": c.area, "description": c.description, "expect": c.expect,
                       "got": got, "passed": passed, "seconds": round(secs, 1)}, f)
    return 0 if passed else 1


def cell(text):
    return text.replace("|", "\\|").replace("\n", " ")[:220]


def write_table(readme, results):
    rows = []
    order = {a: i for i, a in enumerate(["stage", "live", "outbox", "readback", "endpoint"])}
    for c in sorted(cases.CASES, key=lambda c: (order.get(c.area, 9), cases.CASES.index(c))):
        path = os.path.join(results, c.name + ".json")
        r = json.load(open(path)) if os.path.exists(path) else {"got": "(not run)", "passed": False}
        rows.append("| `%s` | %s | %s | %s | %s | %s |" % (c.name, c.area, cell(c.description), cell(c.expect),
                                                         "pass" if r["passed"] else "**FAIL**", cell(r["got"])))
    passed = sum(1 for c in cases.CASES if os.path.exists(os.path.join(results, c.name + ".json"))
                 and json.load(open(os.path.join(results, c.name + ".json")))["passed"])
    table = "\n".join([BEGIN, "",
                       "%d cases, %d held on the last `make hostile-table` (%s)." % (len(cases.CASES), passed, time.strftime("%Y-%m-%d")),
                       "",
                       "| case | area | what is done | expected | result | got |",
                       "|---|---|---|---|---|---|"] + rows + ["", END])
    text = open(readme).read() if os.path.exists(readme) else ""
    if BEGIN in text and END in text:
        text = text[: text.index(BEGIN)] + table + text[text.index(END) + len(END):]
    else:
        text = text.rstrip("\n") + "\n\n" + table + "\n"
    with open(readme, "w") as f:
        f.write(text)
    print("%s: %d cases, %d held" % (readme, len(cases.CASES), passed))
    return 0


def selftest(build):
    """The common check (nothing outside ~/.claude* changed, the keys never travel) must catch
    each of these, and must not flag a link in ~/.claude that merely points at ~/.ssh."""
    def mutate_outside(env):
        with open(env.home + "/notes/todo.txt", "ab") as f:
            f.write(b"x")

    def new_file_outside(env):
        Env.write(env.home + "/..claude.json.tmp", b"")

    def chmod_outside(env):
        os.chmod(env.home + "/.bashrc", 0o600)

    def delete_outside(env):
        os.unlink(env.outside + "/victim.txt")

    def key_rewritten_same_mtime(env):
        st = os.stat(env.auth)
        data = bytearray(Env.read(env.auth))
        data[0] ^= 1
        Env.write(env.auth, bytes(data))
        os.utime(env.auth, ns=(st.st_atime_ns, st.st_mtime_ns))

    def key_copied_in(env):
        Env.write(env.home + "/.claude/agents/k.md", Env.read(env.key))

    def key_in_huge_sparse(env):
        with open(env.home + "/.claude-docker-events.jsonl", "wb") as f:
            f.truncate(200 << 20)
            f.seek(100 << 20)
            f.write(Env.read(env.auth))

    def link_only(env):
        os.makedirs(env.home + "/.claude", exist_ok=True)
        os.symlink(env.home + "/.ssh", env.home + "/.claude/ssh-link")

    caught = [mutate_outside, new_file_outside, chmod_outside, delete_outside, key_rewritten_same_mtime,
              key_copied_in, key_in_huge_sparse]
    failures = []
    for fn in caught + [link_only]:
        env = Env(build)
        try:
            env.begin()
            fn(env)
            try:
                env.verify_outside_unchanged()
                flagged = None
            except CaseFailed as e:
                flagged = str(e)
        finally:
            env.cleanup()
        if fn in caught and flagged is None:
            failures.append("%s was not caught" % fn.__name__)
        elif fn not in caught and flagged is not None:
            failures.append("%s was flagged: %s" % (fn.__name__, flagged))
        else:
            print("ok - %s: %s" % (fn.__name__, (flagged or "not flagged").splitlines()[0][:120]))
    for f in failures:
        print("not ok - " + f)
    return 1 if failures else 0


def main(argv):
    if len(argv) >= 2 and argv[1] == "list":
        for c in cases.CASES:
            print(c.name)
        return 0
    if len(argv) == 4 and argv[1] == "run":
        return run_case(argv[2], argv[3])
    if len(argv) == 3 and argv[1] == "selftest":
        return selftest(argv[2])
    if len(argv) == 4 and argv[1] == "table":
        return write_table(argv[2], argv[3])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
