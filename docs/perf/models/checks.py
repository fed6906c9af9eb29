# checks.py RESULTS.CSV: the figures the models matrix is checked against (docs/perf/README.md, "Which model for which handler"), from a results.csv of `make models`.
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
def get(work, conns, eng):
    for r in rows:
        if r['work']==work and r['conns']==str(conns) and r['engine']==eng and r['network']=='tcp':
            return r
    return None
f=lambda r,k: float(r[k]) if r and r[k] not in ('','NaN') else float('nan')
conns = sorted({int(r['conns']) for r in rows})
engines = []
for r in rows:
    if r['engine'] not in engines: engines.append(r['engine'])
print("## 1. sleep:1ms: msgs/s, x std, and event loops against loops x 1000 (1 loop)")
for c in conns:
    std=get('sleep:1ms',c,'std')
    line=[f"c{c}"]
    for e in engines:
        r=get('sleep:1ms',c,e)
        if r: line.append(f"{e} {f(r,'msgs_per_sec'):.0f} ({f(r,'msgs_per_sec')/f(std,'msgs_per_sec'):.2f}x, +-{f(r,'spread_pct')/2:.0f}%, cb {r['client_bound_runs']})")
    print("  ".join(line))
print("## 2. none: server CPU us/msg, pool / epoll")
for c in conns:
    ep=get('none',c,'epoll')
    line=[f"c{c} epoll {f(ep,'server_cpu_us_per_msg'):.2f}"]
    for e in engines:
        r=get('none',c,e)
        if r and e!='epoll': line.append(f"{e} {f(r,'server_cpu_us_per_msg'):.2f} ({f(r,'server_cpu_us_per_msg')/f(ep,'server_cpu_us_per_msg'):.2f}x)")
    print("  ".join(line))
print("## 3. sleep:5ms@1%: p90 / empty p90 (p99 / empty p99)")
for c in conns:
    line=[f"c{c}"]
    for e in engines:
        r=get('sleep:5ms@1%',c,e); z=get('none',c,e)
        if r and z: line.append(f"{e} {f(r,'p90_us'):.0f}/{f(z,'p90_us'):.0f}={f(r,'p90_us')/f(z,'p90_us'):.2f}x (p99 {f(r,'p99_us')/f(z,'p99_us'):.2f}x)")
    print("  ".join(line))
print("## 4. cpu:20us: server CPU us/msg / (empty + 20)")
for c in conns:
    line=[f"c{c}"]
    for e in engines:
        r=get('cpu:20us',c,e); z=get('none',c,e)
        if r and z: line.append(f"{e} {f(r,'server_cpu_us_per_msg'):.1f}/({f(z,'server_cpu_us_per_msg'):.1f}+20)={f(r,'server_cpu_us_per_msg')/(f(z,'server_cpu_us_per_msg')+20):.2f}")
    print("  ".join(line))
