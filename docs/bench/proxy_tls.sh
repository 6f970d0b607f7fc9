#!/usr/bin/env bash
# The relays in front of an HTTPS upstream (OpenRouter's and Braintrust's defaults are HTTPS): the
# fixed nginx upstream of proxy_compare.sh, serving TLS 1.3 with a certificate from a CA made for
# the run, and each relay verifying it. Alternated closed-loop rounds (`wrk -t1 -c32 -d5s`, POST,
# on CPU 1; the upstream and the relay on CPU 0), each reporting
#   req/s, the relay's CPU µs per request, the upstream's CPU µs per request,
#   the upstream connections still open at the round's end (the relays' pools; in tcp mode each
#   closes with its client connection, so HAProxy tcp shows none).
#
#   docs/bench/proxy_tls.sh [ROUNDS=3] [CANDIDATES="proxy nginx haproxy-http haproxy-tcp"]
#   BENCH_PLAIN=1 docs/bench/proxy_tls.sh ...   the same rounds against the plain-HTTP upstream
#   BENCH_SYSCALLS=1 docs/bench/proxy_tls.sh ...  also the relay's system calls per request (perf
#                                                  stat on the syscall tracepoints; needs root)
#
# Candidates: proxy (build/bin/proxy, or any path to a proxy binary), nginx (proxy_pass https with
# pooled keep-alive and proxy_ssl_verify), haproxy-http and haproxy-tcp (HAProxy 2.6, `ssl verify
# required` on the server line; in tcp mode it still originates TLS, without reading HTTP). Every
# relay verifies the upstream's certificate and sends SNI. Needs wrk, nginx, haproxy, curl, openssl.
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-3}
candidates=${2:-"proxy nginx haproxy-http haproxy-tcp"}
plain=${BENCH_PLAIN:-0}
here=docs/bench
source $here/proxy_fixtures.sh
bench_setup

scheme=https ca_file=$tmp/ca.pem
[[ $plain == 1 ]] && scheme=http ca_file=""
uport=$(free_ports 1)
if [[ $plain == 1 ]]; then
  fixed_upstream_conf "$tmp" "$uport" > "$tmp/upstream.conf"
else
  make_test_ca "$tmp"
  tls_upstream_conf "$tmp" "$uport" > "$tmp/upstream.conf"
fi
taskset -c 0 nginx -e "$tmp/upstream-error.log" -p "$tmp" -c "$tmp/upstream.conf" & pids+=($!)
master=$!
wait_http "$scheme://127.0.0.1:$uport/v1/chat/completions" "$ca_file"
worker=$(pgrep -P "$master" | head -1)
[[ -n $worker ]] || { echo "the upstream nginx did not start" >&2; exit 1; }

# The nginx relay: proxy_compare.sh's, with TLS to the upstream.
nginx_conf() {
  sed -e "s|@DIR@|$tmp|g" -e "s|@PORT@|$1|g" -e "s|@UPORT@|$uport|g" $here/proxy_nginx_proxy.conf.in |
    if [[ $plain == 1 ]]; then cat; else
      sed -e "s|proxy_pass http://fixed/v1/;|proxy_pass https://fixed/v1/; proxy_ssl_verify on; proxy_ssl_trusted_certificate $ca_file; proxy_ssl_name 127.0.0.1; proxy_ssl_server_name on; proxy_ssl_session_reuse on; proxy_ssl_protocols TLSv1.3;|"
    fi
}

# The upstream's established connections, a snapshot.
established() { ss -Htn state established "( sport = :$uport )" | wc -l; }
hz=$(getconf CLK_TCK)

echo "# upstream: $scheme, nginx $(nginx -v 2>&1 | sed 's|.*/||'), one worker on CPU 0"
printf "%-5s %-16s %8s %10s %10s %12s\n" round candidate req/s relay_us upstream_us upstream_conns
for r in $(seq "$rounds"); do
  for c in $candidates; do
    port=$(free_ports 1)
    case $c in
      haproxy-http | haproxy-tcp)
        haproxy_conf "${c#haproxy-}" "$port" "$uport" "$ca_file" > "$tmp/haproxy.cfg"
        taskset -c 0 haproxy -db -f "$tmp/haproxy.cfg" > "$tmp/haproxy.log" 2>&1 &
        ;;
      nginx)
        nginx_conf "$port" > "$tmp/nginxproxy.conf"
        taskset -c 0 nginx -e "$tmp/nginxproxy-error.log" -p "$tmp" -c "$tmp/nginxproxy.conf" &
        ;;
      *)
        bin=$c
        [[ $c == proxy ]] && bin=build/bin/proxy
        [[ -x $bin ]] || { echo "no proxy binary at $bin" >&2; exit 1; }
        ca=()
        [[ -n $ca_file ]] && ca=(--ca-file "$ca_file")
        taskset -c 0 "$bin" --provider bifrost --port "bifrost=$port" \
          --upstream "bifrost=$scheme://127.0.0.1:$uport/v1" "${ca[@]}" \
          --admin-port 0 --threads 1 --log-level warn --env-file "$tmp/none.env" > "$tmp/proxy.out" 2>&1 &
        ;;
    esac
    relay=$!
    pids+=("$relay")
    url="http://127.0.0.1:$port/v1/chat/completions"
    wait_http "$url" || { cat "$tmp"/*.log "$tmp/proxy.out" 2>/dev/null | tail -20 >&2; exit 1; }
    # nginx's master forks the worker that does the work.
    proc=$relay
    [[ $c == nginx ]] && proc=$(pgrep -P "$relay" | head -1)
    rt0=$(process_ticks "$proc") nt0=$(process_ticks "$worker")
    stat=""
    if [[ ${BENCH_SYSCALLS:-0} == 1 ]]; then
      perf stat -x, -o "$tmp/perf.csv" -p "$proc" -e 'syscalls:sys_enter_recvfrom,syscalls:sys_enter_read,syscalls:sys_enter_sendto,syscalls:sys_enter_sendmsg,syscalls:sys_enter_write,syscalls:sys_enter_writev,syscalls:sys_enter_epoll_wait' &
      stat=$!
      sleep 0.2
    fi
    out=$(taskset -c 1 wrk -t1 -c32 -d5s -s $here/proxy_post_chat.lua "$url")
    rt1=$(process_ticks "$proc") nt1=$(process_ticks "$worker")
    if [[ -n $stat ]]; then kill -INT "$stat"; wait "$stat" 2>/dev/null || true; fi
    conns=$(established)
    kill "$relay"; wait "$relay" 2>/dev/null || true
    reqs=$(echo "$out" | awk '/requests in/ {print $1}')
    rps=$(echo "$out" | awk '/^Requests\/sec/ {print $2}')
    errors=$(echo "$out" | awk '/Non-2xx|Socket errors/ {print}')
    [[ -z $errors ]] || echo "# $c round $r: $errors" >&2
    awk -v r="$r" -v c="$c" -v rps="$rps" -v q="$reqs" -v hz="$hz" -v rt=$((rt1 - rt0)) -v nt=$((nt1 - nt0)) \
      -v k="$conns" \
      'BEGIN { printf "%-5s %-16s %8.0f %10.2f %10.2f %12d\n", r, c, rps, rt * 1e6 / hz / q, nt * 1e6 / hz / q, k }'
    if [[ -n $stat ]]; then
      awk -F, -v q="$reqs" '$3 ~ /syscalls:sys_enter_/ && $1 > 0 { sub(/syscalls:sys_enter_/, "", $3); s = s sprintf(" %s %.2f", $3, $1 / q) }
        END { print "#   system calls per request:" s }' "$tmp/perf.csv"
    fi
  done
done
