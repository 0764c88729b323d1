#!/usr/bin/env python3
"""Sync benchmark: claude-init against lsyncd (delay 0.1 s), an `inotifywait -m -r` + rsync
loop and plain rsync polling, on separate source and outbox filesystems, same run.
Driven by bench/sync_bench.sh, which makes the filesystems; see bench/README.md."""
import ctypes, hashlib, json, os, select, signal, socket, struct, subprocess, sys, time, urllib.request

SRC_FS, DST_FS, DST_DEV, INIT, FS_KIND = (sys.argv[1:6] + [""] * 5)[:5]
# The claude-init of the tree before a change (sync_bench.sh sets it from
# SYNC_BENCH_BEFORE=BUILD_DIR): one more tool, "claude-init-before", side by side.
BEFORE = os.environ.get("SYNC_BENCH_BEFORE_INIT", "")
def is_init(name): return name in ("claude-init", "claude-init-before")
QUICK = os.environ.get("SYNC_BENCH_QUICK") == "1"
APPEND_SECONDS = 5 if QUICK else 30
IDLE_SECONDS = 5 if QUICK else 20
# How the burst's observer learns that a file appeared: inotify on the outbox folder (the
# default), or poll (list it every 0.2 ms, as the runs recorded before 2026-12-02 did).
OBSERVER = os.environ.get("SYNC_BENCH_OBSERVER", "inotify")
if OBSERVER not in ("inotify", "poll"): raise SystemExit("SYNC_BENCH_OBSERVER must be inotify or poll")
# Which phases run (SYNC_BENCH_PHASES=burst while tuning); all of them by default.
PHASES = (os.environ.get("SYNC_BENCH_PHASES") or "burst,append,rewrite,idle,seed").split(",")
now = time.monotonic_ns

def sectors_written():
    subprocess.run(["sync", "-f", DST_FS], check=True)
    if DST_DEV == "none":  # tmpfs: count the bytes the tree occupies instead (approximate)
        return 0
    with open("/sys/block/%s/stat" % DST_DEV) as f:
        return int(f.read().split()[6]) * 512

def tree_cpu(pid):
    """CPU seconds of pid and every live descendant, plus what pid's reaped children used."""
    tick = os.sysconf("SC_CLK_TCK"); kids = {}
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open("/proc/%s/stat" % p) as f: fields = f.read().rsplit(")", 1)[1].split()
                kids.setdefault(int(fields[1]), []).append((int(p), fields))
            except OSError: pass
    total = 0.0; stack = [pid]; first = True
    with open("/proc/%d/stat" % pid) as f: top = f.read().rsplit(")", 1)[1].split()
    total += (int(top[11]) + int(top[12]) + int(top[13]) + int(top[14])) / tick
    while stack:
        for child, fields in kids.get(stack.pop(), []):
            total += (int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])) / tick
            stack.append(child)
    return total

def scratch(tool, name):
    """Where a writer leaves its timestamps: on the source filesystem, outside the watched
    tree, so that they count neither as a change nor in the outbox device's bytes."""
    return os.path.join(SRC_FS, "%s.%s" % (tool.name, name))

def pct(values, q):
    if not values: return float("nan")
    v = sorted(values); return v[min(len(v) - 1, int(q * (len(v) - 1) + 0.5))]

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p

class Tool:
    def __init__(self, name, src, dst):
        self.name, self.src, self.dst = name, src, dst
        os.makedirs(src, exist_ok=True); os.makedirs(dst, exist_ok=True)
        self.proc = None
    def out(self):  # where synced files appear
        return os.path.join(self.dst, "tree") if is_init(self.name) else self.dst
    def start(self, stage=None):
        if is_init(self.name):
            self.port = free_port()
            binary = BEFORE if self.name == "claude-init-before" else INIT
            cmd = ["unshare", "--pid", "--fork", "--mount-proc", "--kill-child", binary, "--stage", stage or "/nonexistent",
                   "--outbox", self.dst, "--live-dir", self.src, "--health-port", str(self.port), "-q", "--", "sleep", "infinity"]
        elif self.name == "lsyncd":
            conf = self.dst + ".lua"
            open(conf, "w").write('settings { nodaemon = true, insist = true }\n'
                                  'sync { default.rsync, source = "%s", target = "%s", delay = 0.1 }\n' % (self.src, self.dst))
            cmd = ["lsyncd", "-log", "Exec", conf]
        elif self.name == "inotifywait+rsync":
            cmd = ["bash", "-c", 'rsync -a --delete "$0/" "$1/"; inotifywait -m -r -q -e close_write,moved_to,moved_from,create,delete,attrib '
                   '--format x "$0" | while read -r _; do while read -r -t 0.02 _; do :; done; rsync -a --delete "$0/" "$1/"; done',
                   self.src, self.dst]
        else:
            cmd = ["bash", "-c", 'while :; do rsync -a --delete "$0/" "$1/"; sleep 1; done', self.src, self.dst]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        self.started = time.monotonic()
    def ready(self, timeout=120):
        end = time.monotonic() + timeout
        if is_init(self.name):
            while time.monotonic() < end:
                try:
                    urllib.request.urlopen("http://127.0.0.1:%d/readyz" % self.port, timeout=1); return True
                except Exception: time.sleep(0.005)
            return False
        open(os.path.join(self.src, ".ready-%d" % now()), "w").close()
        while time.monotonic() < end:
            if any(n.startswith(".ready-") for n in os.listdir(self.dst)): return True
            time.sleep(0.005)
        return False
    def pid(self):
        if is_init(self.name):  # the init inside the namespace, not unshare
            try: return int(subprocess.check_output(["pgrep", "-P", str(self.proc.pid)]).split()[0])
            except Exception: return self.proc.pid
        return self.proc.pid
    def stop(self):
        try: os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError: pass
        try: self.proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL); self.proc.wait()

class Inotify:
    """The kernel's own word on when a name appears in a folder (a link or a rename into it),
    read with blocking reads: an observer that waits in read() takes no CPU from the tool it
    measures, which a polling loop on two cores does (it keeps one busy)."""
    IN_MOVED_TO, IN_CREATE, IN_ISDIR, IN_Q_OVERFLOW = 0x80, 0x100, 0x40000000, 0x4000
    _libc = None
    def __init__(self):
        if Inotify._libc is None: Inotify._libc = ctypes.CDLL(None, use_errno=True)
        self.fd = Inotify._libc.inotify_init1(os.O_CLOEXEC)
        if self.fd < 0: raise OSError(ctypes.get_errno(), "inotify_init1")
        self.dirs = {}
    def watch(self, path):
        wd = Inotify._libc.inotify_add_watch(self.fd, path.encode(), self.IN_MOVED_TO | self.IN_CREATE)
        if wd < 0: raise OSError(ctypes.get_errno(), "inotify_add_watch " + path)
        self.dirs[wd] = path
    def read(self, timeout):
        """[(folder, name, is_dir)] of one read, or [] after timeout seconds."""
        if not select.select([self.fd], [], [], timeout)[0]: return []
        buf = os.read(self.fd, 1 << 20); out = []; i = 0
        while i < len(buf):
            wd, mask, _, n = struct.unpack_from("iIII", buf, i); i += 16
            name = buf[i:i + n].rstrip(b"\0").decode(); i += n
            if mask & self.IN_Q_OVERFLOW: raise SystemExit("observer: inotify queue overflow; the burst's numbers would be wrong")
            if wd in self.dirs: out.append((self.dirs[wd], name, bool(mask & self.IN_ISDIR)))
        return out
    def close(self): os.close(self.fd)

def observe_new_names(root, sub, want, on_names, deadline):
    """Calls on_names(names, t) for every name in root/sub matching want() as it appears, t
    taken right after the read that reported it; returns when on_names says it has all."""
    ino = Inotify(); ino.watch(root); folder = os.path.join(root, sub); watching = False
    def attach():
        ino.watch(folder)  # then list it: what came before the watch is seen now
        return on_names([n for n in os.listdir(folder) if want(n)], now())
    try:
        if os.path.isdir(folder): watching = True; done = attach()
        else: done = False
        while not done and time.monotonic() < deadline:
            evs = ino.read(0.5); t = now()
            if not watching and any(d == root and n == sub and isdir for d, n, isdir in evs):
                watching = True; done = attach()
                continue
            names = [n for d, n, _ in evs if d == folder and want(n)]
            if names: done = on_names(names, t)
    finally: ino.close()

def is_torn(path):
    """1 when the file does not parse as JSON (seen incomplete), else 0."""
    try: json.loads(open(path).read())
    except ValueError: return 1
    except OSError: pass
    return 0

def burst(tool):
    d = os.path.join(tool.src, "burst"); os.makedirs(d)
    out = os.path.join(tool.out(), "burst")
    want = lambda n: n.startswith("t") and n.endswith(".json")
    if OBSERVER == "inotify":
        # The torn check reads each file as it appears; it runs in a process of its own so that
        # its reads do not delay the timing observer's timestamps. (Both list the folder when
        # they start watching it, and the writer waits 0.2 s: nothing is missed.)
        checker_r, checker_w = os.pipe(); checker = os.fork()
        if checker == 0:
            os.close(checker_r); torn = [0]; seen = set()
            def check(names, t):
                for n in names:
                    if n not in seen: seen.add(n); torn[0] += is_torn(os.path.join(out, n))
                return len(seen) >= 1000
            observe_new_names(tool.out(), "burst", want, check, time.monotonic() + 60)
            os.write(checker_w, json.dumps(torn[0]).encode()); os._exit(0)
        os.close(checker_w)
    child = os.fork()
    if child == 0:  # the writer
        time.sleep(0.2); times = []
        for i in range(1000):
            with open(os.path.join(d, "t%04d.json" % i), "w") as f: f.write(json.dumps({"n": i, "pad": "p" * 100}))
            times.append(now())
        open(scratch(tool, "burst-times"), "w").write(json.dumps(times)); os._exit(0)
    seen = {}; torn = 0; end = time.monotonic() + 60
    if OBSERVER == "inotify":
        def record(names, t):
            for n in names: seen.setdefault(n, t)
            return len(seen) >= 1000
        observe_new_names(tool.out(), "burst", want, record, end)
        os.waitpid(checker, 0); torn = json.loads(os.read(checker_r, 64) or b"0"); os.close(checker_r)
    else:  # poll: list the folder every 0.2 ms (the observer of the earlier recorded runs)
        while len(seen) < 1000 and time.monotonic() < end:
            try: names = os.listdir(out)
            except FileNotFoundError: names = []
            t = now()
            for n in names:
                if want(n) and n not in seen: seen[n] = t; torn += is_torn(os.path.join(out, n))
            time.sleep(0.0002)
    os.waitpid(child, 0)
    times = json.load(open(scratch(tool, "burst-times")))
    lat = [(seen["t%04d.json" % i] - times[i]) / 1e6 for i in range(1000) if "t%04d.json" % i in seen]
    return {"p50_ms": pct(lat, .5), "p99_ms": pct(lat, .99), "missing": 1000 - len(lat), "torn": torn,
            "writer_ms": (times[-1] - times[0]) / 1e6, "observer": OBSERVER,
            "last_seen_ms": (max(seen.values()) - times[0]) / 1e6 if seen else float("nan")}

def appends(tool):
    log = os.path.join(tool.src, "projects", "-w", "s.jsonl"); out = os.path.join(tool.out(), "projects", "-w", "s.jsonl")
    line = lambda i: json.dumps({"cwd": "/w", "i": i, "pad": "a" * 160}) + "\n"
    ends = []; size = os.path.getsize(log)
    n = 100 * APPEND_SECONDS
    for i in range(n):
        size += len(line(i)); ends.append(size)
    bounds = set(ends) | {os.path.getsize(log)}
    before = sectors_written()
    child = os.fork()
    if child == 0:  # 100 appends/s, the file held open as the CLI does
        times = []
        with open(log, "a") as f:
            t0 = time.monotonic()
            for i in range(n):
                f.write(line(i)); f.flush(); times.append(now())
                time.sleep(max(0, t0 + (i + 1) / 100 - time.monotonic()))
        open(scratch(tool, "append-times"), "w").write(json.dumps(times)); os._exit(0)
    arrived = [None] * n; k = 0; torn = 0; last = -1; end = time.monotonic() + APPEND_SECONDS + 30
    while k < n and time.monotonic() < end:
        try: s = os.path.getsize(out)
        except OSError: s = -1
        t = now()
        if s != last:
            last = s
            if s >= 0 and s not in bounds: torn += 1
            while k < n and s >= ends[k]: arrived[k] = t; k += 1
        time.sleep(0.0002)
    os.waitpid(child, 0)
    time.sleep(0.5)
    written = sectors_written() - before
    times = json.load(open(scratch(tool, "append-times")))
    lat = [(arrived[i] - times[i]) / 1e6 for i in range(n) if arrived[i]]
    appended = ends[-1] - min(bounds)
    return {"p50_ms": pct(lat, .5), "p99_ms": pct(lat, .99), "missing": n - len(lat), "torn": torn,
            "bytes_written": written, "bytes_appended": appended, "ratio": written / appended if appended else 0}

def rewrite(tool):
    path = os.path.join(tool.src, "big.json"); out = os.path.join(tool.out(), "big.json")
    doc = json.dumps({"v": 2, "data": "r" * (24 * 1024 * 1024 - 20)}).encode()
    digest = hashlib.sha256(doc).hexdigest()
    before = sectors_written()
    with open(path, "wb") as f: f.write(doc)
    t_close = now(); torn = 0; t_done = None; last = None; end = time.monotonic() + 60
    while time.monotonic() < end:
        try: st = os.stat(out); key = (st.st_ino, st.st_size, st.st_mtime_ns)
        except OSError: key = None
        if key and key != last:
            last = key
            data = open(out, "rb").read()
            if data[:8] == doc[:8] and len(data) == len(doc):
                if hashlib.sha256(data).hexdigest() == digest: t_done = now(); break
                torn += 1
            elif data[:7] == doc[:7]: torn += 1  # the new version seen incomplete
        time.sleep(0.0005)
    time.sleep(0.3)
    return {"p50_ms": (t_done - t_close) / 1e6 if t_done else float("nan"), "p99_ms": (t_done - t_close) / 1e6 if t_done else float("nan"),
            "missing": 0 if t_done else 1, "torn": torn, "bytes_written": sectors_written() - before}

def make_seed_tree(root, stage=None):
    files = []
    for d in range(100):
        os.makedirs(os.path.join(root, "todos", "d%02d" % d), exist_ok=True)
        for i in range(100):
            rel = "todos/d%02d/f%03d.json" % (d, i); data = json.dumps({"d": d, "i": i, "pad": "s" * 200}).encode()
            open(os.path.join(root, rel), "wb").write(data)
            files.append({"path": rel, "size": len(data), "sha256": hashlib.sha256(data).hexdigest(), "mode": 0o644})
    if stage:
        json.dump({"format": "claude-stage/1", "run_id": "bench", "trace_id": "bench", "created_at": "2026-11-22T00:00:00Z",
                   "mapping": [], "files": files, "symlinks": []}, open(os.path.join(stage, "manifest.json"), "w"))

def seed(name, base):
    src = os.path.join(SRC_FS, "seed-" + name); dst = os.path.join(DST_FS, "seed-" + name)
    if is_init(name):
        stage = os.path.join(SRC_FS, "stage-" + name); os.makedirs(os.path.join(stage, "tree"))
        make_seed_tree(os.path.join(stage, "tree"), stage)
        subprocess.run(["sync", "-f", SRC_FS])
        tool = Tool(name, src, dst); os.rmdir(src)  # the seed creates the live dir
        t0 = time.monotonic(); tool.start(stage=stage); ok = tool.ready()
        secs = time.monotonic() - t0; tool.stop()
    else:
        os.makedirs(src); make_seed_tree(src); subprocess.run(["sync", "-f", SRC_FS])
        tool = Tool(name, src, dst); t0 = time.monotonic(); tool.start()
        def count():
            return sum(len(f) for _, _, f in os.walk(os.path.join(dst, "todos")))
        ok = False
        while time.monotonic() - t0 < 120:
            if os.path.isdir(os.path.join(dst, "todos")) and count() >= 10000: ok = True; break
            time.sleep(0.02)
        secs = time.monotonic() - t0; tool.stop()
    return {"seconds": secs, "missing": 0 if ok else 1}

def run_tool(name):
    src = os.path.join(SRC_FS, name); dst = os.path.join(DST_FS, name)
    os.makedirs(os.path.join(src, "projects", "-w"))
    with open(os.path.join(src, "projects", "-w", "s.jsonl"), "w") as f:  # the 20 MB log
        pad = "l" * 400
        for i in range(20 * 1024 * 1024 // 430): f.write(json.dumps({"cwd": "/w", "old": i, "pad": pad}) + "\n")
    open(os.path.join(src, "big.json"), "w").write(json.dumps({"v": 1, "data": "o" * (24 * 1024 * 1024 - 20)}))
    subprocess.run(["sync", "-f", SRC_FS])
    tool = Tool(name, src, dst); tool.start()
    if not tool.ready(): raise SystemExit("%s never became ready" % name)
    # Wait for the initial copy of the 20 MB log and the 24 MB file.
    for rel in ("projects/-w/s.jsonl", "big.json"):
        want = os.path.getsize(os.path.join(src, rel)); end = time.monotonic() + 60
        while time.monotonic() < end:
            try:
                if os.path.getsize(os.path.join(tool.out(), rel)) == want: break
            except OSError: pass
            time.sleep(0.05)
    time.sleep(1.5)
    pid = tool.pid(); res = {}
    for scen, fn in (("burst", burst), ("append", appends), ("rewrite", rewrite)):
        if scen not in PHASES: continue
        c0 = tree_cpu(pid); res[scen] = fn(tool); res[scen]["cpu_s"] = tree_cpu(pid) - c0
        print("  %-18s %-8s %s" % (name, scen, {k: round(v, 3) if isinstance(v, float) else v for k, v in res[scen].items()}), flush=True)
        time.sleep(1.5)
    if "idle" in PHASES:
        c0 = tree_cpu(pid); time.sleep(IDLE_SECONDS); res["idle"] = {"cpu_s": tree_cpu(pid) - c0, "seconds": IDLE_SECONDS}
        print("  %-18s idle     %s" % (name, res["idle"]), flush=True)
    tool.stop()
    if "seed" in PHASES:
        res["seed"] = seed(name, SRC_FS)
        print("  %-18s seed     %s" % (name, res["seed"]), flush=True)
    return res

def main():
    tools = ["claude-init"] + (["claude-init-before"] if BEFORE else []) + ["lsyncd", "inotifywait+rsync", "rsync-poll-1s"]
    if os.environ.get("SYNC_BENCH_TOOLS"):  # e.g. SYNC_BENCH_TOOLS=claude-init while tuning
        tools = [t for t in tools if t in os.environ["SYNC_BENCH_TOOLS"].split(",")]
    results = {t: run_tool(t) for t in tools}
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
    os.makedirs(out, exist_ok=True)
    if PHASES != ["burst", "append", "rewrite", "idle", "seed"]:  # a partial run: the lines above are its numbers
        print("\nSYNC_BENCH_PHASES=%s: a partial run; no table, results/sync.json and plot left as they were" % ",".join(PHASES))
        return
    json.dump({"filesystems": FS_KIND, "append_seconds": APPEND_SECONDS, "burst_observer": OBSERVER, "results": results},
              open(os.path.join(out, "sync.json"), "w"), indent=1)
    f = lambda v: "%.1f" % v if v == v else "-"
    print("\nfilesystems: %s; appends: 100/s for %d s to a 20 MB log; burst observer: %s\n" % (FS_KIND, APPEND_SECONDS, OBSERVER))
    print("%-18s | %-25s | %-40s | %-20s | %-11s | %s" % ("tool", "burst 1000 p50/p99 ms", "append p50/p99 ms, written/appended", "24 MB rewrite ms", "seed 10k s", "idle CPU s"))
    for t, r in results.items():
        b, a, w = r["burst"], r["append"], r["rewrite"]
        print("%-18s | %7s / %7s torn %d miss %d | %7s / %8s  %8.1f MB/%.2f MB=%6.1fx torn %d | %8s torn %d | %6.2f %s | %.3f" % (
            t, f(b["p50_ms"]), f(b["p99_ms"]), b["torn"], b["missing"], f(a["p50_ms"]), f(a["p99_ms"]),
            a["bytes_written"] / 1e6, a["bytes_appended"] / 1e6, a["ratio"], a["torn"] + a["missing"],
            f(w["p50_ms"]), w["torn"], r["seed"]["seconds"], "" if not r["seed"]["missing"] else "(incomplete)", r["idle"]["cpu_s"]))
    plot(results, FS_KIND, out)

def plot(results, fs_kind, out):
    try:
        import matplotlib; matplotlib.use("Agg"); import matplotlib.pyplot as plt
        fig, ax = plt.subplots(1, 4, figsize=(18, 4.5)); names = list(results)
        for j, (scen, title) in enumerate((("burst", "1000-file burst p99 (ms)"), ("append", "append p99 (ms)"), ("rewrite", "24 MB rewrite (ms)"))):
            ax[j].bar(names, [results[n][scen]["p99_ms"] for n in names], color="C%d" % j); ax[j].set_yscale("log"); ax[j].set_title(title)
        ax[3].bar(names, [results[n]["append"]["bytes_written"] / 1e6 for n in names], color="C3"); ax[3].set_yscale("log")
        ax[3].set_title("MB written to outbox device for %.2f MB appended" % (results[names[0]]["append"]["bytes_appended"] / 1e6))
        for a in ax: a.tick_params(axis="x", rotation=20)
        fig.suptitle("claude-init sync vs lsyncd / inotifywait+rsync / rsync polling (%s)" % fs_kind); fig.tight_layout()
        fig.savefig(os.path.join(out, "sync.png"), dpi=90); print("\nplot: bench/results/sync.png")
    except ImportError:
        print("python3-matplotlib missing: no plot")

if len(sys.argv) == 2 and sys.argv[1] == "--plot":  # redraw from bench/results/sync.json
    d = json.load(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "results", "sync.json")))
    plot(d["results"], d["filesystems"], os.path.join(os.path.dirname(os.path.abspath(__file__)), "results"))
else:
    main()
