#!/usr/bin/env bash
# Reproduces the proxy comparison of docs/BENCHMARKS.md ("## proxy"): the proxy (--threads 1)
# against HAProxy 2.6 (tcp and http mode, nbthread 1), nginx 1.22 proxy_pass (one worker) and the
# original FastAPI+httpx wrapper (one uvicorn worker), all in front of the same fixed upstream
# (nginx `return 200` with a 500-byte JSON). Servers are pinned to CPU 0, the load generators to
# CPU 1; candidates are alternated inside each round, each round starting one candidate further
# on; medians over rounds are reported.
#
#   docs/bench/proxy_compare.sh [ROUNDS=3] [DURATION_S=5] [CANDIDATES="direct proxy haproxy-tcp haproxy-http nginx fastapi"]
#
# Per candidate and round:
#   closed loop  wrk -t1 -c32 -d<D>s POST            -> req/s, CPU us per request (/proc/PID/stat) of
#                the candidate and of the upstream nginx (up_cpu; for "direct" the two are the same)
#   open loop    h2load --h1 --rps at 1000 and 5000 req/s (FastAPI: 500 req/s) -> p50/p99 from the
#                per-request log, "added" = candidate - direct of the same round
#   memory       h2load with 1000 connections at 5000 req/s -> RSS (VmRSS, summed over the process
#                and its children) at the end of the run
#   overhead     bench in overhead mode (candidate vs the upstream in alternating windows) at 1000
#                and 5000 req/s -> overhead p50/p99 with 95% intervals (the run whose p50 is the median;
#                every run's line goes to stderr)
# Environment: BENCH_DURATION=S runs the overhead part S seconds per run (default DURATION_S);
# OVERHEAD_ONLY=1 skips wrk, h2load and the memory runs (only the overhead part); BENCH_OVERHEAD=0
# skips the overhead part; BENCH_VERSUS=NAME (one of the candidates) measures the overhead part
# against that candidate instead of the upstream: bench's windows then alternate two candidates over
# the same upstream, and its "overhead" is the difference of their latencies with one interval (the
# upstream's own part cancels). The p99 comparisons of docs/BENCHMARKS.md used
#   OVERHEAD_ONLY=1 BENCH_DURATION=30 docs/bench/proxy_compare.sh 3 5 "proxy haproxy-tcp"
#   OVERHEAD_ONLY=1 BENCH_VERSUS=haproxy-tcp BENCH_DURATION=30 docs/bench/proxy_compare.sh 5 5 "proxy haproxy-tcp haproxy-tcp2"
# where haproxy-tcp2, a second HAProxy tcp process, is the A/A control: how far apart two identical
# relays measure on this machine.
# Needs build/bin/proxy, wrk, h2load, haproxy, nginx, /usr/bin/python3 with fastapi/uvicorn/httpx.
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-3}
dur=${2:-5}
candidates=${3:-"direct proxy haproxy-tcp haproxy-http nginx fastapi"}
versus=${BENCH_VERSUS:-}
if [[ -n $versus && ( $versus == direct || $versus == fastapi || " $candidates " != *" $versus "* ) ]]; then
  echo "BENCH_VERSUS=$versus: name one of the candidates ($candidates) other than direct and fastapi" >&2
  exit 2
fi
here=docs/bench
proxy_bin=build/bin/proxy
[[ -x $proxy_bin ]] || { echo "build $proxy_bin first" >&2; exit 1; }
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true  # 1000 client connections + upstream ones

source $here/proxy_fixtures.sh
bench_setup
free_port() { free_ports 1; }
body_file=$tmp/body.json
echo '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Say hello in one short sentence."}]}' > "$body_file"

# The fixed upstream.
uport=$(free_port)
fixed_upstream_conf "$tmp" "$uport" > "$tmp/upstream.conf"
taskset -c 0 nginx -e "$tmp/upstream-error.log" -p "$tmp" -c "$tmp/upstream.conf" & pids+=($!)
upstream_pid=$!

declare -A port pid
start_candidate() { # name
  local n=$1 p
  p=$(free_port); port[$n]=$p
  case $n in
    direct) port[$n]=$uport; pid[$n]=$upstream_pid; return ;;
    proxy)
      taskset -c 0 "$proxy_bin" --provider bifrost --port bifrost=$p --upstream bifrost=http://127.0.0.1:$uport/v1 \
        --admin-port 0 --threads 1 --log-level warn --env-file "$tmp/none.env" > "$tmp/proxy.out" & ;;
    haproxy-tcp|haproxy-http|haproxy-tcp2)
      # haproxy-tcp2: a second, identical HAProxy tcp process, the A/A control for BENCH_VERSUS=haproxy-tcp.
      haproxy_conf "$([[ $n == haproxy-http ]] && echo http || echo tcp)" "$p" "$uport" > "$tmp/$n.cfg"
      taskset -c 0 haproxy -db -f "$tmp/$n.cfg" > "$tmp/$n.log" 2>&1 & ;;
    nginx)
      sed -e "s|@DIR@|$tmp|g" -e "s|@PORT@|$p|g" -e "s|@UPORT@|$uport|g" $here/proxy_nginx_proxy.conf.in > "$tmp/nginxproxy.conf"
      taskset -c 0 nginx -e "$tmp/nginxproxy-error.log" -p "$tmp" -c "$tmp/nginxproxy.conf" & ;;
    fastapi)
      UPSTREAM=http://127.0.0.1:$uport/v1 taskset -c 0 /usr/bin/python3 $here/proxy_fastapi_wrapper.py "$p" > "$tmp/fastapi.log" 2>&1 & ;;
  esac
  pids+=($!); pid[$n]=$!
  wait_http "http://127.0.0.1:$p/v1/chat/completions"
}
cpu_ticks() { # pid and its children: utime+stime in clock ticks
  local t=0 q
  for q in $1 $(pgrep -P "$1" || true); do t=$((t + $(awk '{print $14 + $15}' /proc/$q/stat))); done; echo $t
}
rss_kb() { local t=0 q; for q in $1 $(pgrep -P "$1" || true); do t=$((t + $(awk '/^VmRSS/ {print $2}' /proc/$q/status))); done; echo $t; }
hz=$(getconf CLK_TCK)

closed_loop() { # name -> "rps cpu_us_per_req upstream_cpu_us_per_req"
  # The upstream's CPU is read too: it shares CPU 0 with the candidate, so req/s reflects both, and
  # a candidate can move work onto the upstream's account (docs/BENCHMARKS.md, io_uring).
  local n=$1 url="http://127.0.0.1:${port[$1]}/v1/chat/completions" c0 c1 u0 u1 out reqs rps
  c0=$(cpu_ticks "${pid[$n]}"); u0=$(cpu_ticks "$upstream_pid")
  out=$(taskset -c 1 wrk -t1 -c32 -d${dur}s -s $here/proxy_post_chat.lua "$url")
  c1=$(cpu_ticks "${pid[$n]}"); u1=$(cpu_ticks "$upstream_pid")
  reqs=$(echo "$out" | awk '/requests in/ {print $1}')
  rps=$(echo "$out" | awk '/^Requests\/sec/ {print $2}')
  awk -v r="$rps" -v q="$reqs" -v d=$((c1 - c0)) -v u=$((u1 - u0)) -v hz="$hz" \
    'BEGIN { printf "%.0f %.1f %.1f", r, d * 1e6 / hz / q, u * 1e6 / hz / q }'
}
open_loop() { # name rate conns -> "p50_us p99_us ok_fraction"
  local n=$1 rate=$2 conns=$3 url="http://127.0.0.1:${port[$1]}/v1/chat/completions" log=$tmp/h2load.log
  rm -f "$log"
  taskset -c 1 h2load --h1 -c "$conns" --rps $((rate / conns)) -D "$dur" -d "$body_file" \
    -H 'content-type: application/json' --log-file="$log" "$url" > "$tmp/h2load.out" 2>&1 || true
  awk '{ n++; if ($2 == 200) ok++; print $3 }' "$log" | sort -n | awk -v total="$(wc -l < "$log")" -v ok="$(awk '$2==200' "$log" | wc -l)" \
    '{ v[NR] = $1 } END { if (NR == 0) { print "nan nan 0"; exit } printf "%d %d %.4f", v[int(NR*0.5)+1], v[int(NR*0.99)+1], ok/total }'
}
rss_under_load() { # name -> RSS MB with 1000 connections at 5000 req/s
  local n=$1 url="http://127.0.0.1:${port[$1]}/v1/chat/completions" h rss
  taskset -c 1 h2load --h1 -c 1000 --rps 5 -D "$dur" -d "$body_file" -H 'content-type: application/json' "$url" \
    > "$tmp/rss.out" 2>&1 & h=$!
  sleep $((dur - 1))
  rss=$(rss_kb "${pid[$n]}")
  wait $h || true
  awk -v k="$rss" 'BEGIN { printf "%.1f", k / 1024 }'
}

for n in $candidates; do start_candidate "$n"; done
# The candidates in round R's order: each round starts one further on, so that no candidate always
# runs first (right after the warm-up or another round) or last.
read -ra all_candidates <<<"$candidates"
round_order() {
  local k=$((($1 - 1) % ${#all_candidates[@]}))
  echo "${all_candidates[@]:$k}" "${all_candidates[@]:0:$k}"
}
echo "# upstream nginx pid $upstream_pid port $uport; candidates: $candidates; rounds $rounds x ${dur}s"
# Warm-up (not recorded).
for n in $candidates; do taskset -c 1 wrk -t1 -c32 -d1s -s $here/proxy_post_chat.lua "http://127.0.0.1:${port[$n]}/v1/chat/completions" >/dev/null; done

results=$tmp/results.txt
[[ ${OVERHEAD_ONLY:-0} == 1 ]] || {
for r in $(seq "$rounds"); do
  for n in $(round_order "$r"); do
    read -r rps cpu ucpu <<< "$(closed_loop "$n")"
    if [[ $n == fastapi ]]; then
      read -r a50 a99 aok <<< "$(open_loop "$n" 500 10)"; b50=nan; b99=nan; bok=0
    else
      read -r a50 a99 aok <<< "$(open_loop "$n" 1000 10)"
      read -r b50 b99 bok <<< "$(open_loop "$n" 5000 50)"
    fi
    rss=$(rss_under_load "$n")
    echo "round $r $n rps $rps cpu_us $cpu p50_1k $a50 p99_1k $a99 ok_1k $aok p50_5k $b50 p99_5k $b99 ok_5k $bok rss_mb_1000c $rss upstream_cpu_us $ucpu" | tee -a "$results"
  done
done

echo
echo "# medians over $rounds rounds (latencies in us; added = candidate - direct, per round, then median)"
awk '
  { k = $3; n[k]++; i = n[k]; rps[k, i] = $5; cpu[k, i] = $7; p50a[k, i] = $9; p99a[k, i] = $11; p50b[k, i] = $15; p99b[k, i] = $17; rss[k, i] = $21; ucpu[k, i] = $23;
    round[k, i] = $2; names[k] = 1; if (k == "direct") { d50a[$2] = $9; d99a[$2] = $11; d50b[$2] = $15; d99b[$2] = $17 } }
  function med(arr, k, m,   i, j, t, v) { for (i = 1; i <= m; i++) v[i] = arr[k, i]
    for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (v[j] + 0 < v[i] + 0) { t = v[i]; v[i] = v[j]; v[j] = t }
    return m % 2 ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2 }
  END {
    printf "%-13s %9s %8s %8s %9s %9s %9s %9s %9s %9s %9s\n", "candidate", "req/s", "cpu_us", "up_cpu", "p50@1k", "+p50@1k", "+p99@1k", "p50@5k", "+p50@5k", "+p99@5k", "rss_MB"
    for (k in names) { m = n[k]
      for (i = 1; i <= m; i++) { r = round[k, i]; x50a[k, i] = p50a[k, i] - d50a[r]; x99a[k, i] = p99a[k, i] - d99a[r]; x50b[k, i] = p50b[k, i] - d50b[r]; x99b[k, i] = p99b[k, i] - d99b[r] }
      printf "%-13s %9.0f %8.1f %8.1f %9.0f %9.0f %9.0f %9s %9s %9s %9.1f\n", k, med(rps, k, m), med(cpu, k, m), med(ucpu, k, m), med(p50a, k, m), med(x50a, k, m), med(x99a, k, m),
        (k == "fastapi" ? "-" : sprintf("%.0f", med(p50b, k, m))), (k == "fastapi" ? "-" : sprintf("%.0f", med(x50b, k, m))), (k == "fastapi" ? "-" : sprintf("%.0f", med(x99b, k, m))), med(rss, k, m) } }' "$results"
echo "(fastapi: open loop at 500 req/s instead of 1000; its +p50@1k column is at 500 req/s)"
}

# The overhead as the project's own bench measures it: open loop, candidate and upstream in
# alternating windows, overhead per percentile with a 95% bootstrap interval (docs/BENCH.md). Less
# exposed to the machine's drift than subtracting separate h2load runs. BENCH_OVERHEAD=0 skips it.
bench_bin=build/bin/bench
if [[ ${BENCH_OVERHEAD:-1} == 1 && -x $bench_bin ]]; then
  echo
  bdur=${BENCH_DURATION:-$dur}
  base_url="http://127.0.0.1:$uport/v1/chat/completions" base_name=upstream
  if [[ -n $versus ]]; then base_url="http://127.0.0.1:${port[$versus]}/v1/chat/completions" base_name=$versus; fi
  echo "# overhead measured by bench (-url candidate -direct $base_name, windows of 0.5 s, ${bdur}s, medians of $rounds rounds; ms)"
  # Rounds alternate the candidates (drift hits each alike); every run is one line in $ov.
  ov=$tmp/overhead.txt
  : > "$ov"
  for rate in 1000 5000; do
    for r in $(seq "$rounds"); do
      for n in $(round_order "$r"); do
        [[ $n == direct || $n == fastapi || $n == "$versus" ]] && continue
        line=$(taskset -c 1 "$bench_bin" -url "http://127.0.0.1:${port[$n]}/v1/chat/completions" \
          -direct "$base_url" -rate "$rate" -duration "$bdur" -warmup 1 \
          -window 0.5s -connections 64 -quiet -json -output "$tmp/bench.json" -env-file "$tmp/none.env" 2>/dev/null |
          /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); e=d[0] if isinstance(d,list) else next(iter(d.values())); o=e["overhead"]
print(" ".join("%.3f %.3f %.3f" % (o[k]["value"], o[k]["ci_low"], o[k]["ci_high"]) for k in ("p50_ms", "p99_ms")))') || line=
        [[ -n $line ]] || { echo "# run $r $n $rate: bench failed" >&2; continue; }
        echo "# run $r $n $rate: $line" >&2
        echo "$n $rate $line" >> "$ov"
      done
    done
  done
  printf "%-13s %6s %26s %26s\n" candidate rate "p50 overhead [95% CI]" "p99 overhead [95% CI]"
  for n in $candidates; do
    [[ $n == direct || $n == fastapi || $n == "$versus" ]] && continue
    for rate in 1000 5000; do
      awk -v n="$n" -v rate="$rate" '$1 == n && $2 == rate { print $3, $4, $5, $6, $7, $8 }' "$ov" | sort -n -k1 |
        awk -v n="$n" -v rate="$rate" 'NF { v[++k] = $0 } END { if (!k) exit; split(v[int((k + 1) / 2)], m, " ");
          printf "%-13s %6d %+9.3f [%+.3f, %+.3f] %+9.3f [%+.3f, %+.3f]\n", n, rate, m[1], m[2], m[3], m[4], m[5], m[6] }'
    done
  done
fi
