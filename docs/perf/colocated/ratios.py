#!/usr/bin/env python3
"""Per-repeat ratios of server CPU per message from echo-bench matrix results.json
files: within each repeat the engines ran back to back, so the ratio of two of
them in one repeat is less exposed to the machine's drift than the ratio of
their medians. Usage: ratios.py BASE ENGINE... -- results.json..."""
import json, sys, statistics
args = sys.argv[1:]
sep = args.index('--')
names, files = args[:sep], args[sep+1:]
base, others = names[0], names[1:]
cells = {}
for f in files:
    r = json.load(open(f))
    for run in r['runs']:
        c = run['cell']
        key = (c['network'], c['conns'], c['size'], c['depth'])
        cells.setdefault(key, {}).setdefault((f, run['repeat']), {})[run['engine']] = run['server']['cpu_us_per_msg']
for key in sorted(cells):
    reps = cells[key]
    line = f"{key[0]} c{key[1]} {key[2]}B d{key[3]}:"
    b = [v[base] for v in reps.values() if v.get(base)]
    line += f" {base} median {statistics.median(b):.2f} µs/msg (n={len(b)})"
    for o in others:
        rs = sorted(v[o]/v[base] for v in reps.values() if v.get(o) and v.get(base))
        med = statistics.median([v[o] for v in reps.values() if v.get(o)])
        line += f"; {o} median {med:.2f}, per-repeat ratio to {base} median {statistics.median(rs):.3f} [{rs[0]:.2f}-{rs[-1]:.2f}]"
    print(line)
