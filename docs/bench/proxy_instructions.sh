#!/usr/bin/env bash
# Instructions per proxied request (docs/BENCHMARKS.md "## proxy"): the proxy runs under callgrind in
# front of the fixed nginx upstream, wrk -t1 -c8 drives it for 3 s and then, in a second run, for
# 6 s; (Ir(6 s) - Ir(3 s)) / (requests(6 s) - requests(3 s)) cancels start-up and shutdown.
#
#   docs/bench/proxy_instructions.sh [PROXY_BINARY=build/bin/proxy]
#
# Needs valgrind, wrk, nginx, curl. Instruction counts do not depend on the machine's load, so this
# is the figure to compare builds with on a shared machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${1:-build/bin/proxy}
here=docs/bench
[[ -x $bin ]] || { echo "no proxy binary at $bin" >&2; exit 1; }
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
source tests/support/free_ports.sh
free_port() { free_ports 1; }
uport=$(free_port)
source $here/proxy_fixtures.sh
fixed_upstream_conf "$tmp" "$uport" > "$tmp/upstream.conf"
taskset -c 0 nginx -e "$tmp/upstream-error.log" -p "$tmp" -c "$tmp/upstream.conf" & pids+=($!)
declare -A reqs ir
for d in 3 6; do
  port=$(free_port)
  taskset -c 0 valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.$d" "$bin" --provider bifrost \
    --port "bifrost=$port" --upstream "bifrost=http://127.0.0.1:$uport/v1" --admin-port 0 --threads 1 \
    --log-level warn --env-file "$tmp/none.env" > "$tmp/proxy.$d.out" 2>&1 &
  vg=$!
  for _ in $(seq 100); do curl -fs -o /dev/null -X POST -d '{}' "http://127.0.0.1:$port/v1/chat/completions" && break; sleep 0.2; done
  reqs[$d]=$(taskset -c 1 wrk -t1 -c8 -d${d}s -s $here/proxy_post_chat.lua "http://127.0.0.1:$port/v1/chat/completions" |
             awk '/requests in/ {print $1}')
  kill -INT $vg; wait $vg || true
  ir[$d]=$(callgrind_annotate "$tmp/cg.$d" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",","",$1); print $1}')
  echo "run ${d}s: ${reqs[$d]} requests, ${ir[$d]} instructions"
done
awk -v i3="${ir[3]}" -v i6="${ir[6]}" -v r3="${reqs[3]}" -v r6="${reqs[6]}" \
  'BEGIN { printf "instructions per request: %.0f\n", (i6 - i3) / (r6 - r3) }'
