#!/usr/bin/env python3
"""ratios.py RESULTS.json [BASE]: server CPU per message from an echo-bench
matrix, per cell and engine: the median over repeats, and the median of the
per-repeat ratios to BASE (default cref), each ratio taken within one block
of runs, seconds apart, so that the shared machine's drift cancels."""
import json
import statistics
import sys

runs = json.load(open(sys.argv[1]))['runs']
base = sys.argv[2] if len(sys.argv) > 2 else 'cref'
cpu = {}
for r in runs:
    # Counting runs measure calls, not time; a run whose CPU reads zero
    # fell within one 10 ms tick of /proc's clock and says nothing.
    if r.get('counted') or r.get('error') or not r.get('server', {}).get('cpu_us_per_msg'):
        continue
    c = r['cell']
    cell = f"{c['network']} c{c['conns']} {c['size']}B d{c['depth']}"
    cpu.setdefault(cell, {}).setdefault(r['engine'], {})[r['repeat']] = r['server']['cpu_us_per_msg']
print(f"| cell | engine | µs/msg (median) | paired × {base} (median) | range |")
print("| --- | --- | ---: | ---: | --- |")
for cell, engines in cpu.items():
    ref = engines.get(base, {})
    for e, reps in engines.items():
        ratios = [v / ref[k] for k, v in reps.items() if k in ref and ref[k] > 0]
        med = statistics.median(reps.values())
        if ratios and e != base:
            print(f"| {cell} | {e} | {med:.2f} | {statistics.median(ratios):.3f} | {min(ratios):.2f}-{max(ratios):.2f} |")
        else:
            print(f"| {cell} | {e} | {med:.2f} | | |")
