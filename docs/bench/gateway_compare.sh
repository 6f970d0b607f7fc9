#!/usr/bin/env bash
# Compares the real gateways with each other and with the proxy: what each adds over calling
# mock-llm directly, measured from outside by bench (docs/BENCHMARKS.md, "## Gateways").
#
#   docs/bench/gateway_compare.sh [DURATION_S=10] [RATES="50 500 2000"] [ROUNDS=1]
#   FIND_MAX_SLO=10 docs/bench/gateway_compare.sh ...   also: each candidate's capacity
#
# run-servers.sh starts mock-llm, the installed real gateways (gateways/install.sh; Bifrost with
# BIFROST_BIN=...) and the proxy, all pinned to CPU 0 by taskset (children inherit it: Go then
# runs with GOMAXPROCS=1); bench runs on CPU 1. For each candidate and rate, bench alternates the
# candidate and its direct upstream in windows (overhead mode):
#   bifrost, litellm, portkey   the gateway vs mock-llm       -> what the gateway adds
#   proxy                       the proxy vs a mock-llm stand-in (openrouter's) -> the floor
#   proxy+G                     the proxy in front of gateway G vs G (bench -provider G)
# CPU is the candidate's CPU time (/proc, every process of its session) over the time its windows
# covered, in % of one core: what it costs to run at that rate (per request it would mostly show
# this VM's cost of waking an idle CPU at low rates); '*' marks a saturated candidate, whose CPU
# is over the whole run. RSS is bench's peak sample. A candidate stops climbing the rates once a rate
# fails (under 99.9% success, achieved rate under 99% of the target, or p99 over 1 s).
# Then one streamed run per candidate at the lowest rate: time to first token, added.
# With FIND_MAX_SLO=MS, last: each gateway's, the proxy's and mock-llm's own capacity on the one
# core, alone (-direct off): bench -find-max, the highest rate whose p99 stays within MS with
# under 0.1% errors (doubling from 200 req/s, then bisection; trials of DURATION_S/2 seconds).
set -euo pipefail
cd "$(dirname "$0")/../.."
dur=${1:-10}
rates=${2:-"50 500 2000"}
rounds=${3:-1}
bench=build/bin/bench
[[ -x $bench && -x build/bin/proxy && -x build/bin/mock-llm ]] || { echo "build first (cmake --build build)" >&2; exit 1; }

tmp=$(mktemp -d)
rs_pid=""
cleanup() {
  if [[ -n $rs_pid ]]; then kill -TERM "$rs_pid" 2>/dev/null || true; wait "$rs_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
source tests/support/free_ports.sh

export_stack_ports
export LITELLM_MASTER_KEY="sk-lgb-compare-$RANDOM$RANDOM"
export LGB_RUN_DIR="$tmp/run"

taskset -c 0 ./run-servers.sh --no-build --env-file /dev/null --server all >"$tmp/rs.out" 2>"$tmp/rs.err" &
rs_pid=$!
for _ in $(seq 1 900); do [[ -s $LGB_RUN_DIR/servers.txt ]] && break; kill -0 $rs_pid 2>/dev/null || break; sleep 0.2; done
[[ -s $LGB_RUN_DIR/servers.txt ]] || { cat "$tmp/rs.err" >&2; echo "run-servers.sh did not come up" >&2; exit 1; }
cat "$LGB_RUN_DIR/servers.txt"
kind_of() { awk -v p="$1" '$1 == p { print $2 }' "$LGB_RUN_DIR/servers.txt"; }
pid_of() { awk -v p="$1" '$1 == p { print $2 }' "$LGB_RUN_DIR/pids" | tail -1; }

# CPU ticks of every process in the session led by PID (run-servers.sh starts each with setsid).
session_ticks() {
  local sid=$1 total=0 f fields
  for f in /proc/[0-9]*/stat; do
    fields=$(cat "$f" 2>/dev/null) || continue
    fields=${fields##*) }   # past "pid (comm) "
    read -r -a a <<<"$fields"
    # after the comm: state(0) ppid(1) pgrp(2) session(3) ... utime(11) stime(12)
    [[ ${a[3]} == "$sid" ]] && total=$((total + a[11] + a[12]))
  done
  echo $total
}
hz=$(getconf CLK_TCK)
# After a saturated run a gateway still works through what it had queued: wait until its session
# is idle (under 5% of a core over a second, at most 60 s) so that it does not load the next runs.
settle() {
  local sid=$1 a b
  for _ in $(seq 1 60); do
    a=$(session_ticks "$sid"); sleep 1; b=$(session_ticks "$sid")
    [[ $((b - a)) -le $((hz / 20)) ]] && return 0
  done
  echo "# session $sid still busy after 60 s" >&2
}

mock="http://127.0.0.1:$MOCK_PORT"
# What bench's provider mode needs for its direct side (run-servers.sh set these for its children).
export BIFROST_UPSTREAM="http://127.0.0.1:$BIFROST_GATEWAY_PORT/v1" LITELLM_UPSTREAM="http://127.0.0.1:$LITELLM_GATEWAY_PORT/v1" \
  PORTKEY_UPSTREAM="http://127.0.0.1:$PORTKEY_GATEWAY_PORT/v1" PORTKEY_CUSTOM_HOST="$mock/v1"
chat=/v1/chat/completions
# label|session leader of the target|bench arguments ('_' stands for a space inside one argument)
candidates=()
for g in bifrost litellm portkey; do
  [[ $(kind_of $g) == real ]] || { echo "# $g: not installed (a stand-in): skipped" >&2; continue; }
  case $g in
    bifrost) args="-url http://127.0.0.1:$BIFROST_GATEWAY_PORT$chat -model openai/gpt-4o-mini" ;;
    litellm) args="-url http://127.0.0.1:$LITELLM_GATEWAY_PORT$chat -header Authorization:_Bearer_$LITELLM_MASTER_KEY" ;;
    portkey) args="-url http://127.0.0.1:$PORTKEY_GATEWAY_PORT$chat -header x-portkey-provider:_openai -header x-portkey-custom-host:_$mock/v1 -header Authorization:_Bearer_sk-lgb-mock" ;;
  esac
  candidates+=("$g|$(pid_of $g)|$args -direct $mock$chat")
done
# The proxy maps its /v1/... onto the upstream's base path (openrouter's is /api/v1).
candidates+=("proxy|$(pid_of proxy)|-url http://127.0.0.1:$OPENROUTER_PORT$chat -direct http://127.0.0.1:$OPENROUTER_STANDIN_PORT/api$chat")
for g in bifrost litellm portkey; do
  [[ $(kind_of $g) == real ]] && candidates+=("proxy+$g|$(pid_of proxy)|-provider $g -host 127.0.0.1")
done

run_one() { # label sid rate bench-args... -> one result line; status 1 when the rate failed
  local label=$1 sid=$2 rate=$3; shift 3
  local out="$tmp/$label-$rate-$RANDOM.json" t0 t1 a args=()
  for a in "$@"; do args+=("${a//_/ }"); done
  t0=$(session_ticks "$sid"); w0=$(date +%s.%N)
  # 1 s windows, as for the published figures (bench's default is -duration/20 within 100ms-1s).
  taskset -c 1 "$bench" -rate "$rate" -duration "$dur" -window 1s -warmup 1 -quiet -output "$out" "${args[@]}" \
    ${stream:+-stream} >/dev/null 2>"$tmp/bench.err" || true
  t1=$(session_ticks "$sid"); w1=$(date +%s.%N)
  [[ -s $out ]] || { echo "$label $rate: bench wrote nothing: $(tail -1 "$tmp/bench.err")"; return 1; }
  /usr/bin/python3 - "$out" "$label" "$rate" "$((t1 - t0))" "$hz" "${stream:-}" "$w0" "$w1" "$dur" <<'PY'
import json, sys
path, label, rate, ticks, hz = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
streamed = sys.argv[6] == "1"
wall, dur = float(sys.argv[8]) - float(sys.argv[7]), float(sys.argv[9])
d = json.load(open(path)); r = d[next(iter(d))]
o = r.get("overhead") or {}
if streamed:  # the time to first token instead of the whole response
    o = o.get("ttft_ms") or {}
    t = (r.get("stream") or {}).get("ttft_ms") or {}
    r["p50_latency_ms"], r["p99_latency_ms"] = t.get("p50", float("nan")), t.get("p99", float("nan"))
def ci(k):
    v = o.get(k)
    return f"{v['value']:+8.3f} [{v['ci_low']:+.3f}, {v['ci_high']:+.3f}]" if v else f"{'-':>8}"
ok = r["success_rate"] >= 99.9 and r["achieved_rate"] >= 0.99 * rate and (r["p99_latency_ms"] or 0) <= 1000
# The candidate's windows covered its measured time and about half the warm-up second. Past its
# capacity it works through the other side's windows and its backlog too: then the CPU is over
# the whole run (marked '*': saturated).
busy_s = r["measured_s"] + 0.5 if ok else wall
cpu = f"{ticks / hz / busy_s * 100:.1f}" + ("" if ok else "*")
rss = r.get("server_peak_memory_mb") or 0
print(f"{label:<14}{rate:>6.0f}{r['achieved_rate']:>9.1f}{r['success_rate']:>8.2f}"
      f"{r['p50_latency_ms']:>10.3f}{r['p99_latency_ms']:>10.3f}  {ci('p50_ms'):<30} {ci('p99_ms'):<30}"
      f"{cpu:>6}{rss:>8.1f}", flush=True)
sys.exit(0 if ok else 1)
PY
}

printf '%-14s%6s%9s%8s%10s%10s  %-30s %-30s%6s%8s\n' candidate rate achieved ok% "p50 ms" "p99 ms" \
  "added p50 ms [95% CI]" "added p99 ms [95% CI]" "CPU%" "RSS MB"
stream=""
for round in $(seq 1 "$rounds"); do
  for c in "${candidates[@]}"; do
    IFS='|' read -r label sid args <<<"$c"
    for rate in $rates; do
      # shellcheck disable=SC2086
      run_one "$label" "$sid" "$rate" $args || { settle "$sid"; for g in bifrost litellm portkey; do
        [[ $(kind_of $g) == real ]] && settle "$(pid_of $g)"; done; break; }
    done
  done
done
# Streams (mock-llm's default: 8 chunks, no delay): the same columns for the time to first token.
low=${rates%% *}
echo "# streamed, -stream at $low req/s: p50/p99 and added are of the time to first token"
stream=1
for c in "${candidates[@]}"; do
  IFS='|' read -r label sid args <<<"$c"
  # shellcheck disable=SC2086
  run_one "$label" "$sid" "$low" $args || true
done

if [[ -n ${FIND_MAX_SLO:-} ]]; then
  echo "# capacity alone on the one core: highest rate with p99 <= $FIND_MAX_SLO ms and < 0.1% errors"
  caps=("${candidates[@]}" "mock-llm|$(pid_of mock-llm)|-url $mock$chat")
  for c in "${caps[@]}"; do
    IFS='|' read -r label sid args <<<"$c"
    [[ $label == proxy+* ]] && continue
    out="$tmp/cap-$label.json" a=() skip=0
    # shellcheck disable=SC2086
    for x in $args; do # the candidate's arguments without its -direct pair
      if [[ $skip == 1 ]]; then skip=0; elif [[ $x == -direct ]]; then skip=1; else a+=("${x//_/ }"); fi
    done
    taskset -c 1 "$bench" "${a[@]}" -direct off -find-max -slo "$FIND_MAX_SLO" -rate 200 \
      -duration $((dur / 2 > 0 ? dur / 2 : 1)) -cooldown 1 -quiet -output "$out" >/dev/null 2>"$tmp/bench.err" || true
    if [[ -s $out ]]; then
      /usr/bin/python3 - "$out" "$label" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); f = d[next(iter(d))]["find_max"]
tried = ", ".join(f"{t['rate']:g}:{t['p99_ms']:.1f}{'' if t['ok'] else '!'}" for t in f["trials"])
print(f"{sys.argv[2]:<14}{f['max_rate']:>10.0f} req/s   (rate:p99 ms tried, ! = failed: {tried})", flush=True)
PY
    else
      echo "$label: $(tail -1 "$tmp/bench.err")"
    fi
    if [[ $label == litellm || $label == portkey || $label == bifrost ]]; then settle "$sid"; fi
  done
fi
