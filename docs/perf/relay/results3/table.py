#!/usr/bin/env python3
"""Per cell of runs.csv: forwarder CPU per byte (median of the repeats),
relay-tcp's default (auto) against HAProxy's better path (the median of
the per-repeat ratios, with their range), the copy paths against each
other, and MB/s of splicing over copying for each forwarder.

    docs/perf/relay/results3/table.py docs/perf/relay/results3/runs.csv
"""
import collections
import csv
import statistics as st
import sys

rows = list(csv.DictReader(open(sys.argv[1])))
cpb = collections.defaultdict(lambda: collections.defaultdict(dict))
mbs = collections.defaultdict(lambda: collections.defaultdict(dict))
for r in rows:
    if not r["fwd_cpu_s"]:
        continue
    k = (int(r["size"]), int(r["depth"]), int(r["conns"]))
    cpb[k][r["target"]][r["repeat"]] = float(r["fwd_cpu_s"]) * 1e9 / (2 * float(r["bytes_each_way"]))
    mbs[k][r["target"]][r["repeat"]] = float(r["mb_per_sec"])


def size(n):
    return f"{n >> 20} MiB" if n >= 1 << 20 else f"{n >> 10} KiB"


def ratio(t, a, b):
    reps = sorted(set(t[a]) & set(t[b]))
    rs = [t[a][i] / t[b][i] for i in reps]
    return st.median(rs), min(rs), max(rs)


targets = [n for n in ("relay-auto", "relay-auto-old", "relay-copy", "haproxy-splice", "haproxy-copy")
           if any(n in cpb[k] for k in cpb)]
print("| size | depth | conns | " + " | ".join(f"{n} ns/B" for n in targets)
      + " | HAProxy's better | **auto ÷ better** [range] | "
      + ("auto ÷ old auto | " if "relay-auto-old" in targets else "")
      + ("copy ÷ HAProxy copy | relay MB/s splice ÷ copy | " if "relay-copy" in targets else "")
      + "HAProxy MB/s splice ÷ copy |")
print("|" + "---|" * (6 + len(targets) + ("relay-auto-old" in targets) + 2 * ("relay-copy" in targets)))
for k in sorted(cpb):
    t = cpb[k]
    med = {n: st.median(t[n].values()) for n in t}
    better = "haproxy-splice" if med["haproxy-splice"] <= med["haproxy-copy"] else "haproxy-copy"
    m, lo, hi = ratio(t, "relay-auto", better)
    cells = [size(k[0]), str(k[1]), str(k[2])] + [f"{med[n]:.3f}" for n in targets]
    cells += [better.removeprefix("haproxy-"), f"**{m:.2f}** [{lo:.2f}-{hi:.2f}]"]
    if "relay-auto-old" in targets:
        cells.append(f"{ratio(t, 'relay-auto', 'relay-auto-old')[0]:.2f}")
    if "relay-copy" in targets:
        cells.append(f"{ratio(t, 'relay-copy', 'haproxy-copy')[0]:.2f}")
        cells.append(f"{ratio(mbs[k], 'relay-auto', 'relay-copy')[0]:.2f}")
    cells.append(f"{ratio(mbs[k], 'haproxy-splice', 'haproxy-copy')[0]:.2f}")
    print("| " + " | ".join(cells) + " |")
