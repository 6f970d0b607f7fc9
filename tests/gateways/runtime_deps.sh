#!/usr/bin/env bash
# The runtime image installs `docker/install-deps.sh --runtime`: every shared library the built
# proxy, bench and mock-llm load must come from a package of that list (or from the packages
# every debian:bookworm image has).
set -uo pipefail
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
bin="${LGB_BIN_DIR:-$REPO/build/bin}"
runtime=$(sed -n '/^runtime_pkgs=(/,/^)/p' "$REPO/docker/install-deps.sh" | tr -s ' \n()' '\n' | grep -v -E '^(runtime_pkgs=|)$')
base="libc6 libstdc++6 libgcc-s1 zlib1g libzstd1"
bad=0
libs=""
for b in proxy bench mock-llm; do
  [[ -x "$bin/$b" ]] || { echo "FAIL: $bin/$b missing" >&2; exit 1; }
  libs+=$(ldd "$bin/$b" | awk '/=> \//{print $3}' | xargs -r readlink -f)$'\n'
done
while read -r lib; do
  [[ -n "$lib" ]] || continue
  pkg=$( { dpkg -S "$lib" 2>/dev/null || dpkg -S "${lib#/usr}" 2>/dev/null; } | grep -v -E '^lib32|^libx32' | head -1 | cut -d: -f1)
  if [[ -z "$pkg" ]]; then echo "FAIL: $lib is needed and no package provides it" >&2; bad=1; continue; fi
  grep -qx "$pkg" <<<"$runtime" || [[ " $base " == *" $pkg "* ]] ||
    { echo "FAIL: $lib (from $pkg) is needed but not in install-deps.sh --runtime" >&2; bad=1; }
done < <(sort -u <<<"$libs")
[[ $bad -eq 0 ]] && echo "ok: every shared library of proxy, bench, mock-llm is in the runtime package list"
exit $bad
