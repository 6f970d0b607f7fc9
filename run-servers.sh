#!/usr/bin/env bash
# Starts mock-llm, the upstream gateways (real where installed, mock-llm stand-ins otherwise) and
# the proxy, all on 127.0.0.1; prints what runs where; stops exactly what it started on Ctrl-C or
# SIGTERM. See docs/GATEWAYS.md.
#
#   ./run-servers.sh [--server all|bifrost|openrouter|litellm|llmlite|braintrust|portkey|mock]...
#                    [--mock] [--install] [--no-build] [--env-file FILE] [--bench [bench flags...]]
#
#   --server NAME   only this provider (repeatable; default all); `mock` starts mock-llm alone
#   --mock          stand-ins only, even where a real gateway is installed
#   --install       install the real gateways first (gateways/install.sh; pinned, cached, idempotent)
#   --no-build      do not (re)build; use build/bin as it is
#   --env-file F    read F instead of ./.env (the process environment wins over the file)
#   --bench ...     start everything, run build/bin/bench over the providers (short by default:
#                   -rate 50 -duration 5s -warmup 1s; flags after --bench win), write results.json and
#                   report.html into the run folder and the current folder, print the table, stop
#
# Ports (environment or .env; SPEC.md defaults): MOCK_PORT 8000, PROXY_ADMIN_PORT 9090,
# BIFROST_PORT 3001, OPENROUTER_PORT 3002, LLMLITE_PORT/LITELLM_PORT 3003, BRAINTRUST_PORT 3004,
# PORTKEY_PORT 3005; the gateways: BIFROST_GATEWAY_PORT 3039, LITELLM_GATEWAY_PORT 4000,
# PORTKEY_GATEWAY_PORT 8787, and the hosted services' local stand-ins: OPENROUTER_STANDIN_PORT
# 8001, BRAINTRUST_STANDIN_PORT 8002. Logs and generated configs: runs/<UTC timestamp>/ (LGB_RUN_DIR
# overrides). LGB_START_TIMEOUT (seconds, default 90) bounds each start-up wait. LGB_BIN_DIR: use
# the programs there (no build step), e.g. build-asan/bin.
set -uo pipefail
repo="$(cd "$(dirname "$0")" && pwd)"
invoked_from="$PWD"   # --bench copies results.json and report.html here
cd "$repo"

die() { echo "run-servers: $*" >&2; exit 1; }
say() { echo "run-servers: $*" >&2; }

# ---------------------------------------------------------------- arguments
servers=()
mock_only=0
do_install=0
do_build=1
env_file=.env
bench=0
bench_args=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --server) [[ $# -ge 2 ]] || die "--server needs a name"; servers+=("$2"); shift 2 ;;
    --server=*) servers+=("${1#*=}"); shift ;;
    --mock) mock_only=1; shift ;;
    --install) do_install=1; shift ;;
    --no-build) do_build=0; shift ;;
    --env-file) [[ $# -ge 2 ]] || die "--env-file needs a path"; env_file="$2"; shift 2
      [[ "$env_file" == /* ]] || env_file="$invoked_from/$env_file" ;;
    --bench) bench=1; shift; bench_args=("$@"); break ;;
    -h|--help) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run-servers: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

all_providers=(bifrost openrouter litellm braintrust portkey)
providers=()
want_mock_only=0
[[ ${#servers[@]} -eq 0 ]] && servers=(all)
for s in "${servers[@]}"; do
  case "${s,,}" in
    all) providers=("${all_providers[@]}") ;;
    llmlite|litellm) providers+=(litellm) ;;
    bifrost|openrouter|braintrust|portkey) providers+=("${s,,}") ;;
    mock) want_mock_only=1 ;;
    *) echo "run-servers: unknown server '$s' (all, bifrost, openrouter, litellm, llmlite, braintrust, portkey, mock)" >&2; exit 2 ;;
  esac
done
# de-duplicate, keep order
declare -A seen=()
uniq=()
for p in "${providers[@]}"; do [[ -n "${seen[$p]:-}" ]] || { uniq+=("$p"); seen[$p]=1; }; done
providers=("${uniq[@]}")

# ---------------------------------------------------------------- .env (environment wins)
if [[ -e "$env_file" && ! -d "$env_file" ]]; then
  while IFS= read -r line || [[ -n "$line" ]]; do
    line="${line%$'\r'}"
    [[ "$line" =~ ^[[:space:]]*(export[[:space:]]+)?([A-Za-z_][A-Za-z0-9_]*)[[:space:]]*=(.*)$ ]] || continue
    key="${BASH_REMATCH[2]}"; val="${BASH_REMATCH[3]}"
    val="${val#"${val%%[![:space:]]*}"}"; val="${val%"${val##*[![:space:]]}"}"
    if [[ "$val" =~ ^\"([^\"]*)\" || "$val" =~ ^\'([^\']*)\' ]]; then val="${BASH_REMATCH[1]}"
    else val="${val%%[[:space:]]#*}"; fi
    [[ -n "${!key+x}" ]] || export "$key=$val"
  done < "$env_file"
elif [[ "$env_file" != .env ]]; then
  die "env file '$env_file' not found"
fi

# ---------------------------------------------------------------- ports and settings
# port OUTVAR NAME VALUE: validates a port number (dies on a bad one) and stores it in OUTVAR
port() {
  [[ "$3" =~ ^[0-9]+$ && "$3" -ge 1 && "$3" -le 65535 ]] || die "$2='$3' is not a port number (1-65535)"
  printf -v "$1" '%s' "$3"
}
port MOCK_PORT MOCK_PORT "${MOCK_PORT:-8000}"
port PROXY_ADMIN_PORT PROXY_ADMIN_PORT "${PROXY_ADMIN_PORT:-9090}"
declare -A proxy_port=() upstream_port=()
port 'proxy_port[bifrost]' BIFROST_PORT "${BIFROST_PORT:-3001}"
port 'proxy_port[openrouter]' OPENROUTER_PORT "${OPENROUTER_PORT:-3002}"
port 'proxy_port[litellm]' LLMLITE_PORT "${LLMLITE_PORT:-${LITELLM_PORT:-3003}}"
port 'proxy_port[braintrust]' BRAINTRUST_PORT "${BRAINTRUST_PORT:-3004}"
port 'proxy_port[portkey]' PORTKEY_PORT "${PORTKEY_PORT:-3005}"
port 'upstream_port[bifrost]' BIFROST_GATEWAY_PORT "${BIFROST_GATEWAY_PORT:-3039}"
port 'upstream_port[openrouter]' OPENROUTER_STANDIN_PORT "${OPENROUTER_STANDIN_PORT:-8001}"
port 'upstream_port[litellm]' LITELLM_GATEWAY_PORT "${LITELLM_GATEWAY_PORT:-4000}"
port 'upstream_port[braintrust]' BRAINTRUST_STANDIN_PORT "${BRAINTRUST_STANDIN_PORT:-8002}"
port 'upstream_port[portkey]' PORTKEY_GATEWAY_PORT "${PORTKEY_GATEWAY_PORT:-8787}"
# The path each upstream serves its OpenAI-shaped API under (a stand-in serves the same shape).
declare -A upstream_path=([bifrost]=/v1 [openrouter]=/api/v1 [litellm]=/v1 [braintrust]=/v1/proxy [portkey]=/v1)
start_timeout="${LGB_START_TIMEOUT:-90}"
# shellcheck source=gateways/versions.env
source "$repo/gateways/versions.env"

# ---------------------------------------------------------------- build
bin="${LGB_BIN_DIR:-$repo/build/bin}"
if [[ $do_build -eq 1 && -z "${LGB_BIN_DIR:-}" ]]; then
  if [[ ! -x "$bin/proxy" || ! -x "$bin/mock-llm" || ! -x "$bin/bench" ]]; then
    say "building proxy, mock-llm and bench (docker/install-deps.sh, then cmake into build/; minutes on 2 cores)"
    docker/install-deps.sh || die "docker/install-deps.sh failed"
    cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null || die "cmake configure failed"
    cmake --build build -j "$(nproc)" --target proxy mock-llm bench || die "build failed"
  fi
fi
[[ -x "$bin/mock-llm" ]] || die "build/bin/mock-llm is missing (run without --no-build)"
[[ ${#providers[@]} -eq 0 || -x "$bin/proxy" ]] || die "build/bin/proxy is missing (run without --no-build)"
[[ $bench -eq 0 || -x "$bin/bench" ]] || die "build/bin/bench is missing (run without --no-build)"

# ---------------------------------------------------------------- real or stand-in
if [[ $do_install -eq 1 && $mock_only -eq 0 ]]; then
  want=()
  for p in "${providers[@]}"; do case "$p" in bifrost|litellm|portkey) want+=("$p") ;; esac; done
  [[ ${#want[@]} -gt 0 ]] && gateways/install.sh "${want[@]}"
fi
gw="$repo/.gateways"
declare -A kind=() version=() notice=()
for p in "${providers[@]}"; do
  kind[$p]=stand-in
  version[$p]="mock-llm"
  case "$p" in
    bifrost)
      if [[ $mock_only -eq 0 && -x "$gw/bifrost-http" ]]; then kind[$p]=real; version[$p]="$BIFROST_TAG"
      elif [[ $mock_only -eq 0 ]]; then notice[$p]="Bifrost is not installed (./run-servers.sh --install, where the Go module proxy serves it, or BIFROST_BIN=/path/to/bifrost-http gateways/install.sh bifrost); a mock-llm stand-in serves its port"; fi ;;
    litellm)
      if [[ $mock_only -eq 0 && -x "$gw/litellm-venv/bin/litellm" ]]; then kind[$p]=real; version[$p]="$LITELLM_VERSION"
      elif [[ $mock_only -eq 0 ]]; then notice[$p]="LiteLLM is not installed (./run-servers.sh --install); a mock-llm stand-in serves its port"; fi ;;
    portkey)
      if [[ $mock_only -eq 0 && -f "$gw/portkey/node_modules/@portkey-ai/gateway/build/start-server.js" ]] && command -v node >/dev/null; then
        kind[$p]=real; version[$p]="$PORTKEY_VERSION"
      elif [[ $mock_only -eq 0 ]]; then notice[$p]="Portkey is not installed (./run-servers.sh --install); a mock-llm stand-in serves its port"; fi ;;
    openrouter)
      if [[ $mock_only -eq 0 && -n "${OPENROUTER_API_KEY:-}" ]]; then kind[$p]=hosted; version[$p]="-"
      elif [[ $mock_only -eq 0 ]]; then notice[$p]="no OPENROUTER_API_KEY: a local mock-llm stand-in serves OpenRouter's path shape"; fi ;;
    braintrust)
      if [[ $mock_only -eq 0 && -n "${BRAINTRUST_API_KEY:-}" ]]; then kind[$p]=hosted; version[$p]="-"
      elif [[ $mock_only -eq 0 ]]; then notice[$p]="no BRAINTRUST_API_KEY: a local mock-llm stand-in serves Braintrust's path shape"; fi ;;
  esac
done

# ---------------------------------------------------------------- port check
# name:port pairs this run binds
binds=("mock-llm:$MOCK_PORT")
for p in "${providers[@]}"; do
  binds+=("proxy/$p:${proxy_port[$p]}")
  [[ ${kind[$p]} != hosted ]] && binds+=("$p upstream:${upstream_port[$p]}")
done
[[ ${#providers[@]} -gt 0 ]] && binds+=("proxy admin:$PROXY_ADMIN_PORT")
declare -A used=()
busy=0
for b in "${binds[@]}"; do
  name="${b%:*}"; port="${b##*:}"
  if [[ -n "${used[$port]:-}" ]]; then
    say "port $port is configured twice: for ${used[$port]} and for $name"; busy=1; continue
  fi
  used[$port]="$name"
  holder=$(ss -ltnpH "sport = :$port" 2>/dev/null | head -1)
  if [[ -n "$holder" ]]; then
    who=$(grep -o 'users:(.*)' <<<"$holder" | sed -E 's/users:\(\("([^"]*)",pid=([0-9]+).*/\1 (pid \2)/')
    [[ -n "$who" ]] || who="another process (run as root to see which)"
    say "port $port (for $name) is already in use by $who"
    busy=1
  fi
done
[[ $busy -eq 0 ]] || die "free the port(s) above or choose others in .env / the environment; nothing was started"

# ---------------------------------------------------------------- run folder, process tracking
run_dir="${LGB_RUN_DIR:-$repo/runs/$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$run_dir" || die "cannot create $run_dir"
: >"$run_dir/pids"
pids=()      # process group leaders we started (each in its own session)
names=()
stopping=0

stop_all() {
  [[ $stopping -eq 1 ]] && return
  stopping=1
  trap '' INT TERM
  local i pid
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill -TERM -- "-${pids[i]}" 2>/dev/null
  done
  local deadline=$((SECONDS + 10))
  for pid in "${pids[@]}"; do
    while kill -0 -- "-$pid" 2>/dev/null && [[ $SECONDS -lt $deadline ]]; do sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null
  done
  wait 2>/dev/null
}
on_signal() { say "stopping"; stop_all; exit "$1"; }
trap 'on_signal 130' INT
trap 'on_signal 143' TERM
trap stop_all EXIT

# start NAME LOGFILE CMD...: runs CMD in its own session (process group), output to LOGFILE
start() {
  local name="$1" log="$2"; shift 2
  setsid "$@" >"$log" 2>&1 < /dev/null &
  pids+=("$!")
  names+=("$name")
  echo "$name $!" >>"$run_dir/pids"
}

# wait_http NAME PID URL: until URL answers any HTTP status, the process dies, or the timeout
wait_http() {
  local name="$1" pid="$2" url="$3" log="$4"
  local deadline=$((SECONDS + start_timeout))
  while true; do
    local code
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" 2>/dev/null)
    [[ "$code" != 000 && -n "$code" ]] && return 0
    if ! kill -0 "$pid" 2>/dev/null; then
      say "$name exited during start-up; last lines of $log:"
      tail -n 15 "$log" >&2
      exit 1
    fi
    if [[ $SECONDS -ge $deadline ]]; then
      say "$name did not answer $url within ${start_timeout}s; last lines of $log:"
      tail -n 15 "$log" >&2
      exit 1
    fi
    sleep 0.2
  done
}

# Children's environment: only loopback, the stand-ins' and gateways' addresses, dummy keys.
export MOCK_BIND=127.0.0.1 PROXY_BIND=127.0.0.1
export LITELLM_LOCAL_MODEL_COST_MAP=True LITELLM_TELEMETRY=False NO_DOCS=True DISABLE_ADMIN_UI=True
export OPENAI_API_KEY="${LGB_MOCK_OPENAI_KEY:-sk-lgb-mock}"   # only ever sent to mock-llm
if [[ -z "${LITELLM_MASTER_KEY:-}" ]]; then
  LITELLM_MASTER_KEY="sk-lgb-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
  export LITELLM_MASTER_KEY
fi
export PORTKEY_CUSTOM_HOST="http://127.0.0.1:$MOCK_PORT/v1"

# ---------------------------------------------------------------- mock-llm
mock_args=(--port "$MOCK_PORT" --bind 127.0.0.1)
start mock-llm "$run_dir/mock-llm.log" "$bin/mock-llm" "${mock_args[@]}"
wait_http mock-llm "${pids[-1]}" "http://127.0.0.1:$MOCK_PORT/healthz" "$run_dir/mock-llm.log"

# ---------------------------------------------------------------- upstreams
for p in "${providers[@]}"; do
  [[ -n "${notice[$p]:-}" ]] && say "${notice[$p]}"
  up="${upstream_port[$p]}"
  log="$run_dir/$p.log"
  case "${kind[$p]}" in
    stand-in)
      start "$p-stand-in" "$log" "$bin/mock-llm" --port "$up" --bind 127.0.0.1
      wait_http "$p stand-in" "${pids[-1]}" "http://127.0.0.1:$up/healthz" "$log" ;;
    real)
      case "$p" in
        bifrost)
          mkdir -p "$run_dir/bifrost"
          # Offline and loopback-only: an empty "models" list means every model (newer releases match
          # "*" literally); the pricing sheet is asked of mock-llm (a 404 Bifrost logs and skips,
          # instead of a lookup of getbifrost.ai), and a permissive config.schema.json in its
          # working directory stops it fetching its schema from www.getbifrost.ai.
          cat >"$run_dir/bifrost/config.json" <<EOF
{
  "client": {"drop_excess_requests": false},
  "config_store": {"enabled": false},
  "logs_store": {"enabled": false},
  "framework": {"pricing": {"pricing_url": "http://127.0.0.1:$MOCK_PORT/bifrost-pricing-offline"}},
  "providers": {
    "openai": {
      "keys": [{"name": "mock", "value": "env.OPENAI_API_KEY", "models": [], "weight": 1.0}],
      "network_config": {"base_url": "http://127.0.0.1:$MOCK_PORT"}
    }
  }
}
EOF
          echo '{"type": "object"}' >"$run_dir/bifrost/config.schema.json"
          start bifrost "$log" env -C "$run_dir/bifrost" "$gw/bifrost-http" -host 127.0.0.1 -port "$up" \
            -app-dir "$run_dir/bifrost" -log-level warn
          wait_http bifrost "${pids[-1]}" "http://127.0.0.1:$up/health" "$log"
          # The version the binary prints in its start-up banner (a build from source is not the tag).
          v=$(grep -o -m1 -E 'v[0-9]+\.[0-9]+\.[0-9]+[-+.0-9A-Za-z]*' "$log" 2>/dev/null)
          [[ -n "$v" ]] && version[$p]="$v" ;;
        litellm)
          cat >"$run_dir/litellm.yaml" <<EOF
# generated by run-servers.sh: every model goes to mock-llm
model_list:
  - model_name: gpt-4o-mini
    litellm_params: {model: openai/gpt-4o-mini, api_base: "http://127.0.0.1:$MOCK_PORT/v1", api_key: os.environ/OPENAI_API_KEY}
  - model_name: gpt-4o
    litellm_params: {model: openai/gpt-4o, api_base: "http://127.0.0.1:$MOCK_PORT/v1", api_key: os.environ/OPENAI_API_KEY}
  - model_name: text-embedding-3-small
    litellm_params: {model: openai/text-embedding-3-small, api_base: "http://127.0.0.1:$MOCK_PORT/v1", api_key: os.environ/OPENAI_API_KEY}
    model_info: {mode: embedding}
  - model_name: "*"
    litellm_params: {model: "openai/*", api_base: "http://127.0.0.1:$MOCK_PORT/v1", api_key: os.environ/OPENAI_API_KEY}
litellm_settings:
  telemetry: false
general_settings:
  master_key: os.environ/LITELLM_MASTER_KEY
EOF
          start litellm "$log" "$gw/litellm-venv/bin/litellm" --config "$run_dir/litellm.yaml" \
            --host 127.0.0.1 --port "$up" --num_workers 1
          wait_http litellm "${pids[-1]}" "http://127.0.0.1:$up/health/liveliness" "$log"
          # Its first completion pays for lazy imports (~1 s, more under load): pay it now, not in
          # the first bench window.
          curl -s -o /dev/null --max-time 30 "http://127.0.0.1:$up/v1/chat/completions" \
            -H "Authorization: Bearer $LITELLM_MASTER_KEY" -H 'content-type: application/json' \
            -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"warm-up"}]}' ;;
        portkey)
          start portkey "$log" env PORTKEY_HOST=127.0.0.1 NODE_ENV=production \
            node --import "$gw/portkey/loopback.mjs" \
            "$gw/portkey/node_modules/@portkey-ai/gateway/build/start-server.js" "--port=$up" --headless
          wait_http portkey "${pids[-1]}" "http://127.0.0.1:$up/" "$log"
          # Refuse to go on if it is reachable from elsewhere than loopback.
          if ss -ltnH "sport = :$up" | awk '{print $4}' | grep -v -q -E '^(127\.0\.0\.1|\[::1\]):'; then
            die "Portkey listens on a non-loopback address: $(ss -ltnH "sport = :$up" | awk '{print $4}' | tr '\n' ' ')"
          fi ;;
      esac ;;
    hosted) ;;
  esac
  upvar="${p^^}_UPSTREAM"
  case "${kind[$p]}" in
    hosted) ;; # the proxy's default (or the user's *_UPSTREAM) over TLS
    *) export "$upvar=http://127.0.0.1:$up${upstream_path[$p]}" ;;
  esac
done

# ---------------------------------------------------------------- proxy
if [[ ${#providers[@]} -gt 0 ]]; then
  export BIFROST_PORT="${proxy_port[bifrost]}" OPENROUTER_PORT="${proxy_port[openrouter]}" \
    LLMLITE_PORT="${proxy_port[litellm]}" LITELLM_PORT="${proxy_port[litellm]}" \
    BRAINTRUST_PORT="${proxy_port[braintrust]}" PORTKEY_PORT="${proxy_port[portkey]}" \
    PROXY_ADMIN_PORT MOCK_PORT
  proxy_args=(--bind 127.0.0.1 --admin-port "$PROXY_ADMIN_PORT")
  for p in "${providers[@]}"; do proxy_args+=(--provider "$p"); done
  start proxy "$run_dir/proxy.log" "$bin/proxy" "${proxy_args[@]}"
  wait_http proxy "${pids[-1]}" "http://127.0.0.1:$PROXY_ADMIN_PORT/healthz" "$run_dir/proxy.log"
  # Its provider listeners: a TCP connect (an HTTP request would travel on to the upstream).
  for p in "${providers[@]}"; do
    deadline=$((SECONDS + start_timeout))
    until (exec 3<>"/dev/tcp/127.0.0.1/${proxy_port[$p]}") 2>/dev/null; do
      [[ $SECONDS -lt $deadline ]] || { tail -n 15 "$run_dir/proxy.log" >&2; die "the proxy does not listen on ${proxy_port[$p]} ($p)"; }
      sleep 0.1
    done
  done
fi

# ---------------------------------------------------------------- table
{
  printf '%-11s %-9s %-16s %-22s %-10s\n' provider upstream version "upstream address" "proxy port"
  for p in "${providers[@]}"; do
    if [[ ${kind[$p]} == hosted ]]; then addr=$(eval echo "\${${p^^}_UPSTREAM:-hosted}"); addr="${addr#https://}"; addr="${addr%%/*}"
    else addr="127.0.0.1:${upstream_port[$p]}"; fi
    printf '%-11s %-9s %-16s %-22s %-10s\n' "$p" "${kind[$p]}" "${version[$p]}" "$addr" "${proxy_port[$p]}"
  done
  printf '%-11s %-9s %-16s %-22s %-10s\n' mock-llm - - "127.0.0.1:$MOCK_PORT" -
  [[ ${#providers[@]} -gt 0 ]] && echo "proxy admin: http://127.0.0.1:$PROXY_ADMIN_PORT/metrics"
  echo "logs: $run_dir"
} | tee "$run_dir/servers.txt"

# ---------------------------------------------------------------- bench or wait
if [[ $bench -eq 1 ]]; then
  # One bench invocation covers every provider (-provider all) so that one report holds them all;
  # a subset runs provider by provider into the same results.json (report only for a single one).
  rm -f "$run_dir/results.json"
  # has_flag NAME: the user's bench flags contain -NAME / --NAME (bench rejects a flag given twice)
  has_flag() { local a; for a in "${bench_args[@]}"; do [[ "$a" =~ ^--?$1(=|$) ]] && return 0; done; return 1; }
  common_flags=()
  has_flag rate || has_flag users || common_flags+=(-rate 50)
  has_flag duration || common_flags+=(-duration 5s)
  has_flag cooldown || common_flags+=(-cooldown 1s)
  has_flag warmup || common_flags+=(-warmup 1s)
  results="$run_dir/results.json"
  has_flag output || common_flags+=(-output "$results")
  rc=0
  if [[ ${#providers[@]} -eq ${#all_providers[@]} ]]; then
    runs=(all)
  elif [[ ${#providers[@]} -eq 0 ]]; then
    runs=(mock)
  else
    runs=("${providers[@]}")
  fi
  # A bench built without its HTML report library says so in its binary; no page then.
  page=0
  ! has_flag report && ! grep -a -q 'has no HTML report library' "$bin/bench" && page=1
  for p in "${runs[@]}"; do
    report=()
    [[ ${#runs[@]} -eq 1 && $page -eq 1 ]] && report=(-report "$run_dir/report.html")
    say "bench -provider $p ${common_flags[*]} ${bench_args[*]}"
    "$bin/bench" -provider "$p" "${common_flags[@]}" "${report[@]}" "${bench_args[@]}" \
      2> >(tee -a "$run_dir/bench.log" >&2) | tee -a "$run_dir/bench.out" || rc=1
  done
  # Several --server runs wrote into one results.json: one page for all of them.
  if [[ ${#runs[@]} -gt 1 && $page -eq 1 && -f "$results" ]]; then
    "$bin/bench" report "$results" -report "$run_dir/report.html" >/dev/null 2>>"$run_dir/bench.log" || rc=1
  fi
  # The comparison table, from results.json: direct vs through the proxy, and the overhead with
  # its 95% interval (bench's alternating windows), then the notes.
  if [[ -f "$results" ]]; then
    echo | tee -a "$run_dir/bench.out"
    "$bin/bench" summary "$results" 2>>"$run_dir/bench.log" | tee -a "$run_dir/bench.out" || rc=1
  fi
  if has_flag output; then
    echo "results: as given by -output (run folder: $run_dir)"
  elif [[ -f "$results" ]]; then
    cp "$results" "$invoked_from/results.json" 2>/dev/null
    [[ -f "$run_dir/report.html" ]] && cp "$run_dir/report.html" "$invoked_from/report.html" 2>/dev/null
    echo "results: $invoked_from/results.json$([[ -f "$run_dir/report.html" ]] && echo "  report: $invoked_from/report.html")  (run folder: $run_dir)"
  else
    say "bench wrote no results (see $run_dir/bench.log)"; rc=1
  fi
  exit $rc
fi

say "running; Ctrl-C stops everything"
while true; do
  wait -n
  # A child ended on its own: say which and stop the rest.
  for i in "${!pids[@]}"; do
    if ! kill -0 "${pids[i]}" 2>/dev/null; then
      say "${names[i]} stopped unexpectedly (log in $run_dir); stopping everything"
      exit 1
    fi
  done
done
