#!/usr/bin/env bash
# Test peers for tests/gateways (run by tests/run.sh before building; idempotent, quick when done):
#  - the openai npm SDK pinned in tests/peers (npm ci; npm's own cache makes a fresh clone quick)
#  - the real gateways at their pinned versions (gateways/install.sh: installed once per machine in
#    ~/.cache/lgb-gateways and linked from .gateways/). One that cannot be installed is reported;
#    its tests are then skipped, not faked.
# Measured on the 2-core dev machine: cold (empty pip/npm caches) ~6 min, download-bound; warm (a
# fresh clone, ~/.cache/lgb-gateways present) ~1 s. See docs/GATEWAYS.md.
set -uo pipefail
cd "$(dirname "$0")/../.."
start=$SECONDS
if command -v npm >/dev/null; then
  stamp=$(sha256sum tests/peers/package-lock.json | cut -c1-16)
  if [[ "$(cat tests/peers/node_modules/.lgb-stamp 2>/dev/null)" != "$stamp" ]]; then
    if (cd tests/peers && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error); then
      echo "$stamp" > tests/peers/node_modules/.lgb-stamp
    else
      echo "50-gateways: npm ci in tests/peers failed; the SDK test will be skipped" >&2
    fi
  fi
else
  echo "50-gateways: no npm; the SDK and Portkey tests will be skipped" >&2
fi
# Debian's docker-compose validates docker/compose.yaml (no Docker engine runs here).
if ! command -v docker-compose >/dev/null; then
  sudo_cmd=(); [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
  (export DEBIAN_FRONTEND=noninteractive; "${sudo_cmd[@]}" apt-get update -qq &&
    "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends docker-compose >/dev/null) ||
    echo "50-gateways: could not install docker-compose; the compose test will be skipped" >&2
fi
gateways/install.sh litellm portkey bifrost || true
echo "50-gateways: done in $((SECONDS - start)) s" >&2
exit 0
