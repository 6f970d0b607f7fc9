#!/usr/bin/env bash
# Installs the Debian packages the suite builds and tests with. Idempotent: when every
# package is already present it checks with dpkg and returns in well under a second.
# Used by the README's commands, .ci/run and docker/Dockerfile alike.
#
#   docker/install-deps.sh            build + test dependencies
#   docker/install-deps.sh --runtime  only what the built programs need at run time
#   docker/install-deps.sh --bench-tools  the reference servers and tools docs/BENCHMARKS.md uses
#   docker/install-deps.sh --docker   a Docker engine, compose and debootstrap (tests/docker/stack.sh)
#   docker/install-deps.sh --fuzz     clang and libFuzzer (tests/fuzz/run.sh)
set -euo pipefail

build_pkgs=(
  build-essential cmake ninja-build ccache pkg-config git ca-certificates curl openssl
  libboost1.81-all-dev nlohmann-json3-dev libspdlog-dev catch2 libssl-dev
  procps iproute2 psmisc clang-format-14 clang-tidy-14
)
runtime_pkgs=(
  libspdlog1.10 libfmt9 libssl3 ca-certificates procps iproute2 curl
)

bench_tool_pkgs=(
  wrk nginx-light haproxy nghttp2-client linux-perf valgrind hyperfine util-linux
  python3-fastapi python3-uvicorn python3-httpx
)

# libFuzzer ships with clang's runtime libraries.
fuzz_pkgs=(
  clang-14 libclang-rt-14-dev
)

# debootstrap makes the debian:bookworm base image where no image registry is reachable.
docker_pkgs=(
  docker.io docker-compose debootstrap iptables
)

pkgs=("${build_pkgs[@]}")
case "${1:-}" in
  --runtime) pkgs=("${runtime_pkgs[@]}") ;;
  --bench-tools) pkgs=("${bench_tool_pkgs[@]}") ;;
  --docker) pkgs=("${docker_pkgs[@]}") ;;
  --fuzz) pkgs=("${fuzz_pkgs[@]}") ;;
  "") ;;
  *) echo "usage: $0 [--runtime|--bench-tools|--docker|--fuzz]" >&2; exit 2 ;;
esac

missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
