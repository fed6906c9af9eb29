#!/usr/bin/env python3
"""The tables of README.md, from this run's results.json.

    python3 table.py results.json

TCP: server CPU per message (median of the repeats) of uring, curing,
epoll and cref per cell, the ratios uring / curing, uring / epoll and
curing / cref, their geometric means over the TCP cells, and the same
two uring ratios taken repeat by repeat (engines run seconds apart) as a
check on the medians. UDP: datagrams/s and server CPU per datagram.
Spread is (max - min) / median over the repeats.
"""
import json
import math
import statistics
import sys

ENGINES = ("uring", "curing", "epoll", "cref")
CPU = "server_cpu_us_per_msg"


def geomean(xs):
    return math.exp(sum(map(math.log, xs)) / len(xs))


def main(path):
    res = json.load(open(path))
    summary, repeats = {}, {}
    for s in res["summaries"]:
        c = s["cell"]
        summary[(c["network"], c["conns"], c["size"], c["depth"]), s["engine"]] = s
    for r in res["runs"]:
        if r.get("error") or r.get("counted"):
            continue
        c = r["cell"]
        key = (c["network"], c["conns"], c["size"], c["depth"])
        repeats.setdefault((key, r["repeat"]), {})[r["engine"]] = r["server"]["cpu_us_per_msg"]

    def med(key, e, field):
        return summary[key, e][field]["median"]

    def spread(key, e, field):
        st = summary[key, e][field]
        return (st["max"] - st["min"]) / st["median"]

    def paired(key, a, b):
        rs = [v[a] / v[b] for (k, _), v in repeats.items() if k == key and a in v and b in v]
        return statistics.median(rs)

    tcp = sorted({k for k, _ in summary if k[0] == "tcp"}, key=lambda k: (k[1], k[3], k[2]))
    udp = sorted({k for k, _ in summary if k[0] == "udp"}, key=lambda k: (k[1], k[3]))

    print("| conns | depth | size | uring | curing | epoll | cref | uring ÷ curing | uring ÷ epoll | curing ÷ cref |"
          " paired uring ÷ curing | paired uring ÷ epoll | CPU spread uring / curing / epoll / cref | msgs/s uring / curing / epoll / cref |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|")
    ratios = {n: [] for n in ("uc", "ue", "cc", "puc", "pue")}
    for k in tcp:
        u, cu, ep, cr = (med(k, e, CPU) for e in ENGINES)
        row = {"uc": u / cu, "ue": u / ep, "cc": cu / cr, "puc": paired(k, "uring", "curing"), "pue": paired(k, "uring", "epoll")}
        for n, v in row.items():
            ratios[n].append(v)
        spreads = " / ".join(f"{spread(k, e, CPU) * 100:.0f} %" for e in ENGINES)
        rates = " / ".join(f"{med(k, e, 'msgs_per_sec') / 1000:.0f}k" for e in ENGINES)
        size = "64 B" if k[2] == 64 else "1 KiB"
        print(f"| {k[1]} | {k[3]} | {size} | {u:.2f} | {cu:.2f} | {ep:.2f} | {cr:.2f} | {row['uc']:.2f} | {row['ue']:.2f} |"
              f" {row['cc']:.2f} | {row['puc']:.2f} | {row['pue']:.2f} | {spreads} | {rates} |")
    g = {n: geomean(v) for n, v in ratios.items()}
    print(f"| **geometric mean**, {len(tcp)} cells | | | | | | | **{g['uc']:.2f}** | **{g['ue']:.2f}** | **{g['cc']:.2f}** |"
          f" {g['puc']:.2f} | {g['pue']:.2f} | | |")
    print()
    print("| sockets | depth | engine | datagrams/s | spread | srv µs/datagram | CPU spread | × curing (CPU) | loss % |")
    print("|---:|---:|---|---:|---:|---:|---:|---:|---:|")
    for k in udp:
        cu = med(k, "curing", CPU)
        for e in ENGINES:
            c = med(k, e, CPU)
            print(f"| {k[1]} | {k[3]} | {e} | {med(k, e, 'msgs_per_sec') / 1000:.0f}k | {spread(k, e, 'msgs_per_sec') * 100:.0f} % |"
                  f" {c:.2f} | {spread(k, e, CPU) * 100:.0f} % | {c / cu:.2f} | {med(k, e, 'udp_loss_pct'):.2f} |")


if __name__ == "__main__":
    main(sys.argv[1])
