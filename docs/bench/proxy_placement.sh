#!/usr/bin/env bash
# Does the proxy's measured overhead depend on the core it shares? Reproduces the placement figures
# of docs/BENCHMARKS.md ("## Gateways"): run-servers.sh starts the real gateways that are installed
# (LiteLLM, Bifrost: gateways/install.sh), mock-llm and the proxy pinned to CPU 0; between runs the
# proxy is moved with `taskset -a -p` to CPU 0 (beside the gateway) or CPU 1 (beside bench),
# alternately, and bench (CPU 1) measures the overhead in front of each gateway (-provider NAME)
# and in front of the OpenRouter stand-in (mock-llm), each against its upstream in alternating
# windows.
#
#   docs/bench/proxy_placement.sh [ROUNDS=3] [DURATION_S=15] [RATE=50]
#
# One line per run: target, the proxy's core, p50 latency, overhead p50 and p99 with their 95%
# intervals, and the proxy's own Server-Timing p50.
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-3}
dur=${2:-15}
rate=${3:-50}
bench=$PWD/build/bin/bench
[[ -x $bench && -x build/bin/proxy && -x build/bin/mock-llm ]] || { echo "build first (cmake --build build)" >&2; exit 1; }

tmp=$(mktemp -d)
rs_pid=
cleanup() { [[ -n $rs_pid ]] && kill "$rs_pid" 2>/dev/null && wait "$rs_pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

source tests/support/free_ports.sh
export_stack_ports
export LITELLM_MASTER_KEY="sk-lgb-placement-$RANDOM$RANDOM"
export LGB_RUN_DIR="$tmp/run"

taskset -c 0 ./run-servers.sh --no-build --env-file /dev/null --server litellm --server bifrost --server openrouter \
  >"$tmp/rs.out" 2>"$tmp/rs.err" &
rs_pid=$!
for _ in $(seq 1 900); do [[ -s $LGB_RUN_DIR/servers.txt ]] && break; kill -0 $rs_pid 2>/dev/null || break; sleep 0.2; done
[[ -s $LGB_RUN_DIR/servers.txt ]] || { cat "$tmp/rs.err" >&2; echo "run-servers.sh did not come up" >&2; exit 1; }
cat "$LGB_RUN_DIR/servers.txt"
export LITELLM_UPSTREAM="http://127.0.0.1:$LITELLM_GATEWAY_PORT/v1" BIFROST_UPSTREAM="http://127.0.0.1:$BIFROST_GATEWAY_PORT/v1"
targets=(mock)
for g in litellm bifrost; do
  [[ $(awk -v g=$g '$1 == g { print $2 }' "$LGB_RUN_DIR/servers.txt") == real ]] && targets+=("$g")
done
[[ ${#targets[@]} -gt 1 ]] || echo "# no real gateway installed (gateways/install.sh): the mock stand-in only" >&2
proxy_sid=$(awk '$1 == "proxy" { print $2 }' "$LGB_RUN_DIR/pids" | tail -1)
chat=/v1/chat/completions

for r in $(seq "$rounds"); do
  for target in "${targets[@]}"; do
    for cpu in 0 1; do
      for p in $(pgrep -s "$proxy_sid"); do taskset -a -pc "$cpu" "$p" >/dev/null; done
      if [[ $target == mock ]]; then
        args=(-url "http://127.0.0.1:$OPENROUTER_PORT$chat" -direct "http://127.0.0.1:$OPENROUTER_STANDIN_PORT/api$chat")
      else
        args=(-provider "$target" -host 127.0.0.1)
      fi
      out="$tmp/r.json"; rm -f "$out"
      taskset -c 1 "$bench" "${args[@]}" -rate "$rate" -duration "$dur" -window 1s -warmup 1 -quiet -output "$out" \
        >/dev/null 2>"$tmp/bench.err" || true
      [[ -s $out ]] || { echo "round $r $target proxy on CPU $cpu: bench wrote nothing: $(tail -1 "$tmp/bench.err")"; continue; }
      /usr/bin/python3 - "$out" "$r" "$target" "$cpu" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); r = d[next(iter(d))]; o = r["overhead"]
ci = lambda k: f"{o[k]['value']:+.3f} [{o[k]['ci_low']:+.3f}, {o[k]['ci_high']:+.3f}]"
own = r.get("proxy_server_timing_ms")
own = own.get("p50") if isinstance(own, dict) else own
print(f"round {sys.argv[2]} {sys.argv[3]:<8} proxy on CPU {sys.argv[4]}: p50 {r['p50_latency_ms']:.3f} ms, "
      f"overhead p50 {ci('p50_ms')} p99 {ci('p99_ms')}, proxy's own p50 {own} ms", flush=True)
PY
    done
  done
done
