#!/usr/bin/env bash
# docker/compose.yaml is valid (Debian's docker-compose; no Docker engine needed) and holds what
# the README promises: the gateways' public images, health-gated start order, bench under a profile.
set -uo pipefail
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
command -v docker-compose >/dev/null || { echo "SKIP: docker-compose not installed" >&2; exit 77; }
out=$(cd "$REPO/docker" && docker-compose -f compose.yaml config 2>&1) || { echo "$out" >&2; echo "FAIL: docker-compose config" >&2; exit 1; }
for want in "maximhq/bifrost:" "portkeyai/gateway:" "ghcr.io/berriai/litellm:" "condition: service_healthy" \
    "PROXY_BIND: 0.0.0.0" "127.0.0.1:3001:3001" "- bench"; do
  grep -q -F -- "$want" <<<"$out" || { echo "FAIL: compose config lacks '$want'" >&2; exit 1; }
done
# The Dockerfile builds with the same dependency script as CI.
grep -q 'docker/install-deps.sh' "$REPO/docker/Dockerfile" && grep -q 'install-deps.sh --runtime' "$REPO/docker/Dockerfile" \
  || { echo "FAIL: Dockerfile does not use docker/install-deps.sh" >&2; exit 1; }
echo "ok: docker-compose config validates"
