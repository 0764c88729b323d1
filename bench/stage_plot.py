#!/usr/bin/env python3
"""Plots bench/results/stage.json (stage_bench.sh): stage time vs other projects' history."""
import json
import sys

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt

rows = json.load(open(sys.argv[1]))
x = [r["other_mib"] for r in rows]
fig, ax = plt.subplots(figsize=(6.5, 4))
for key, style, label in [("project_cold", "o-", "--history project, cold"),
                          ("project_warm", "o--", "--history project, re-stage"),
                          ("all_cold", "s-", "--history all, cold"),
                          ("all_warm", "s--", "--history all, re-stage")]:
    ax.plot(x, [r[key] for r in rows], style, label=label)
ax.set_xlabel("other projects' session history (MiB)")
ax.set_ylabel("stage time (s)")
ax.set_title("claude-host stage: time vs history size")
ax.grid(True, alpha=0.3)
ax.legend()
fig.tight_layout()
fig.savefig(sys.argv[2], dpi=110)
