#!/usr/bin/env bash
# run-servers.sh --bench (short) over the five providers (real gateways where installed): one
# results.json entry each with requests > 0 and 100% success, a report, and nothing left running.
#   bench.sh [extra bench flags]    e.g. -stream: streamed requests over keep-alive connections
source "$(dirname "$0")/lib.sh"
export_stack_ports
cd "$TMP"   # results.json/report.html copies land in the repository; keep the run's own copy
timeout 240 "$REPO/run-servers.sh" --no-build "${ENV_FILE_ARGS[@]}" --bench -rate 20 -duration 2s -cooldown 0 -warmup 1s "$@" \
  >"$TMP/bench.out" 2>"$TMP/bench.err"
rc=$?
cat "$TMP/bench.out"
[[ $rc -eq 0 ]] || fail "run-servers.sh --bench exited $rc" # lib.sh prints the run's logs
python3 - "$LGB_RUN_DIR/results.json" <<'PY' || fail "results.json check"
import json, sys
d = json.load(open(sys.argv[1]))
for p in ["bifrost", "openrouter", "litellm", "braintrust", "portkey"]:
    e = d.get(p)
    assert e, f"no entry for {p}"
    assert e["requests"] > 0, f"{p}: requests {e['requests']}"
    assert e["success_rate"] == 100, f"{p}: success_rate {e['success_rate']} {e['status_code_counts']} {e['drop_reasons']}"
    direct = e.get("direct") or {}
    if "success_rate" in direct:
        assert direct["success_rate"] == 100, f"{p} direct: success_rate {direct['success_rate']}"
    print(f"ok: {p}: {e['requests']} requests, {e['success_rate']}% success, p50 {e['p50_latency_ms']:.2f} ms")
PY
# 2 s at 20 req/s leave about 20 requests a side: every p99 in the summary is starred, once
# explained, and the providers' notes on it are not repeated under the summary.
summary=$(sed -n '/^provider  *direct ok%/,$p' "$TMP/bench.out")
[[ $(grep -c '^[a-z]* .*[0-9]\*  .*\]\*' <<<"$summary") -eq 5 ]] || fail "summary rows without starred p99s"
grep -q '^\* from fewer than 1,000 requests a side: p99 is among the slowest few' <<<"$summary" ||
  fail "no legend for the starred p99s"
grep -q 'rest on too few requests' <<<"$summary" && fail "the tail notes are repeated under the summary"
ok "thin p99s starred in the summary"
if grep -a -q 'has no HTML report library' "$LGB_BIN_DIR/bench"; then
  echo "note: this bench was built without its HTML report library; report.html not checked"
else
  [[ -s "$LGB_RUN_DIR/report.html" ]] || fail "no report.html"
  ok "report.html written"
fi
while read -r name pid; do
  kill -0 "$pid" 2>/dev/null && fail "$name ($pid) still running after --bench"
done < "$LGB_RUN_DIR/pids"
ok "--bench stopped everything it started"

# Several --server runs share one results.json: one page for all of them (bench report).
if [[ $# -eq 0 ]]; then
  timeout 120 "$REPO/run-servers.sh" --no-build "${ENV_FILE_ARGS[@]}" --server bifrost --server braintrust \
    --bench -rate 20 -duration 1s -cooldown 0 -warmup 0 -baseline 0 >"$TMP/two.out" 2>"$TMP/two.err" ||
    fail "run-servers.sh --server bifrost --server braintrust --bench exited non-zero"
  if ! grep -a -q 'has no HTML report library' "$LGB_BIN_DIR/bench"; then
    [[ $(grep -o 'id="provider-[0-9]*"' "$LGB_RUN_DIR/report.html" | sort -u | wc -l) -eq 2 ]] ||
      fail "the page of two --server runs does not show both"
    ok "two --server runs: one page with both providers"
  fi
fi
