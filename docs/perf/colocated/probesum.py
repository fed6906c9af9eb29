#!/usr/bin/env python3
"""Summarizes perf/probe.sh lines: per server, the median, lowest and
highest CPU µs/msg, median syscalls and context switches per message, and
per round (servers ran back to back) the ratio to the first server named."""
import re, statistics, sys
path, base = sys.argv[1], sys.argv[2]
d = {}
for l in open(path):
    if 'cpu_us/msg' not in l:
        continue
    name = l.split()[0]
    g = lambda k: float(re.search(k + r'=\s*([\d.]+)', l).group(1))
    d.setdefault(name, []).append((g('cpu_us/msg'), g('syscalls/msg'), g('ctxsw/msg'), g('msgs/s')))
for k, v in d.items():
    c = sorted(x[0] for x in v)
    print(f"{k:10s} n={len(v)} cpu µs/msg median {statistics.median(c):.2f} (lowest {c[0]:.2f}, highest {c[-1]:.2f}); "
          f"syscalls/msg {statistics.median([x[1] for x in v]):.2f}; ctxsw/msg {statistics.median([x[2] for x in v]):.2f}; msgs/s {statistics.median([x[3] for x in v]):.0f}")
for k in d:
    if k == base:
        continue
    n = min(len(d[k]), len(d[base]))
    rs = sorted(d[k][i][0] / d[base][i][0] for i in range(n))
    print(f"{k}/{base} per-round ratio: median {statistics.median(rs):.3f}, range {rs[0]:.2f}-{rs[-1]:.2f}; ratio of lowests {min(x[0] for x in d[k]) / min(x[0] for x in d[base]):.3f}")
