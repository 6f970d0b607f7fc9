#!/usr/bin/env bash
# How the relay and the fixed nginx upstream share CPU 0 (docs/BENCHMARKS.md, "Reads that wait
# first"): alternated closed-loop rounds (`wrk -t1 -c32`, POST, on CPU 1) against proxy binaries
# and HAProxy tcp mode, each reporting
#   req/s, the relay's CPU µs per request, nginx's CPU µs per request,
#   the relay's involuntary context switches per request (nginx preempting it),
#   nginx's voluntary ones (it ran out of requests and slept),
#   the relay's voluntary ones (it ran out of events and slept in epoll_wait).
# The preemptions and nginx's sleeps say how many requests each wake-up of nginx served: fewer
# means more switches and more epoll_wait calls per request on both sides.
#
#   docs/bench/proxy_sched.sh [ROUNDS=4] [CANDIDATES="build/bin/proxy haproxy-tcp"]
#   e.g. docs/bench/proxy_sched.sh 6 "/tmp/proxy-before build/bin/proxy haproxy-tcp"
#        docs/bench/proxy_sched.sh 6 "build/bin/proxy haproxy-tcp haproxy-tcp2"
#
# haproxy-tcp2 is a second, identical HAProxy tcp process: the A/A control, whose ratio to
# haproxy-tcp shows how far apart two identical relays measure in the same rounds. After the
# rounds, the medians per candidate and, when haproxy-tcp ran, each candidate's per-round ratios
# to it (req/s and relay CPU per request) with their medians: the figures of issue 3's two
# closed-loop goals.
#
# Needs wrk, nginx, haproxy, curl.
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-4}
candidates=${2:-"build/bin/proxy haproxy-tcp"}
here=docs/bench
source $here/proxy_fixtures.sh
bench_setup

uport=$(free_ports 1)
fixed_upstream_conf "$tmp" "$uport" > "$tmp/upstream.conf"
taskset -c 0 nginx -e "$tmp/upstream-error.log" -p "$tmp" -c "$tmp/upstream.conf" & pids+=($!)
master=$!
wait_http "http://127.0.0.1:$uport/v1/chat/completions"
worker=$(pgrep -P "$master" | head -1)

# utime+stime ticks, voluntary and involuntary switches of a process (the switches per thread:
# /proc/PID/status counts the leader's only).
sample() {
  local v=0 n=0 task
  for task in /proc/$1/task/*; do
    v=$((v + $(awk '/^voluntary_ctxt_switches/ {print $2}' "$task/status")))
    n=$((n + $(awk '/^nonvoluntary_ctxt_switches/ {print $2}' "$task/status")))
  done
  echo "$(process_ticks "$1") $v $n"
}
hz=$(getconf CLK_TCK)

printf '%-5s %-28s %8s %10s %10s %14s %12s %12s\n' round candidate req/s relay_us nginx_us relay_preempt nginx_sleep relay_sleep
lines=$tmp/lines
read -ra all <<<"$candidates"
for r in $(seq "$rounds"); do
  # Each round starts one candidate further on, so that no candidate always runs first (on a
  # fresh nginx worker) or last.
  order=("${all[@]:$(((r - 1) % ${#all[@]}))}" "${all[@]:0:$(((r - 1) % ${#all[@]}))}")
  for c in "${order[@]}"; do
    port=$(free_ports 1)
    if [[ $c == haproxy-tcp || $c == haproxy-tcp2 ]]; then
      haproxy_conf tcp "$port" "$uport" > "$tmp/haproxy.cfg"
      taskset -c 0 haproxy -db -f "$tmp/haproxy.cfg" > "$tmp/haproxy.log" 2>&1 &
    else
      [[ -x $c ]] || { echo "no proxy binary at $c" >&2; exit 1; }
      taskset -c 0 "$c" --provider bifrost --port "bifrost=$port" --upstream "bifrost=http://127.0.0.1:$uport/v1" \
        --admin-port 0 --threads 1 --log-level warn --env-file "$tmp/none.env" > "$tmp/proxy.out" 2>&1 &
    fi
    relay=$!
    pids+=("$relay")
    url="http://127.0.0.1:$port/v1/chat/completions"
    wait_http "$url"
    read -r rt0 rv0 rn0 < <(sample "$relay")
    read -r nt0 nv0 nn0 < <(sample "$worker")
    out=$(taskset -c 1 wrk -t1 -c32 -d5s -s $here/proxy_post_chat.lua "$url")
    read -r rt1 rv1 rn1 < <(sample "$relay")
    read -r nt1 nv1 nn1 < <(sample "$worker")
    kill "$relay"; wait "$relay" 2>/dev/null || true
    reqs=$(echo "$out" | awk '/requests in/ {print $1}')
    rps=$(echo "$out" | awk '/^Requests\/sec/ {print $2}')
    awk -v r="$r" -v c="$c" -v rps="$rps" -v q="$reqs" -v hz="$hz" -v rt=$((rt1 - rt0)) -v nt=$((nt1 - nt0)) \
      -v rn=$((rn1 - rn0)) -v nv=$((nv1 - nv0)) -v rv=$((rv1 - rv0)) \
      'BEGIN { printf "%-5s %-28s %8.0f %10.2f %10.2f %14.3f %12.3f %12.3f\n", r, c, rps, rt * 1e6 / hz / q, nt * 1e6 / hz / q, rn / q, nv / q, rv / q }' |
      tee -a "$lines"
  done
done

# Medians over the rounds, and the per-round ratios to haproxy-tcp (the same round's figures, so
# that what the machine did in that round cancels out).
awk '
  function median(list,   n, a, i, j, t) {
    n = split(list, a, " ")
    for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  { r = $1; c = $2; rps[r, c] = $3; us[r, c] = $4; rounds[r] = 1
    if (!(c in seen)) { seen[c] = 1; order[++nc] = c } }
  END {
    printf "\n%-28s %14s %17s %24s %26s\n", "median over the rounds", "req/s", "relay us/req", "req/s / haproxy-tcp", "relay us / haproxy-tcp"
    for (i = 1; i <= nc; i++) {
      c = order[i]; lr = lu = qr = qu = ""
      for (r in rounds) {
        if ((r, c) in rps) { lr = lr " " rps[r, c]; lu = lu " " us[r, c] }
        if (c != "haproxy-tcp" && (r, c) in rps && (r, "haproxy-tcp") in rps && rps[r, "haproxy-tcp"] > 0 && us[r, "haproxy-tcp"] > 0) {
          qr = qr " " rps[r, c] / rps[r, "haproxy-tcp"]; qu = qu " " us[r, c] / us[r, "haproxy-tcp"]
        }
      }
      printf "%-28s %14.0f %17.2f", c, median(lr), median(lu)
      if (qr != "") printf " %24.3f %26.3f", median(qr), median(qu)
      printf "\n"
    }
  }' "$lines"
