#!/usr/bin/env python3
"""Plots bench/results/restore.json (restore_bench.sh) as bars against the 5-minute target."""
import json
import sys

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt

r = json.load(open(sys.argv[1]))
labels = ["first backup", "unchanged backup", "restore"]
values = [r["first_backup_s"], r["unchanged_backup_s"], r["restore_s"]]
fig, ax = plt.subplots(figsize=(6, 3.5))
bars = ax.bar(labels, values, color=["#6a9fd4", "#9cc5a1", "#e0a458"])
ax.axhline(r["target_s"], color="red", linestyle="--", label="restore target (300 s)")
for b, v in zip(bars, values):
    ax.text(b.get_x() + b.get_width() / 2, v, f"{v:.1f} s", ha="center", va="bottom")
ax.set_ylabel("seconds")
ax.set_yscale("symlog", linthresh=1)
ax.set_title(f"claude-host on a {r['bytes'] / 2**30:.2f} GiB home")
ax.legend()
fig.tight_layout()
fig.savefig(sys.argv[2], dpi=110)
