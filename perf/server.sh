# server.sh: sourced by probe.sh and profile.sh. Reads their arguments
#   LABEL CONNS SIZE DEPTH [ENV=VALUE...] -- SERVER [ARGS...]
# into label, conns, size and depth, starts SERVER --addr 127.0.0.1:0
# pinned to CPU 1 (GOMAXPROCS=1 unless an ENV argument says otherwise)
# with its output in $out/server.log, and sets server (its pid) and addr
# (what its listening line names). The caller sets out, a scratch folder.
label=$1 conns=$2 size=$3 depth=$4
shift 4
envs=()
while [ "$1" != "--" ]; do envs+=("$1"); shift; done
shift
BIN=${BIN:-bin}
env GOMAXPROCS=1 "${envs[@]}" taskset -c 1 "$@" --addr 127.0.0.1:0 >"$out/server.log" 2>&1 &
server=$!
for _ in $(seq 100); do grep -qs listening "$out/server.log" && break; sleep 0.1; done
addr=$(awk '/listening/{print $4; exit}' "$out/server.log")
