#!/usr/bin/env bash
# The test command of the README: installs what is missing, builds, runs every test with ctest.
#
#   tests/run.sh              release build (build/), all tests
#   tests/run.sh --sanitize   ASan + UBSan build (build-asan/), all tests, fails on any report
#
# Extra peers that some integration tests need (npm packages, real gateways) are installed by
# the scripts in tests/setup.d/, run in name order; each is idempotent and quick when done.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=release
[[ "${1:-}" == "--sanitize" ]] && mode=sanitize

source tests/support/ccache.sh

docker/install-deps.sh
for setup in tests/setup.d/*.sh; do
  [[ -e "$setup" ]] || continue
  echo "== setup: $setup" >&2
  bash "$setup"
done

jobs=$(nproc)
if [[ $mode == sanitize ]]; then
  build_dir=build-asan
  cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DLGB_WERROR=ON -DLGB_SANITIZE=ON >/dev/null
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:halt_on_error=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
else
  build_dir=build
  cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLGB_WERROR=ON >/dev/null
fi
cmake --build "$build_dir" -j "$jobs"
# Integration tests start servers on port 0 and bound their own run time, so they may run in parallel.
ctest --test-dir "$build_dir" --output-on-failure -j "$jobs" --timeout 120
