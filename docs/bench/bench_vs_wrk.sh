#!/usr/bin/env bash
# Reproduces the `## bench` figures of docs/BENCHMARKS.md: bench against wrk, side by side, on the
# same nginx upstream (one worker, `return 200` with a fixed 500-byte JSON) pinned to CPU 0, the
# load tool pinned to CPU 1.
#   1. closed loop, 32 connections: CPU time per request of the tool (from /proc, user+sys);
#   2. open loop: bench at fixed rates up to wrk's capacity: achieved rate, late sends, p99, CPU;
#      h2load --rps (the public open-loop tool) at the same rate: achieved rate and CPU; and wrk's
#      closed-loop rate again right after each (the upstream's capacity at that moment);
#   3. latency floor with one connection: p50 of wrk -c1 and of bench -users 1.
#
#   docs/bench/bench_vs_wrk.sh [DURATION_S=10] [ROUNDS=3] [RATES="..."]
# RATES defaults to 25/50/75/90/100% of wrk's best closed-loop rate measured in step 1. Open-loop
# runs get one second of warm-up (-warmup 1), so that the connections bench opens as the rate
# needs them are open before the measured phase, as wrk's are when it reports its capacity.
#
# Needs build/bin/bench (cmake --build build), wrk, h2load, nginx (docker/install-deps.sh --bench-tools).
set -euo pipefail
cd "$(dirname "$0")/../.."
duration=${1:-10}
rounds=${2:-3}
rates=${3:-}
here=docs/bench
bench=$PWD/build/bin/bench
[[ -x $bench ]] || { echo "build $bench first" >&2; exit 1; }

tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT

source tests/support/free_ports.sh
free_port() { free_ports 1; }
port=$(free_port)
body=$(cat $here/fixed_500.json)
sed -e "s|@DIR@|$tmp|g" -e "s|@PORT@|$port|g" -e "s|@BODY@|$body|" $here/nginx.conf.in > "$tmp/nginx.conf"
taskset -c 0 nginx -e "$tmp/error.log" -p "$tmp" -c "$tmp/nginx.conf" & pids+=($!)
for _ in $(seq 50); do curl -fs -o /dev/null -X POST "http://127.0.0.1:$port/" && break; sleep 0.1; done
url="http://127.0.0.1:$port/v1/chat/completions"
# h2load posts wrk's body (from the wrk script), as a file.
sed -n "s/^wrk.body = '\(.*\)'$/\1/p" $here/post_chat.lua > "$tmp/body.json"

# Runs a command pinned to CPU 1; prints "<cpu seconds (user+sys)>" on fd 3, output to $tmp/out.
cpu_of() {
  taskset -c 1 "$@" > "$tmp/out" 2>"$tmp/err" &
  local pid=$! ticks=0 t
  while kill -0 $pid 2>/dev/null; do
    t=$(awk '{print $14 + $15}' /proc/$pid/stat 2>/dev/null || echo "$ticks"); ticks=${t:-$ticks}; sleep 0.05
  done
  wait $pid || true
  awk -v t="$ticks" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.3f", t / hz }'
}
bench_field() { /usr/bin/python3 -c "import json,sys; e=json.load(open('$tmp/r.json'))['url']; print(eval(sys.argv[1]))" "$1"; }

echo "== warm-up"
taskset -c 1 wrk -t1 -c32 -d2s -s $here/post_chat.lua "$url" >/dev/null

echo "== 1. closed loop, 32 connections, ${duration}s, $rounds rounds alternated"
wrk_us=(); bench_us=(); wrk_rps=0
for r in $(seq "$rounds"); do
  cpu=$(cpu_of wrk -t1 -c32 -d${duration}s -s $here/post_chat.lua "$url")
  req=$(awk '/requests in/ {print $1}' "$tmp/out"); rps=$(awk '/^Requests\/sec/ {print $2}' "$tmp/out")
  us=$(awk -v c="$cpu" -v n="$req" 'BEGIN{printf "%.2f", c/n*1e6}'); wrk_us+=("$us")
  wrk_rps=$(awk -v a="$wrk_rps" -v b="$rps" 'BEGIN{print (b > a ? b : a)}')
  echo "round $r: wrk   -t1 -c32:  $req requests, $rps req/s, CPU ${cpu}s, $us us CPU/request"
  rm -f "$tmp/r.json"
  cpu=$(cpu_of "$bench" -url "$url" -users 32 -duration $duration -output "$tmp/r.json" -quiet -log-level warn)
  req=$(bench_field "e['requests']"); rps=$(bench_field "e['throughput_rps']")
  us=$(awk -v c="$cpu" -v n="$req" 'BEGIN{printf "%.2f", c/n*1e6}'); bench_us+=("$us")
  echo "round $r: bench -users 32: $req requests, $rps req/s, CPU ${cpu}s, $us us CPU/request"
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
echo "median CPU per request: wrk $(median "${wrk_us[@]}") us, bench $(median "${bench_us[@]}") us"
[[ -z $rates ]] && rates=$(awk -v c="$wrk_rps" 'BEGIN { printf "%d %d %d %d %d", c*0.25, c*0.5, c*0.75, c*0.9, c }')

echo "== 2. open loop (wrk's closed-loop capacity here: $wrk_rps req/s)"
for rate in $rates; do
  rm -f "$tmp/r.json"
  cpu=$(cpu_of "$bench" -url "$url" -rate $rate -duration $duration -warmup 1 -output "$tmp/r.json" -quiet -log-level warn)
  echo "bench -rate $rate: achieved $(bench_field "e['achieved_rate']") req/s, $(bench_field "e['requests']") requests, late sends $(bench_field "e['late_sends']"), ok $(bench_field "e['success_rate']")%, p50 $(bench_field "e['p50_latency_ms']") ms, p99 $(bench_field "e['p99_latency_ms']") ms, CPU ${cpu}s"
  # h2load's open loop: --rps is per connection, so the rate is spread over 64 connections (the
  # total is rounded down to a multiple of 64). It reports what it achieved, not late sends.
  conns=64
  cpu=$(cpu_of h2load --h1 -t1 -c $conns --rps $((rate / conns)) -D $duration -d "$tmp/body.json" \
    -H 'content-type: application/json' "$url")
  echo "    h2load --rps, same rate ($((rate / conns * conns))): achieved $(awk '/^finished in/ {print $(NF-2)}' "$tmp/out") req/s, $(awk '/^requests:/ {print $2 " requests, " $8 " succeeded"}' "$tmp/out"), CPU ${cpu}s"
  # The upstream's capacity moves with the machine's other load: measure it again right after, so
  # a rate that was not held can be told from an upstream that could not serve it at that moment.
  taskset -c 1 wrk -t1 -c32 -d${duration}s -s $here/post_chat.lua "$url" > "$tmp/out"
  echo "    wrk -t1 -c32 right after: $(awk '/^Requests\/sec/ {print $2}' "$tmp/out") req/s"
done

echo "== 3. latency floor, one connection"
taskset -c 1 wrk -t1 -c1 -d${duration}s --latency -s $here/post_chat.lua "$url" > "$tmp/out"
echo "wrk   -t1 -c1:     p50 $(awk '/^ +50%/ {print $2}' "$tmp/out"), p99 $(awk '/^ +99%/ {print $2}' "$tmp/out"), $(awk '/^Requests\/sec/ {print $2}' "$tmp/out") req/s"
rm -f "$tmp/r.json"
taskset -c 1 "$bench" -url "$url" -users 1 -duration $duration -output "$tmp/r.json" -quiet -log-level warn
echo "bench -users 1:    p50 $(bench_field "e['p50_latency_ms']*1000") us, p99 $(bench_field "e['p99_latency_ms']*1000") us, $(bench_field "e['throughput_rps']") req/s"
