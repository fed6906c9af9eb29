#!/bin/bash
# counts.sh NET CONNS DEPTH COUNT -- SERVER [ARGS...]
#
# System calls and context switches per message of one server: the server
# runs pinned to CPU 1 under perf stat (its whole life, every thread), a
# client pinned to CPU 0 sends COUNT messages on each of CONNS sockets with
# DEPTH in flight, then SIGTERM; the messages are the server's own totals
# (datagrams= for udp, frames= for tcp). Tracepoints slow every system
# call, so the figures say what the server does, not what it costs.
# BENCH is the echo-bench binary (default bin/echo-bench).
set -e
net=$1 conns=$2 depth=$3 count=$4; shift 5
bench=${BENCH:-bin/echo-bench}
out=$(mktemp -d)
ev=task-clock,context-switches,raw_syscalls:sys_enter
for s in epoll_wait epoll_pwait recvmmsg sendmmsg recvfrom sendto futex nanosleep write read; do ev=$ev,syscalls:sys_enter_$s; done
perf stat -x, -e "$ev" -o "$out/stat" -- taskset -c 1 "$@" > "$out/server" 2>&1 &
perf=$!
for _ in $(seq 100); do grep -q listening "$out/server" 2>/dev/null && break; sleep 0.1; done
addr=$(awk '/listening/{print $4; exit}' "$out/server")
"$bench" --net "$net" --addr "$addr" --conns "$conns" --depth "$depth" --count "$count" --cpus 0 -q > /dev/null
kill -TERM "$(pgrep -P $perf)"
wait $perf || true
python3 - "$out" "$net" "$conns" "$depth" "$1" <<'PY'
import re, sys
out, net, conns, depth, server = sys.argv[1:]
key = 'datagrams' if net == 'udp' else 'frames'
msgs = int(re.search(key + r'=(\d+)', open(out + '/server').read()).group(1))
fields = []
for line in open(out + '/stat'):
    f = line.strip().split(',')
    if len(f) > 3 and f[0][:1].isdigit() and float(f[0]) > 0:
        name = f[2].split(':')[-1].replace('sys_enter_', '').replace('sys_enter', 'all_syscalls')
        if name == 'task-clock':
            # perf reports msec; per message in µs.
            fields.append(f'cpu_us={float(f[0]) * 1000 / msgs:.2f}')
        else:
            fields.append(f'{name}={float(f[0]) / msgs:.3f}')
print(f'{server} {net} c{conns} d{depth}, {msgs} messages; per message: ' + ' '.join(fields))
PY
rm -rf "$out"
