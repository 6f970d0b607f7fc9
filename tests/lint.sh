#!/usr/bin/env bash
# Static checks run by CI before the tests:
#  1. clang-format 14: every tracked C++ file matches .clang-format;
#  2. clang-tidy 14 (.clang-tidy) on the sources that do not pull in Boost (directly or through a
#     project header): those are the sans-I/O logic files, and tidy parses each in about a second,
#     where a Beast translation unit takes half a minute.
# Needs a configured build/ (compile_commands.json): tests/run.sh makes one.
set -euo pipefail
cd "$(dirname "$0")/.."

mapfile -t sources < <(git ls-files '*.cpp' '*.hpp')
echo "== clang-format: ${#sources[@]} files"
clang-format-14 --dry-run --Werror "${sources[@]}"

mapfile -t tidy_files < <(/usr/bin/python3 - <<'PY'
import re, subprocess
files = subprocess.run(["git", "ls-files", "*.cpp", "*.hpp"], capture_output=True, text=True, check=True).stdout.split()
include = re.compile(r'#include\s+[<"]([^>"]+)[>"]')
memo = {}
def pulls_boost(path, seen=()):
    if path in memo:
        return memo[path]
    try:
        text = open(path, encoding="utf-8").read()
    except OSError:
        return False
    result = False
    for inc in include.findall(text):
        if inc.startswith("boost/") or inc.startswith("catch2/"):
            result = True
        elif inc in files and inc not in seen and pulls_boost(inc, seen + (path,)):
            result = True
        if result:
            break
    memo[path] = result
    return result
for f in files:
    if f.endswith(".cpp") and not f.startswith("tests/") and not pulls_boost(f):
        print(f)
PY
)
echo "== clang-tidy: ${#tidy_files[@]} files without Boost"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
clang-tidy-14 -p build --quiet "${tidy_files[@]}" >"$log" 2>&1 || status=$?
grep -v -E '^[0-9]+ warnings? generated\.$|^Suppressed [0-9]+ warnings|^Use -header-filter' "$log" || true
[[ $status -eq 0 ]] || { echo "clang-tidy found problems (above)" >&2; exit 1; }
echo "== lint passed"
