#!/usr/bin/env python3
"""Plots bench/results/credentials.json (credential_bench.sh): the distribution of the time
from a refresh in one container to the new token being everywhere, and in each kind of place."""
import json
import sys

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt

data = json.load(open(sys.argv[1]))
s = data["samples"]
series = [
    ("every other container and the host", [x["everywhere_ms"] for x in s if x["everywhere_ms"] is not None]),
    ("another container", [c for x in s for c in x["containers_ms"] if c is not None]),
    ("the host's .credentials.json", [x["host_ms"] for x in s if x["host_ms"] is not None]),
]
fig, ax = plt.subplots(figsize=(6.5, 4))
for label, v in series:
    v = sorted(v)
    if v:
        ax.step(v, [(k + 1) / len(v) for k in range(len(v))], where="post", label=f"{label} (n={len(v)})")
ax.axvline(1000, color="grey", linestyle=":", label="target 1 s")
ax.set_xlabel("ms after the refresh's rename in the origin container")
ax.set_ylabel("fraction of refreshes")
ax.set_title(f"credential propagation: {data['refreshes']} refreshes, {data['containers']} containers")
ax.grid(True, alpha=0.3)
ax.legend(loc="lower right")
fig.tight_layout()
fig.savefig(sys.argv[2], dpi=110)
