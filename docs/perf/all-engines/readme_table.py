#!/usr/bin/env python3
"""README's performance table from this run: server CPU µs per message
(median of the repeats) and × cref in brackets, per engine, for the
cells README shows, and bytes of RSS per idle connection.

    python3 docs/perf/all-engines/readme_table.py docs/perf/all-engines
"""
import csv
import json
import sys

out = sys.argv[1]
rows = list(csv.DictReader(open(f"{out}/results.csv")))
cells = [("tcp", "1", "64", "1"), ("tcp", "50", "64", "1"), ("tcp", "500", "1024", "1"),
         ("tcp", "50", "64", "16"), ("tcp", "500", "1024", "16"), ("udp", "50", "64", "16")]
cpu = {(r["network"], r["conns"], r["size"], r["depth"], r["engine"]): r for r in rows}
idle = {}
for r in json.load(open(f"{out}/results.json")).get("idle") or []:
    idle[r["engine"]] = r["bytes_per_conn"]
engines = []
for r in rows:
    if r["engine"] not in engines:
        engines.append(r["engine"])
print("| engine | c1 64B d1 | c50 64B d1 | c500 1KiB d1 | c50 64B d16 | c500 1KiB d16 | udp c50 d16 | idle B/conn |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for e in engines:
    out_cells = []
    for c in cells:
        r = cpu.get(c + (e,))
        if r is None or not r["server_cpu_us_per_msg"]:
            out_cells.append("n/a")
            continue
        v = float(r["server_cpu_us_per_msg"])
        ref = float(r["server_vs_reference"] or 0)
        out_cells.append(f"{v:.2f} ({ref:.2f}×)" if ref and e != "cref" and c[0] == "tcp" else f"{v:.2f}")
    b = idle.get(e)
    out_cells.append(f"{b:,.0f}" if b is not None else "n/a")
    print(f"| {e} | " + " | ".join(out_cells) + " |")
