#!/usr/bin/env bash
# Instructions per proxied request (docs/BENCHMARKS.md "## proxy"): a relay runs under callgrind in
# front of the fixed nginx upstream, wrk -t1 -c8 drives it for 3 s and then, in a second run, for
# 6 s; (Ir(6 s) - Ir(3 s)) / (requests(6 s) - requests(3 s)) cancels start-up and shutdown.
#
#   docs/bench/proxy_instructions.sh [CANDIDATE=build/bin/proxy]
#   BENCH_TLS=1 docs/bench/proxy_instructions.sh ...   with the upstream serving TLS 1.3, which
#                                                       the relay verifies (as proxy_tls.sh)
#
# CANDIDATE is a proxy binary, haproxy-tcp or haproxy-http (HAProxy 2.6, one thread, as in
# proxy_compare.sh). Needs valgrind, wrk, nginx, curl (haproxy, openssl for those). Instruction
# counts do not depend on the machine's load, so this is the figure to compare builds with on a
# shared machine. They count user space only: the kernel's share of each request is not in them.
set -euo pipefail
cd "$(dirname "$0")/../.."
candidate=${1:-build/bin/proxy}
here=docs/bench
if [[ $candidate != haproxy-tcp && $candidate != haproxy-http && ! -x $candidate ]]; then
  echo "no proxy binary at $candidate (or haproxy-tcp, haproxy-http)" >&2
  exit 1
fi
source $here/proxy_fixtures.sh
bench_setup
free_port() { free_ports 1; }
uport=$(free_port)
scheme=http ca_file=""
if [[ ${BENCH_TLS:-0} == 1 ]]; then
  scheme=https ca_file=$tmp/ca.pem
  make_test_ca "$tmp"
  tls_upstream_conf "$tmp" "$uport" > "$tmp/upstream.conf"
else
  fixed_upstream_conf "$tmp" "$uport" > "$tmp/upstream.conf"
fi
taskset -c 0 nginx -e "$tmp/upstream-error.log" -p "$tmp" -c "$tmp/upstream.conf" & pids+=($!)
wait_http "$scheme://127.0.0.1:$uport/v1/chat/completions" "$ca_file"
declare -A reqs ir
for d in 3 6; do
  port=$(free_port)
  vg=(valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.$d")
  case $candidate in
    haproxy-tcp | haproxy-http)
      haproxy_conf "${candidate#haproxy-}" "$port" "$uport" "$ca_file" > "$tmp/haproxy.cfg"
      taskset -c 0 "${vg[@]}" haproxy -db -f "$tmp/haproxy.cfg" > "$tmp/relay.$d.out" 2>&1 &
      ;;
    *)
      ca=()
      [[ -n $ca_file ]] && ca=(--ca-file "$ca_file")
      taskset -c 0 "${vg[@]}" "$candidate" --provider bifrost --port "bifrost=$port" \
        --upstream "bifrost=$scheme://127.0.0.1:$uport/v1" "${ca[@]}" --admin-port 0 --threads 1 \
        --log-level warn --env-file "$tmp/none.env" > "$tmp/relay.$d.out" 2>&1 &
      ;;
  esac
  relay=$!
  for _ in $(seq 100); do curl -fs -o /dev/null -X POST -d '{}' "http://127.0.0.1:$port/v1/chat/completions" && break; sleep 0.2; done
  reqs[$d]=$(taskset -c 1 wrk -t1 -c8 -d${d}s -s $here/proxy_post_chat.lua "http://127.0.0.1:$port/v1/chat/completions" |
             awk '/requests in/ {print $1}')
  kill -TERM $relay; wait $relay || true # HAProxy under valgrind did not stop on SIGINT
  ir[$d]=$(callgrind_annotate "$tmp/cg.$d" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",","",$1); print $1}')
  [[ -n ${ir[$d]} ]] || { tail -20 "$tmp/relay.$d.out" >&2; echo "callgrind wrote no totals" >&2; exit 1; }
  echo "run ${d}s: ${reqs[$d]} requests, ${ir[$d]} instructions"
done
awk -v i3="${ir[3]}" -v i6="${ir[6]}" -v r3="${reqs[3]}" -v r6="${reqs[6]}" \
  'BEGIN { printf "instructions per request: %.0f\n", (i6 - i3) / (r6 - r3) }'
