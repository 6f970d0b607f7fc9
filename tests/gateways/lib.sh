# Shared helpers of the run-servers.sh integration tests (sourced). Every wait is bounded.
# Each test picks free ports and hands them to run-servers.sh through the environment, so it
# never collides with the defaults; the tests still hold a CTest RESOURCE_LOCK because the
# stand-ins and gateways are whole processes that take seconds to start.
set -uo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
source "$REPO/tests/support/free_ports.sh"
: "${LGB_BIN_DIR:=$REPO/build/bin}"
export LGB_BIN_DIR
TMP=$(mktemp -d "${TMPDIR:-/tmp}/lgb-gw-test.XXXXXX")
RS_PID=""
export LGB_RUN_DIR="$TMP/run"
export LGB_START_TIMEOUT="${LGB_START_TIMEOUT:-60}"
# No hosted service, no user .env: everything local.
unset OPENROUTER_API_KEY BRAINTRUST_API_KEY OPENROUTER_UPSTREAM BRAINTRUST_UPSTREAM BIFROST_UPSTREAM \
  LITELLM_UPSTREAM PORTKEY_UPSTREAM LITELLM_MASTER_KEY PROXY_API_KEY
ENV_FILE_ARGS=(--env-file /dev/null)

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*" >&2; exit 77; }
# A peer that CI installs (tests/setup.d/50-gateways.sh) must be there when LGB_REQUIRE_PEERS=1
# (.ci/run sets it): its absence is then a failure, not a silent skip.
require_or_skip() {
  if [[ "${LGB_REQUIRE_PEERS:-0}" == 1 ]]; then fail "$* (LGB_REQUIRE_PEERS=1: CI installs it)"; fi
  skip "$*"
}
ok() { echo "ok: $*"; }

# On failure, the last lines of every log of the run go to stderr (CTest keeps them): a failure
# that does not come back on a rerun still leaves its evidence. LGB_KEEP_FAILED=DIR also keeps the
# whole temporary directory under DIR.
dump_logs() {
  local f
  for f in "$TMP"/*.out "$TMP"/*.err "$LGB_RUN_DIR"/*.log "$LGB_RUN_DIR"/*.out; do
    [[ -s "$f" ]] || continue
    echo "----- last lines of ${f#"$TMP"/}" >&2
    tail -n 40 "$f" >&2
  done
  if [[ -n "${LGB_KEEP_FAILED:-}" ]]; then
    mkdir -p "$LGB_KEEP_FAILED" && cp -a "$TMP" "$LGB_KEEP_FAILED/" && echo "kept $TMP in $LGB_KEEP_FAILED" >&2
  fi
}

cleanup() {
  local rc=$?
  [[ $rc -eq 0 || $rc -eq 77 ]] || dump_logs
  if [[ -n "$RS_PID" ]] && kill -0 "$RS_PID" 2>/dev/null; then
    kill -TERM "$RS_PID" 2>/dev/null
    for _ in $(seq 1 150); do kill -0 "$RS_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$RS_PID" 2>/dev/null
  fi
  # Belt and braces: anything run-servers.sh recorded and left alive is a failure of the test
  # that checks it; here it is only removed so that nothing outlives the test.
  if [[ -f "$LGB_RUN_DIR/pids" ]]; then
    while read -r _ pid; do kill -KILL -- "-$pid" 2>/dev/null; done < "$LGB_RUN_DIR/pids"
  fi
  rm -rf "$TMP"
}
trap cleanup EXIT

# start_servers ARGS...: runs run-servers.sh in the background; returns once its table is printed.
start_servers() {
  setsid "$REPO/run-servers.sh" --no-build "${ENV_FILE_ARGS[@]}" "$@" >"$TMP/rs.out" 2>"$TMP/rs.err" &
  RS_PID=$!
  local deadline=$((SECONDS + 120))
  while [[ ! -s "$LGB_RUN_DIR/servers.txt" ]]; do
    # On failure, cleanup prints the run's logs (rs.err among them).
    kill -0 "$RS_PID" 2>/dev/null || fail "run-servers.sh exited before it was ready"
    [[ $SECONDS -lt $deadline ]] || fail "run-servers.sh not ready in time"
    sleep 0.2
  done
  sleep 0.2
  cat "$LGB_RUN_DIR/servers.txt"
  check_loopback
}

# Every listening socket of every process run-servers.sh started is on 127.0.0.1.
check_loopback() {
  local name pid n=0 bad=""
  while read -r name pid; do
    local pids_in_group; pids_in_group=$(ps -o pid= -g "$pid" | tr -d ' ' | paste -sd'|')
    [[ -n "$pids_in_group" ]] || continue
    while read -r addr; do
      n=$((n + 1))
      [[ "$addr" == 127.0.0.1:* ]] || bad+=" $name:$addr"
    done < <(ss -ltnpH | grep -E "pid=($pids_in_group)," | awk '{print $4}')
  done < "$LGB_RUN_DIR/pids"
  [[ -z "$bad" ]] || fail "listening beyond loopback:$bad"
  [[ $n -gt 0 ]] || fail "no listening socket found for the started processes"
  ok "all $n listening sockets of the started processes are on 127.0.0.1"
}

# kind_of PROVIDER: real | stand-in | hosted, from the table run-servers.sh printed
kind_of() { awk -v p="$1" '$1 == p {print $2}' "$LGB_RUN_DIR/servers.txt"; }

# stop_servers: SIGTERM, then every recorded process must be gone and no port left listening.
stop_servers() {
  kill -TERM "$RS_PID"
  local deadline=$((SECONDS + 20))
  while kill -0 "$RS_PID" 2>/dev/null; do
    [[ $SECONDS -lt $deadline ]] || fail "run-servers.sh still running 20 s after SIGTERM"
    sleep 0.1
  done
  wait "$RS_PID" 2>/dev/null
  RS_PID=""
  local left=""
  while read -r name pid; do
    if kill -0 "$pid" 2>/dev/null || [[ -n "$(ps -o pid= -g "$pid" 2>/dev/null)" ]]; then left+=" $name($pid)"; fi
  done < "$LGB_RUN_DIR/pids"
  [[ -z "$left" ]] || fail "processes left behind after SIGTERM:$left"
  local port
  for port in $MOCK_PORT $PROXY_ADMIN_PORT $BIFROST_PORT $OPENROUTER_PORT $LLMLITE_PORT $BRAINTRUST_PORT \
      $PORTKEY_PORT $BIFROST_GATEWAY_PORT $OPENROUTER_STANDIN_PORT $LITELLM_GATEWAY_PORT \
      $BRAINTRUST_STANDIN_PORT $PORTKEY_GATEWAY_PORT; do
    [[ -z "$(ss -ltnH "sport = :$port")" ]] || fail "port $port still listening after SIGTERM"
  done
  ok "SIGTERM stopped all $(wc -l < "$LGB_RUN_DIR/pids") processes; no port left listening"
}

proxy_port_of() {
  case "$1" in
    bifrost) echo "$BIFROST_PORT" ;; openrouter) echo "$OPENROUTER_PORT" ;; litellm) echo "$LLMLITE_PORT" ;;
    braintrust) echo "$BRAINTRUST_PORT" ;; portkey) echo "$PORTKEY_PORT" ;;
  esac
}
model_of() { case "$1" in bifrost|openrouter) echo "openai/$2" ;; *) echo "$2" ;; esac; }

mock_requests() { curl -s --max-time 3 "http://127.0.0.1:$MOCK_PORT/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["requests_total"])'; }

# roundtrip PROVIDER: chat JSON, chat streamed and embeddings through the proxy.
roundtrip() {
  local p="$1" port; port=$(proxy_port_of "$p")
  local base="http://127.0.0.1:$port/v1" chat emb
  chat=$(model_of "$p" gpt-4o-mini); emb=$(model_of "$p" text-embedding-3-small)
  local out code
  out=$(curl -s --max-time 15 -w '\n%{http_code}' "$base/chat/completions" -H 'content-type: application/json' \
    -d "{\"model\":\"$chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")
  code=${out##*$'\n'}
  [[ $code == 200 ]] || fail "$p chat: HTTP $code: ${out:0:300}"
  python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["object"]=="chat.completion" and d["choices"][0]["message"]["content"]' "${out%$'\n'*}" \
    || fail "$p chat: not a chat completion: ${out:0:300}"
  ok "$p chat completion (JSON)"
  out=$(curl -s -N --max-time 15 "$base/chat/completions" -H 'content-type: application/json' \
    -d "{\"model\":\"$chat\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")
  local events; events=$(grep -c '^data: {' <<<"$out")
  [[ $events -ge 2 ]] || fail "$p stream: $events data events: ${out:0:300}"
  grep -q '^data: \[DONE\]' <<<"$out" || fail "$p stream: no [DONE]"
  ok "$p chat completion (streamed, $events events + [DONE])"
  out=$(curl -s --max-time 15 -w '\n%{http_code}' "$base/embeddings" -H 'content-type: application/json' \
    -d "{\"model\":\"$emb\",\"input\":\"hello\"}")
  code=${out##*$'\n'}
  [[ $code == 200 ]] || fail "$p embeddings: HTTP $code: ${out:0:300}"
  python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert len(d["data"][0]["embedding"])>0' "${out%$'\n'*}" \
    || fail "$p embeddings: no vector: ${out:0:200}"
  ok "$p embeddings"
}

# sdk PROVIDER: the openai npm SDK through the proxy (streaming and not, embeddings).
sdk() {
  local p="$1"
  if [[ ! -d "$REPO/tests/peers/node_modules/openai" ]]; then
    [[ "${LGB_REQUIRE_PEERS:-0}" == 1 ]] && fail "tests/peers (openai SDK) is not installed"
    echo "note: tests/peers not installed; SDK check skipped" >&2
    return 0
  fi
  LGB_SDK_EMBEDDING_MODEL=$(model_of "$p" text-embedding-3-small) \
    timeout 60 node "$REPO/tests/peers/openai-sdk.mjs" "http://127.0.0.1:$(proxy_port_of "$p")/v1" "$(model_of "$p" gpt-4o-mini)" \
    || fail "$p: openai SDK through the proxy"
  ok "$p: openai SDK (JSON, stream, embeddings) through the proxy"
}
