#!/usr/bin/env bash
# What holding a request body whole (--retry-body-max, so that it can be resent) costs against
# streaming it (--retry-body-max 0), on loopback: two proxies in front of one mock-llm, each
# measured by bench against direct calls to the mock (alternating windows), pinned (bench on
# CPU 1, the servers on CPU 0), in alternated rounds. Prints the added p50 and mean per round
# (docs/BENCHMARKS.md "Request bodies held for a retry").
#
#   docs/bench/proxy_retry_body.sh [ROUNDS=3] [RATE=40] [SECONDS=8]
#
# Prompts of 250 kB and 1 MB (under the 1 MiB default), generated here. Needs python3.
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-3} rate=${2:-40} secs=${3:-8}
bin=build/bin
source docs/bench/proxy_fixtures.sh
bench_setup
read -r mport hport sport < <(free_ports 3)
python3 - "$tmp" <<'PY'
import random, sys
random.seed(1)
words = ['alpha', 'beta', 'gamma', 'delta', 'token', 'prompt', 'context', 'model']
text = ' '.join(random.choice(words) for _ in range(200000))
open(f'{sys.argv[1]}/250k.txt', 'w').write(text[:250000])
open(f'{sys.argv[1]}/1m.txt', 'w').write(text[:1000000])
PY
taskset -c 0 $bin/mock-llm --port "$mport" > "$tmp/mock.log" 2>&1 & pids+=($!)
common=(--provider bifrost --upstream "bifrost=http://127.0.0.1:$mport/v1" --admin-port 0 --threads 1
        --log-level warn --env-file /nonexistent)
taskset -c 0 $bin/proxy "${common[@]}" --port "bifrost=$hport" > "$tmp/held.log" 2>&1 & pids+=($!)
taskset -c 0 $bin/proxy "${common[@]}" --port "bifrost=$sport" --retry-body-max 0 > "$tmp/streamed.log" 2>&1 & pids+=($!)
chat='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}'
for p in $mport $hport $sport; do wait_http "http://127.0.0.1:$p/v1/chat/completions" "" "$chat"; done
echo "# prompt mode round: added p50 ms [95% CI], added mean ms (bench -rate $rate -duration ${secs}s -window 0.5s)"
for prompt in 250k 1m; do
  for round in $(seq "$rounds"); do
    for mode in held streamed; do
      port=$hport; [[ $mode == streamed ]] && port=$sport
      taskset -c 1 $bin/bench -url "http://127.0.0.1:$port/v1/chat/completions" \
        -direct "http://127.0.0.1:$mport/v1/chat/completions" -rate "$rate" -duration "${secs}s" \
        -window 0.5s -prompt-file "$tmp/$prompt.txt" -output "$tmp/out.json" -quiet > "$tmp/bench.log" 2>&1 ||
        { cat "$tmp/bench.log" >&2; exit 1; }
      python3 - "$tmp/out.json" "$prompt $mode $round" <<'PY'
import json, sys
o = json.load(open(sys.argv[1]))['url']['overhead']
p50, mean = o['p50_ms'], o['mean_ms']
print(f"{sys.argv[2]}: p50 {p50['value']:+.3f} [{p50['ci_low']:+.3f}, {p50['ci_high']:+.3f}], mean {mean['value']:+.3f}")
PY
    done
  done
done
