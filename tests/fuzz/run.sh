#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/CMakeLists.txt, clang, in build-fuzz/) and runs them.
#
#   tests/fuzz/run.sh                  every target: the seed corpus, then 300,000 mutated inputs
#                                      from a fixed seed (repeatable: see docs/HARDENING.md; CI runs
#                                      this, about 5 min on two cores);
#                                      proxy_session, whose inputs go through real sockets and a
#                                      worker thread, 20,000; results_merge (whole results files,
#                                      a bootstrap per merge) 30,000; proxy_session_kept_open
#                                      (proxy_session with LGB_FUZZ_KEEP_OPEN=1: a kept-open
#                                      upstream for every input, the same seeds) 10,000
#   tests/fuzz/run.sh --time S [T...]  targets T (default all) for S seconds each from a random
#                                      seed: a campaign; new inputs stay in build-fuzz/work/T/
#
# A broken invariant or a sanitizer report stops the run with exit 1 and leaves the input in
# build-fuzz/artifacts/; replay it with build-fuzz/T_fuzz FILE (one of proxy_session_kept_open with
# LGB_FUZZ_KEEP_OPEN=1 build-fuzz/proxy_session_fuzz FILE). Fixed inputs belong in
# tests/fuzz/corpus/T/ (proxy_session's for both) so that every later run replays them.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

mode=fixed
seconds=""
if [[ "${1:-}" == "--time" ]]; then
  mode=timed
  seconds=${2:?usage: $0 --time SECONDS [TARGET...]}
  [[ $seconds =~ ^[1-9][0-9]*$ ]] || { echo "$0: --time wants a whole number of seconds, not '$seconds'" >&2; exit 2; }
  shift 2
fi
all=(request_head response_head chunked_body bench_response server_timing sse_stream json_scan histogram_json config_text
     beast_differential mock_answer results_merge proxy_session proxy_session_kept_open)
targets=("$@")
[[ ${#targets[@]} -eq 0 ]] && targets=("${all[@]}")
for t in "${targets[@]}"; do
  [[ " ${all[*]} " == *" $t "* ]] || { echo "$0: no fuzz target '$t' (have: ${all[*]})" >&2; exit 2; }
done

docker/install-deps.sh --fuzz
source tests/support/ccache.sh
CXX=clang++-14 cmake -S tests/fuzz -B build-fuzz -G Ninja >/dev/null
cmake --build build-fuzz -j "$(nproc)"

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
mkdir -p build-fuzz/artifacts
# Fixed runs without address randomization, where the kernel allows it (a container may not).
fixed_layout=()
if [[ $mode == fixed ]]; then
  if setarch "$(uname -m)" -R true 2>/dev/null; then
    fixed_layout=(setarch "$(uname -m)" -R)
  else
    echo "(setarch -R refused: address randomization stays on, and a fixed run may not repeat itself)"
  fi
fi
for t in "${targets[@]}"; do
  # proxy_session_kept_open is proxy_session's binary and seeds in the mode where every input's
  # upstream keeps its connections open and most clients send well-framed requests: a live pooled
  # connection reused in about half of the inputs, against 1-3% without it (docs/HARDENING.md).
  binary=$t seeds=$t
  unset LGB_FUZZ_KEEP_OPEN
  if [[ $t == proxy_session_kept_open ]]; then
    binary=proxy_session seeds=proxy_session
    export LGB_FUZZ_KEEP_OPEN=1
  fi
  work=build-fuzz/work/$t
  mkdir -p "$work"
  # The committed seeds, plus what earlier campaigns on this machine found.
  cp -n tests/fuzz/corpus/"$seeds"/* "$work"/ 2>/dev/null || true
  # results.json entries are a few KB each, and a merge takes two.
  max_len=4096
  [[ $t == results_merge ]] && max_len=24576
  args=(-max_len=$max_len -dict="$root/tests/fuzz/http.dict" -artifact_prefix="$root/build-fuzz/artifacts/$t-"
        -print_final_stats=0)
  if [[ $mode == fixed ]]; then
    runs=300000
    [[ $t == proxy_session ]] && runs=20000
    [[ $t == proxy_session_kept_open ]] && runs=10000
    [[ $t == results_merge ]] && runs=30000
    args+=(-seed=1 -runs=$runs)
    # A fixed run must not depend on what earlier campaigns left: only the committed seeds. They
    # are named in sorted order (-seed_inputs), not read from a directory: libFuzzer orders its
    # seeds by size alone, so same-sized ones kept the directory's order, which differs between
    # filesystems, and CI's "fixed" run reached inputs this machine's did not. The corpus
    # directory starts empty and takes what the run finds.
    corpus=$(mktemp -d)
    seed_files=$(printf '%s\n' "$root"/tests/fuzz/corpus/"$seeds"/* | LC_ALL=C sort | paste -sd, -)
    # No reload of the corpus directory (a timer), and (below) no address randomization: pointer
    # values reach libFuzzer's comparison tables. With both, two fixed runs of a target make the
    # same inputs (proxy_session's still depend on timing: real sockets and a thread).
    args+=(-seed_inputs="$seed_files" -reload=0)
  else
    args+=(-max_total_time="$seconds")
    corpus=$work
  fi
  echo "== fuzz $t ($mode${seconds:+, ${seconds} s})"
  log=build-fuzz/$t.log
  if ! "${fixed_layout[@]}" build-fuzz/"${binary}_fuzz" "${args[@]}" "$corpus" >"$log" 2>&1; then
    grep -a -B 3 -E 'fuzz invariant broken|ERROR:|SUMMARY|runtime error|Test unit written' "$log" >&2 || tail -n 30 "$log" >&2
    echo "fuzz target $t failed; full log in $log" >&2
    # The input itself, so that a failure on another machine (CI) can be replayed here.
    input=$(grep -a -o 'Test unit written to [^ ]*' "$log" | tail -n 1 | sed 's/^Test unit written to //')
    if [[ -n $input && -f $input && $(stat -c %s "$input") -le 32768 ]]; then
      echo "the input, base64 (replay: base64 -d > in; build-fuzz/${binary}_fuzz in):" >&2
      base64 -w0 "$input" >&2
      echo >&2
    fi
    if [[ $mode == fixed ]]; then rm -rf "$corpus"; fi
    exit 1
  fi
  grep -a -E '^(Done|#[0-9]+ +DONE)' "$log" | tail -n 1 || true
  if [[ $mode == fixed ]]; then rm -rf "$corpus"; fi
done
echo "== fuzz targets passed: ${targets[*]}"
