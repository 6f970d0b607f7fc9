#!/usr/bin/env bash
# tests/gateways/real.sh bifrost|litellm|portkey: client -> proxy -> the REAL gateway -> mock-llm,
# started through run-servers.sh: chat JSON, streamed, embeddings, the openai npm SDK; proof that
# the requests reached mock-llm through the gateway; then SIGTERM leaves nothing behind.
# Exit 77 (skipped) when that gateway is not installed (gateways/install.sh); LiteLLM and Portkey
# are required under LGB_REQUIRE_PEERS=1 (CI). Bifrost stays optional: its Go module is not served
# by the registry this project reaches (docs/GATEWAYS.md).
source "$(dirname "$0")/lib.sh"
p="${1:?usage: real.sh bifrost|litellm|portkey}"
case "$p" in
  bifrost) [[ -x "$REPO/.gateways/bifrost-http" ]] || skip "Bifrost is not installed (gateways/install.sh bifrost, or BIFROST_BIN=/path/to/bifrost-http gateways/install.sh bifrost)" ;;
  litellm) [[ -x "$REPO/.gateways/litellm-venv/bin/litellm" ]] || require_or_skip "LiteLLM is not installed" ;;
  portkey) [[ -d "$REPO/.gateways/portkey/node_modules" ]] || require_or_skip "Portkey is not installed" ;;
esac
export_stack_ports
start_servers --server "$p"
[[ $(kind_of "$p") == real ]] || fail "$p is installed but run-servers.sh started a $(kind_of "$p")"
before=$(mock_requests)
roundtrip "$p"
sdk "$p"
after=$(mock_requests)
[[ $((after - before)) -ge 3 ]] || fail "mock-llm saw $((after - before)) requests through $p"
ok "mock-llm saw $((after - before)) requests through the real $p"
if [[ $p == portkey ]]; then
  bad=$(ss -ltnH "sport = :$PORTKEY_GATEWAY_PORT" | awk '{print $4}' | grep -v -E '^(127\.0\.0\.1|\[::1\]):' || true)
  [[ -z "$bad" ]] || fail "Portkey listens beyond loopback: $bad"
  ok "Portkey listens on loopback only"
fi
stop_servers
