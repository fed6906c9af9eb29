#!/usr/bin/env python3
"""ab.py: server CPU per datagram, servers side by side, rounds interleaved.

usage: ab.py ROUNDS CONNS DEPTH COUNT NAME=COMMAND...
Each server runs pinned to CPU 1 for the whole run; each round sends COUNT
datagrams per socket to every server in turn (order rotating), from a client
pinned to CPU 0, and reads the server's CPU (sum of its threads'
/proc/PID/task/*/schedstat) around the client run. The first server named
is the base of the ratios. PRE is prepended to every command (for example
PRE="nice -n -20"); BENCH is the echo-bench binary.
"""
import json
import os
import signal
import statistics
import subprocess
import sys

def cpu_ns(pid):
    t = 0
    for tid in os.listdir(f'/proc/{pid}/task'):
        try:
            t += int(open(f'/proc/{pid}/task/{tid}/schedstat').read().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            pass
    return t

PRE = os.environ.get('PRE', '').split()

def main():
    rounds, conns, depth, count = map(int, sys.argv[1:5])
    specs = [a.split('=', 1) for a in sys.argv[5:]]
    bench = os.environ.get('BENCH', 'bin/echo-bench')
    servers = []
    for name, cmd in specs:
        p = subprocess.Popen(PRE + ['taskset', '-c', '1'] + cmd.split(), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = p.stdout.readline()
        addr = line.split()[3]
        servers.append((name, p, addr))
    res = {name: [] for name, _ in specs}
    try:
        for r in range(rounds):
            order = servers[r % len(servers):] + servers[:r % len(servers)]
            for name, p, addr in order:
                before = cpu_ns(p.pid)
                out = subprocess.run(PRE + [bench, '--net', 'udp', '--addr', addr, '--conns', str(conns), '--depth', str(depth),
                                      '--count', str(count), '--cpus', '0', '-q', '--json', '-'], capture_output=True, text=True)
                after = cpu_ns(p.pid)
                json.loads(out.stdout)  # fails the run unless the client reported
                res[name].append((after - before) / 1e3 / (conns * count))
    finally:
        for name, p, addr in servers:
            p.send_signal(signal.SIGTERM)
            p.wait()
    base = specs[0][0]
    for name, _ in specs:
        v = res[name]
        ratios = [a / b for a, b in zip(v, res[base])]
        print(f"{name:10s} median {statistics.median(v):6.2f} µs/datagram  min {min(v):6.2f}  ×{base} median {statistics.median(ratios):.3f}  runs " + ' '.join(f'{x:.2f}' for x in v))

main()
