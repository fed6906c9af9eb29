#!/usr/bin/env python3
"""table.py DIR A B: a Markdown table comparing engines A and B of one
echo-bench matrix run (DIR/results.json), cell by cell: the median over
repeats of server CPU per message, msgs/s and p99, and the median of the
per-repeat ratios A / B (runs of the same repeat ran seconds apart, so
their ratio is steadier than the ratio of medians on a drifting machine)."""
import json
import statistics as st
import sys

d, a, b = sys.argv[1:4]
runs = json.load(open(f"{d}/results.json"))["runs"]
cells = {}
for r in runs:
    c = r["cell"]
    key = (c.get("work") or "none", c["conns"], c["size"], c["depth"])
    cells.setdefault(key, {}).setdefault(r["engine"], {})[r["repeat"]] = r


def cpu(r):
    return r["server"]["cpu_us_per_msg"]


def med(rs, f):
    return st.median(f(r) for r in rs.values())


print(f"| work | conns | size | depth | CPU µs/msg {a} | {b} | {a} ÷ {b} (paired) [range] | msgs/s {a} | {b} | p99 µs {a} | {b} | client-bound runs {a} / {b} |")
print("|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---|")
for key in sorted(cells, key=lambda k: (k[0] != "none", k[0], k[1], k[2], k[3])):
    e = cells[key]
    if a not in e or b not in e:
        continue
    ra, rb = e[a], e[b]
    ratios = [cpu(ra[i]) / cpu(rb[i]) for i in ra if i in rb]
    cb = lambda rs: sum(1 for r in rs.values() if r["client"].get("client", {}).get("client_bound"))
    print(f"| {key[0]} | {key[1]} | {key[2]} B | {key[3]} | {med(ra, cpu):.2f} | {med(rb, cpu):.2f} | "
          f"{st.median(ratios):.2f} [{min(ratios):.2f}-{max(ratios):.2f}] | "
          f"{med(ra, lambda r: r['client']['msgs_per_sec']):,.0f} | {med(rb, lambda r: r['client']['msgs_per_sec']):,.0f} | "
          f"{med(ra, lambda r: r['client']['latency']['p99_us']):,.0f} | {med(rb, lambda r: r['client']['latency']['p99_us']):,.0f} | "
          f"{cb(ra)} / {cb(rb)} |")
