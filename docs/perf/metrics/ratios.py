# Server CPU per message of each engine relative to old-epoll, per cell:
# median of runs, and the median of per-repeat ratios (runs of one repeat
# ran back to back, so they share the machine's load at that moment).
import json, statistics as st, sys
for path in sys.argv[1:]:
    d = json.load(open(path))
    cells = {}
    for r in d['runs']:
        c = r['cell']; key = (c['conns'], c['depth'])
        cells.setdefault(key, {}).setdefault(r['engine'], {})[r['repeat']] = r['server']['cpu_us_per_msg']
    print(path)
    for key, engines in sorted(cells.items()):
        old = engines.get('old-epoll')
        for name, runs in sorted(engines.items()):
            med = st.median(runs.values())
            line = f"  c{key[0]} d{key[1]} {name:14s} median {med:7.3f} µs/msg  min {min(runs.values()):7.3f}"
            if old and name != 'old-epoll':
                pair = [runs[i] / old[i] for i in runs if i in old]
                line += f"  median/old {med / st.median(old.values()):.3f}  median of per-repeat ratios {st.median(pair):.3f} (n={len(pair)})"
            print(line)
