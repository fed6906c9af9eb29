# medians.py RUNS.TXT: median msgs/s and server CPU per message [range] per cell and rule, from ab.sh's output.
import re,sys,statistics as st
d={}
for line in open(sys.argv[1]):
    m=re.match(r'(\S+) s(\d+) d(\d+)\s+(\S+)\s+c\s*(\d+)\s+(\d+) msg/s cpu\s+([\d.]+)',line)
    if not m: continue
    cfg,s,dp,w,c,mps,cpu=m.groups()
    d.setdefault((w,c,s,dp),{}).setdefault(cfg,[]).append((float(mps),float(cpu)))
for k,v in d.items():
    now=v.get('now')
    out=f"{k[0]:8} c{k[1]:>3} {k[2]:>5}B d{k[3]:<2}"
    for cfg in ["now","h16","round","b64k"]:
        if cfg in v:
            mps=st.median(x[0] for x in v[cfg]); cpu=st.median(x[1] for x in v[cfg])
            out+=f" | {cfg} {mps:9.0f} {cpu:6.2f}us [{min(x[1] for x in v[cfg]):.2f}-{max(x[1] for x in v[cfg]):.2f}]"
    print(out)
