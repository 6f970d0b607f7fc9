#!/usr/bin/env bash
# Reproduces the mock-llm speed check of docs/BENCHMARKS.md: one mock-llm worker answering small
# chat completions against nginx (one worker) answering a fixed 500-byte JSON with `return 200`.
# Both servers pinned to CPU 0, wrk pinned to CPU 1, `-t1 -c32` POST, alternated A/B/A/B.
#
#   docs/bench/mock_vs_nginx.sh [ROUNDS=5] [DURATION=10s]
#
# Needs build/bin/mock-llm (cmake --build build), wrk and nginx (docker/install-deps.sh --bench-tools).
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-5}
duration=${2:-10s}
here=docs/bench
mock=build/bin/mock-llm
[[ -x $mock ]] || { echo "build $mock first" >&2; exit 1; }

tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT

source tests/support/free_ports.sh
free_port() { free_ports 1; }
nginx_port=$(free_port)
body=$(cat $here/fixed_500.json)
sed -e "s|@DIR@|$tmp|g" -e "s|@PORT@|$nginx_port|g" -e "s|@BODY@|$body|" $here/nginx.conf.in > "$tmp/nginx.conf"
taskset -c 0 nginx -e "$tmp/error.log" -p "$tmp" -c "$tmp/nginx.conf" & pids+=($!)
nginx_master=$!

taskset -c 0 "$mock" --port 0 --threads 1 --log-level warn --env-file "$tmp/none.env" > "$tmp/mock.out" & pids+=($!)
mock_pid=$!
for _ in $(seq 50); do grep -q '^listening mock' "$tmp/mock.out" && break; sleep 0.1; done
mock_port=$(sed -n 's/^listening mock .*:\([0-9]*\)$/\1/p' "$tmp/mock.out")
for _ in $(seq 50); do curl -fs -o /dev/null -X POST "http://127.0.0.1:$nginx_port/" && break; sleep 0.1; done

url_nginx="http://127.0.0.1:$nginx_port/v1/chat/completions"
url_mock="http://127.0.0.1:$mock_port/v1/chat/completions"
echo "nginx: $(curl -s -X POST "$url_nginx" | wc -c) bytes; mock-llm: $(curl -s -X POST -d @<(echo '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Say hello in one short sentence."}]}') "$url_mock" | wc -c) bytes"

nginx_worker=$(pgrep -P "$nginx_master" | head -1)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; } # utime + stime of a process, in clock ticks
hz=$(getconf CLK_TCK)
# run_wrk DURATION URL PID -> "requests/s server-CPU-microseconds-per-request"
run_wrk() {
  local before after out
  before=$(cpu_ticks "$3")
  out=$(taskset -c 1 wrk -t1 -c32 -d"$1" -s $here/post_chat.lua "$2")
  after=$(cpu_ticks "$3")
  echo "$out" | awk -v t=$((after - before)) -v hz="$hz" '
    /requests in/ { n = $1 } /^Requests\/sec/ { rps = $2 }
    END { printf "%s %.2f\n", rps, (n > 0 ? t / hz * 1e6 / n : 0) }'
}
# Warm-up, not recorded.
run_wrk 2s "$url_nginx" "$nginx_worker" >/dev/null; run_wrk 2s "$url_mock" "$mock_pid" >/dev/null

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
results=()
for r in $(seq "$rounds"); do
  read -r n ncpu <<<"$(run_wrk "$duration" "$url_nginx" "$nginx_worker")"
  read -r m mcpu <<<"$(run_wrk "$duration" "$url_mock" "$mock_pid")"
  ratio=$(awk -v m="$m" -v n="$n" 'BEGIN { printf "%.3f", m / n }')
  echo "round $r: nginx $n req/s ($ncpu us CPU/req), mock-llm $m req/s ($mcpu us CPU/req), throughput ratio $ratio"
  results+=("$n $m $ratio $ncpu $mcpu")
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%s\n' "${results[@]}" | awk '
  { n[NR]=$1; m[NR]=$2; r[NR]=$3; nc[NR]=$4; mc[NR]=$5 }
  function median(a, k,   i, j, t) { for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
                                     return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2 }
  END { printf "median: nginx %.0f req/s, mock-llm %.0f req/s; median of per-round ratios (mock/nginx) %.3f, ratio of medians %.3f\n",
        median(n, NR), median(m, NR), median(r, NR), median(m, NR) / median(n, NR)
        printf "server CPU per request (median): nginx %.2f us, mock-llm %.2f us\n", median(nc, NR), median(mc, NR) }'
