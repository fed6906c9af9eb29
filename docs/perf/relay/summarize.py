#!/usr/bin/env python3
"""Turns run.sh's runs.csv and idle.csv into the Markdown tables of
results.md: per cell, the median over repeats of each target's figures,
and the ratios the relay's claims rest on, each taken within a repeat
(the targets of one repeat ran back to back) and then the median."""
import csv
import sys
from collections import defaultdict
from statistics import median

FWD = ["relay-auto", "relay-splice", "relay-pipe1m", "relay-copy", "relay-auto-old", "relay-copy-old", "gorelay",
       "haproxy-splice", "haproxy-copy"]


def size_name(n):
    n = int(n)
    if n >= 1 << 20:
        return f"{n >> 20} MiB"
    if n >= 1 << 10:
        return f"{n >> 10} KiB"
    return f"{n} B"


def main(runs_path, idle_path):
    runs = list(csv.DictReader(open(runs_path)))
    cells = defaultdict(lambda: defaultdict(dict))  # cell -> repeat -> target -> row
    for r in runs:
        cell = (int(r["size"]), int(r["depth"]), int(r["conns"]))
        b = float(r["bytes_each_way"])
        if r["fwd_cpu_s"] and b > 0:
            cpu = float(r["fwd_cpu_s"])
            r["ns_per_byte"] = cpu / (2 * b) * 1e9
            r["us_per_msg"] = cpu / (b / cell[0]) * 1e6
        r["carried_mbs"] = b / float(r["wall_s"]) / 1e6
        cells[cell][r["repeat"]][r["target"]] = r
    loads = [float(r["load1"]) for r in runs]
    print(f"{len(runs)} runs; 1-minute load average during them: min {min(loads):.1f}, median {median(loads):.1f}, max {max(loads):.1f} (2 CPUs).\n")
    print("ns/B: forwarder CPU (utime+stime) per byte forwarded, both directions counted; µs/msg: per round trip of one message "
          "(its bytes up and its echo down); MB/s: echo-bench's measured window, each way; p99 +: p99 round trip minus direct's; "
          "RSS: forwarder's resident memory halfway through the run. Medians over repeats.\n")

    def med(cell, target, key):
        vals = [float(rep[target][key]) for rep in cells[cell].values() if target in rep and rep[target].get(key) not in (None, "")]
        return median(vals) if vals else None

    def ratio(cell, a, b, key):
        vals = []
        for rep in cells[cell].values():
            if a in rep and b in rep and rep[a].get(key) and rep[b].get(key) and float(rep[b][key]) > 0:
                vals.append(float(rep[a][key]) / float(rep[b][key]))
        return median(vals) if vals else None

    def f(v, fmt):
        return "–" if v is None else format(v, fmt)

    print("| size | depth | conns | target | MB/s | msgs/s | ns/B | µs/msg | p99 µs | p99 + µs | RSS MiB |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for cell in sorted(cells):
        direct_p99 = med(cell, "direct", "p99_us")
        for t in ["direct"] + FWD:
            if med(cell, t, "mb_per_sec") is None:
                continue
            p99 = med(cell, t, "p99_us")
            added = None if t == "direct" or p99 is None or direct_p99 is None else p99 - direct_p99
            rss = med(cell, t, "rss_mid_kb")
            print(f"| {size_name(cell[0])} | {cell[1]} | {cell[2]} | {t} | {f(med(cell, t, 'mb_per_sec'), '.1f')} | "
                  f"{f(med(cell, t, 'msgs_per_sec'), '.0f')} | {f(med(cell, t, 'ns_per_byte'), '.3f')} | "
                  f"{f(med(cell, t, 'us_per_msg'), '.2f')} | {f(p99, '.0f')} | {f(added, '.0f')} | "
                  f"{'–' if t == 'direct' or not rss else format(rss / 1024, '.1f')} |")

    print("\n## Ratios per cell (median of per-repeat ratios)\n")
    print("CPU ratios are ns/B; throughput ratios are MB/s. A CPU ratio under 1 means the first spends less.\n")
    print("| size | depth | conns | splice ÷ copy MB/s (relay) | splice ÷ copy CPU (relay) | splice ÷ copy MB/s (HAProxy) | "
          "splice ÷ copy CPU (HAProxy) | relay-auto ÷ best HAProxy CPU | relay-splice ÷ best HAProxy CPU | relay-copy ÷ haproxy-copy CPU | "
          "relay-auto ÷ gorelay CPU | relay-auto ÷ relay-splice CPU | relay-auto ÷ relay-copy CPU |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")

    def vs_best(cell, target):
        vals = []
        for rep in cells[cell].values():
            hs, hc, r = rep.get("haproxy-splice"), rep.get("haproxy-copy"), rep.get(target)
            if r and hs and hc and r.get("ns_per_byte") and hs.get("ns_per_byte") and hc.get("ns_per_byte"):
                vals.append(r["ns_per_byte"] / min(hs["ns_per_byte"], hc["ns_per_byte"]))
        return median(vals) if vals else None

    for cell in sorted(cells):
        print(f"| {size_name(cell[0])} | {cell[1]} | {cell[2]} | {f(ratio(cell, 'relay-splice', 'relay-copy', 'mb_per_sec'), '.2f')} | "
              f"{f(ratio(cell, 'relay-splice', 'relay-copy', 'ns_per_byte'), '.2f')} | "
              f"{f(ratio(cell, 'haproxy-splice', 'haproxy-copy', 'mb_per_sec'), '.2f')} | "
              f"{f(ratio(cell, 'haproxy-splice', 'haproxy-copy', 'ns_per_byte'), '.2f')} | "
              f"{f(vs_best(cell, 'relay-auto'), '.2f')} | {f(vs_best(cell, 'relay-splice'), '.2f')} | "
              f"{f(ratio(cell, 'relay-copy', 'haproxy-copy', 'ns_per_byte'), '.2f')} | "
              f"{f(ratio(cell, 'relay-auto', 'gorelay', 'ns_per_byte'), '.2f')} | "
              f"{f(ratio(cell, 'relay-auto', 'relay-splice', 'ns_per_byte'), '.2f')} | "
              f"{f(ratio(cell, 'relay-auto', 'relay-copy', 'ns_per_byte'), '.2f')} |")

    if any("relay-auto-old" in rep for c in cells.values() for rep in c.values()):
        print("\n## This build against the baseline (BASELINE), both against HAProxy\n")
        print("CPU per byte, median of per-repeat ratios. Best HAProxy is the cheaper of its two paths in that repeat.\n")
        print("| size | depth | conns | relay-auto ÷ best HAProxy | relay-auto-old ÷ best HAProxy | relay-copy ÷ haproxy-copy | "
              "relay-copy-old ÷ haproxy-copy | relay-auto ÷ relay-auto-old | relay-copy ÷ relay-copy-old |")
        print("|---|---|---|---|---|---|---|---|---|")
        for cell in sorted(cells):
            print(f"| {size_name(cell[0])} | {cell[1]} | {cell[2]} | {f(vs_best(cell, 'relay-auto'), '.2f')} | "
                  f"{f(vs_best(cell, 'relay-auto-old'), '.2f')} | {f(ratio(cell, 'relay-copy', 'haproxy-copy', 'ns_per_byte'), '.2f')} | "
                  f"{f(ratio(cell, 'relay-copy-old', 'haproxy-copy', 'ns_per_byte'), '.2f')} | "
                  f"{f(ratio(cell, 'relay-auto', 'relay-auto-old', 'ns_per_byte'), '.2f')} | "
                  f"{f(ratio(cell, 'relay-copy', 'relay-copy-old', 'ns_per_byte'), '.2f')} |")

    if any("relay-pipe1m" in rep for c in cells.values() for rep in c.values()):
        print("\n## Pipe size: 1 MiB pipes (F_SETPIPE_SZ) against the default 64 KiB, both splicing\n")
        print("| size | depth | conns | MB/s ratio | CPU ratio |")
        print("|---|---|---|---|---|")
        for cell in sorted(cells):
            print(f"| {size_name(cell[0])} | {cell[1]} | {cell[2]} | {f(ratio(cell, 'relay-pipe1m', 'relay-splice', 'mb_per_sec'), '.2f')} | "
                  f"{f(ratio(cell, 'relay-pipe1m', 'relay-splice', 'ns_per_byte'), '.2f')} |")

    try:
        idle = list(csv.DictReader(open(idle_path)))
    except FileNotFoundError:
        idle = []
    if idle:
        print("\n## Memory per idle pair\n")
        print("| target | pairs | RSS before MiB | RSS with the pairs MiB | bytes per pair |")
        print("|---|---|---|---|---|")
        for r in idle:
            print(f"| {r['target']} | {r['conns']} | {int(r['rss_before_kb']) / 1024:.1f} | {int(r['rss_mid_kb']) / 1024:.1f} | {r['bytes_per_pair']} |")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "")
