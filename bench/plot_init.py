#!/usr/bin/env python3
"""Prints the init benchmark table, checks claude-init against its targets, and saves
a bar chart per measure. Usage: plot_init.py RESULTS_JSON OUT_PNG"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

MEASURES = [
    ("exec_overhead_ms", "exec overhead over /bin/true (ms)", "{:.2f}"),
    ("rss_kib", "idle RSS (KiB)", "{:.0f}"),
    ("idle_wakeups", "idle wake-ups (context switches)", "{:.0f}"),
    ("reap_ms", "reap 10 000 orphans (ms)", "{:.0f}"),
    ("size_kib", "stripped size (KiB)", "{:.0f}"),
]


def main():
    results_path, png_path = sys.argv[1], sys.argv[2]
    data = json.load(open(results_path))
    names = [n for n in ["claude-init", "claude-init-before", "tini", "tini-static", "dumb-init", "catatonit"] if n in data]

    header = f"{'init':<19}{'exec ms':>9}{'overhead':>10}{'CPU ms':>8}{'RSS KiB':>9}{'threads':>9}{'wakeups':>9}{'reap ms':>9}{'size KiB':>10}{'static':>8}"
    print(header)
    print("-" * len(header))
    for n in names:
        r = data[n]
        print(f"{n:<19}{r.get('exec_ms', 0):>9.2f}{r.get('exec_overhead_ms', 0):>+10.2f}{r.get('cpu_ms', 0):>8.2f}{r.get('rss_kib', 0):>9.0f}"
              f"{r.get('threads', 0):>9.0f}{r.get('idle_wakeups', 0):>9.0f}{r.get('reap_ms', 0):>9.0f}"
              f"{r.get('size_kib', 0):>10.0f}{'yes' if r.get('static') else 'no':>8}")
    base = data.get("baseline", {})
    print(f"(baseline /bin/true: {base.get('exec_ms', 0):.2f} ms wall, {base.get('cpu_ms', 0):.2f} ms CPU;"
          " CPU = init + child task-clock from perf stat)")

    ours = data.get("claude-init", {})
    checks = []
    if "tini-static" in data:
        checks.append(("exec overhead <= tini-static's", ours["exec_overhead_ms"], data["tini-static"]["exec_overhead_ms"],
                       ours["exec_overhead_ms"] <= data["tini-static"]["exec_overhead_ms"]))
    checks.append(("idle wake-ups == 0", ours["idle_wakeups"], 0, ours["idle_wakeups"] == 0))
    checks.append(("idle RSS <= 1536 KiB (health endpoint up)", ours["rss_kib"], 1536, ours["rss_kib"] <= 1536))
    if "tini" in data:
        checks.append(("reaping <= 1.1 x tini", ours["reap_ms"], 1.1 * data["tini"]["reap_ms"],
                       ours["reap_ms"] <= 1.1 * data["tini"]["reap_ms"]))
    checks.append(("stripped size <= 2560 KiB", ours["size_kib"], 2560, ours["size_kib"] <= 2560))
    if "claude-init-before" in data:  # INIT_BENCH_BEFORE: this tree against the tree before it
        before = data["claude-init-before"]
        print("\nclaude-init against the tree before (INIT_BENCH_BEFORE):")
        for key, what in (("exec_overhead_ms", "exec overhead ms"), ("cpu_ms", "CPU ms"), ("rss_kib", "idle RSS KiB"),
                          ("idle_wakeups", "idle wake-ups"), ("reap_ms", "reap ms"), ("size_kib", "stripped KiB")):
            if key in ours and key in before:
                print(f"  {what:<18} {ours[key]:>9.2f}  before {before[key]:>9.2f}")
    print("\nclaude-init targets:")
    for what, value, limit, ok in checks:
        print(f"  {'PASS' if ok else 'MISS'}  {what}: {value:.2f} (limit {limit:.2f})")

    fig, axes = plt.subplots(1, len(MEASURES), figsize=(4 * len(MEASURES), 4))
    colors = ["#d97757" if n == "claude-init" else "#e8b59f" if n == "claude-init-before" else "#8a8a8a" for n in names]
    for ax, (key, title, fmt) in zip(axes, MEASURES):
        values = [data[n].get(key, 0) for n in names]
        bars = ax.bar(names, values, color=colors)
        ax.set_title(title, fontsize=10)
        ax.tick_params(axis="x", rotation=45, labelsize=8)
        for b, v in zip(bars, values):
            ax.annotate(fmt.format(v), (b.get_x() + b.get_width() / 2, b.get_height()), ha="center", va="bottom", fontsize=7)
    fig.suptitle("claude-init vs Debian's inits (lower is better)")
    fig.tight_layout()
    fig.savefig(png_path, dpi=110)
    print(f"\nplot: {png_path}")


if __name__ == "__main__":
    main()
