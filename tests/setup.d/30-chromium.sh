#!/usr/bin/env bash
# Installs Debian's headless-capable `chromium` for the HTML report render test
# (tests/integration/report_render_test.sh). Idempotent: returns at once when it is present.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then exit 0; fi
if dpkg-query -W -f='${Status}' chromium 2>/dev/null | grep -q "install ok installed"; then exit 0; fi

sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
echo "30-chromium: installing chromium" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
# fonts-dejavu-core gives the screenshots readable glyphs on a minimal system.
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
