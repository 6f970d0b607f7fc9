#!/usr/bin/env bash
# Builds the image from docker/Dockerfile and runs the compose stack for real: docker/compose.yaml
# with docker/compose.offline.yaml (mock-llm stand-ins in the gateways' places, since no image
# registry is reachable here), then checks every provider through the proxy, plain and streaming,
# the published ports, the non-root user, and the bench profile's results.json.
#
#   tests/docker/stack.sh                 needs a running Docker engine, else skips (exit 77)
#   LGB_DOCKER_START=1 tests/docker/stack.sh   (root, as .ci/run) installs the engine and
#                                         debootstrap if missing and starts dockerd for the run
#
# Where `debian:bookworm` is not present, it is made with debootstrap from Debian's mirror and
# imported (on a machine that reaches Docker Hub, `docker build` would pull it instead).
# Containers talk on the compose bridge network; the only ports published are on 127.0.0.1.
set -uo pipefail
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$REPO"

fail() { echo "FAIL: $*" >&2; exit 1; }
# With LGB_DOCKER_START=1 (CI) the stack must run: what would be a skip is a failure.
skip() { [[ "${LGB_DOCKER_START:-0}" == 1 ]] && fail "$*"; echo "SKIP: $*" >&2; exit 77; }
ok() { echo "ok: $*"; }
step() { echo "== docker: $*" >&2; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/lgb-docker-test.XXXXXX")
PROJECT="lgb-stack-test-$$"
DOCKERD_PID=""
COMPOSE=()

compose() { (cd "$REPO/docker" && "${COMPOSE[@]}" -p "$PROJECT" -f compose.yaml -f compose.offline.yaml "$@"); }

cleanup() {
  if [[ ${#COMPOSE[@]} -gt 0 ]]; then
    compose --profile bench logs --no-color >"$TMP/compose.log" 2>&1
    compose --profile bench down -v --remove-orphans >/dev/null 2>&1
  fi
  if [[ -n "$DOCKERD_PID" ]]; then
    kill -TERM "$DOCKERD_PID" 2>/dev/null
    for _ in $(seq 1 100); do kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -rf "$TMP"
}
trap cleanup EXIT

# ------------------------------------------------------------------ engine
engine_up() { timeout 10 docker info >/dev/null 2>&1; }
if ! engine_up; then
  [[ "${LGB_DOCKER_START:-0}" == 1 ]] || skip "no Docker engine reachable (LGB_DOCKER_START=1 starts one as root)"
  [[ $(id -u) -eq 0 ]] || skip "LGB_DOCKER_START=1 needs root to start dockerd"
  if ! command -v dockerd >/dev/null || ! command -v docker-compose >/dev/null || ! command -v debootstrap >/dev/null; then
    step "installing the engine (docker/install-deps.sh --docker)"
    docker/install-deps.sh --docker || fail "could not install the Docker engine"
  fi
  step "starting dockerd"
  # setsid: the daemon must not share this script's process group (ctest or CI kill it by group).
  setsid dockerd >"$TMP/dockerd.log" 2>&1 &
  DOCKERD_PID=$!
  for _ in $(seq 1 300); do engine_up && break; kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 0.1; done
  engine_up || { tail -20 "$TMP/dockerd.log" >&2; fail "dockerd did not come up"; }
fi
if command -v docker-compose >/dev/null; then COMPOSE=(docker-compose)
elif docker compose version >/dev/null 2>&1; then COMPOSE=(docker compose)
else skip "neither docker-compose nor the compose plugin is installed"; fi

# ------------------------------------------------------------------ images
if ! docker image inspect debian:bookworm >/dev/null 2>&1; then
  command -v debootstrap >/dev/null || skip "no debian:bookworm image and no debootstrap to make one"
  step "making debian:bookworm with debootstrap (about 30 s)"
  root="$TMP/bookworm"
  debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian >"$TMP/debootstrap.log" 2>&1 ||
    { tail -5 "$TMP/debootstrap.log" >&2; fail "debootstrap failed"; }
  # The same sources as Debian's own image: main, updates and security.
  rm -f "$root/etc/apt/sources.list"
  cat >"$root/etc/apt/sources.list.d/debian.sources" <<'EOF'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  tar -C "$root" -c . | docker import -c 'CMD ["bash"]' - debian:bookworm >/dev/null || fail "docker import failed"
  rm -rf "$root"
fi

step "building lgb:local from docker/Dockerfile"
start=$SECONDS
docker build -q -f docker/Dockerfile -t lgb:local . >"$TMP/build.log" 2>&1 || { tail -30 "$TMP/build.log" >&2; fail "docker build failed"; }
ok "image built in $((SECONDS - start)) s ($(docker image inspect -f '{{.Size}}' lgb:local | awk '{printf "%.0f MB", $1/1e6}'))"
[[ $(docker run --rm --entrypoint id lgb:local -u) == 10001 ]] || fail "the image does not run as uid 10001"
for bin in proxy bench mock-llm; do
  docker run --rm --entrypoint "$bin" lgb:local --help >/dev/null 2>&1 || fail "$bin --help fails in the image"
done
ok "runs as uid 10001; proxy, bench and mock-llm start"

# ------------------------------------------------------------------ stack
source "$REPO/tests/support/free_ports.sh"
ports=($(free_ports 6))
export BIFROST_PORT=${ports[0]} OPENROUTER_PORT=${ports[1]} LLMLITE_PORT=${ports[2]} BRAINTRUST_PORT=${ports[3]} \
  PORTKEY_PORT=${ports[4]} PROXY_ADMIN_PORT=${ports[5]}
export LGB_RESULTS_DIR="$TMP/results"
mkdir -p "$LGB_RESULTS_DIR" && chmod 777 "$LGB_RESULTS_DIR"   # bench writes as uid 10001
unset OPENROUTER_UPSTREAM BRAINTRUST_UPSTREAM OPENROUTER_API_KEY BRAINTRUST_API_KEY LITELLM_MASTER_KEY MOCK_LATENCY

step "compose up (project $PROJECT)"
compose up -d >"$TMP/up.log" 2>&1 || { cat "$TMP/up.log" >&2; fail "compose up failed"; }
proxy_id=$(compose ps -q proxy)
[[ -n "$proxy_id" ]] || fail "no proxy container"
deadline=$((SECONDS + 120))
until [[ $(docker inspect -f '{{.State.Health.Status}}' "$proxy_id" 2>/dev/null) == healthy ]]; do
  [[ $SECONDS -lt $deadline ]] || { compose logs --no-color --tail 20 >&2; fail "proxy not healthy in 120 s"; }
  sleep 0.5
done
ok "stack healthy in $((SECONDS - deadline + 120)) s"

# Published ports: exactly the proxy's six, each on 127.0.0.1.
published=$(docker ps --filter "label=com.docker.compose.project=$PROJECT" --format '{{.Ports}}' | tr ',' '\n' | grep -- '->' | sed 's/^ *//')
[[ $(grep -c . <<<"$published") -eq 6 ]] || fail "expected 6 published ports, got: $published"
if grep -v '^127\.0\.0\.1:' <<<"$published"; then fail "a port is published beyond loopback"; fi
ok "six ports published, all on 127.0.0.1"

ready=$(curl -fsS -m 5 "http://127.0.0.1:$PROXY_ADMIN_PORT/readyz") || fail "/readyz is not 200: $ready"
ok "/readyz: $ready"

body='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}'
stream_body='{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"hi"}]}'
for p in BIFROST_PORT OPENROUTER_PORT LLMLITE_PORT BRAINTRUST_PORT PORTKEY_PORT; do
  port=${!p}
  out=$(curl -sS -m 5 -w '\n%{http_code}' -H 'content-type: application/json' -d "$body" "http://127.0.0.1:$port/v1/chat/completions")
  [[ ${out##*$'\n'} == 200 ]] || fail "$p: status ${out##*$'\n'}: ${out%$'\n'*}"
  grep -q '"chat.completion"' <<<"$out" || fail "$p: not a chat completion: $out"
  out=$(curl -sS -m 5 -N -H 'content-type: application/json' -d "$stream_body" "http://127.0.0.1:$port/v1/chat/completions")
  grep -q '^data: \[DONE\]' <<<"$out" || fail "$p: the stream did not end with [DONE]: $out"
  [[ $(grep -c '^data: {' <<<"$out") -ge 2 ]] || fail "$p: fewer than two stream events"
done
ok "all five providers answer through the proxy, plain and streaming"

step "bench profile"
compose --profile bench run --rm bench >"$TMP/bench.out" 2>"$TMP/bench.err" ||
  { tail -20 "$TMP/bench.err" >&2; fail "the bench container failed"; }
python3 - "$LGB_RESULTS_DIR/results.json" <<'PY' || fail "results.json is not what the bench profile promises"
import json, sys
d = json.load(open(sys.argv[1]))
want = {"bifrost", "openrouter", "litellm", "braintrust", "portkey"}
assert set(d) == want, f"providers {sorted(d)}"
for name, r in d.items():
    assert r["requests"] > 0 and r["success_rate"] == 100.0, f"{name}: {r['succeeded']}/{r['requests']}"
    assert r["direct"] and r["overhead"], f"{name}: no overhead measurement"
    print(f"ok: {name}: {r['requests']} requests, p50 {r['p50_latency_ms']} ms, overhead p50 {r['overhead']['p50_ms']['value']} ms")
PY
[[ -s "$LGB_RESULTS_DIR/report.html" ]] || fail "no report.html"
ok "bench profile wrote results.json (five providers, all 100%) and report.html"
