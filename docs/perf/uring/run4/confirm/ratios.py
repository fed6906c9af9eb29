#!/usr/bin/env python3
"""uring's server CPU per message against curing's and epoll's, per cell
(medians of the repeats, and the median of the per-repeat ratios), with
the geometric means over the cells.

    python3 ratios.py results.json
"""
import collections
import json
import math
import statistics
import sys

res = json.load(open(sys.argv[1]))
cpu = collections.defaultdict(lambda: collections.defaultdict(dict))
for r in res["runs"]:
    c = r["cell"]
    cpu[(c["conns"], c["depth"], c["size"])][r["engine"]][r["repeat"]] = r["server"]["cpu_us_per_msg"]


def gm(xs):
    return math.exp(sum(map(math.log, xs)) / len(xs))


print("| conns | depth | size | uring | curing | epoll | uring ÷ curing | uring ÷ epoll | paired ÷ curing | paired ÷ epoll |")
print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
cols = collections.defaultdict(list)
for k in sorted(cpu):
    t = cpu[k]
    med = {e: statistics.median(t[e].values()) for e in t}
    reps = sorted(t["uring"])
    pc = statistics.median(t["uring"][i] / t["curing"][i] for i in reps)
    pe = statistics.median(t["uring"][i] / t["epoll"][i] for i in reps)
    row = [med["uring"] / med["curing"], med["uring"] / med["epoll"], pc, pe]
    for i, v in enumerate(row):
        cols[i].append(v)
    print(f"| {k[0]} | {k[1]} | {k[2]} B | {med['uring']:.2f} | {med['curing']:.2f} | {med['epoll']:.2f} | "
          + " | ".join(f"{v:.2f}" for v in row) + " |")
print("| **geometric mean** | | | | | | " + " | ".join(f"**{gm(cols[i]):.2f}**" for i in range(4)) + " |")
