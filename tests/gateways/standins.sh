#!/usr/bin/env bash
# run-servers.sh --mock: every provider through the proxy to its mock-llm stand-in (each serving its
# upstream's path shape), chat JSON + streamed + embeddings, the openai SDK, then SIGTERM cleanup.
source "$(dirname "$0")/lib.sh"
export_stack_ports
start_servers --mock
for p in bifrost openrouter litellm braintrust portkey; do
  [[ $(kind_of "$p") == stand-in ]] || fail "$p is not a stand-in with --mock"
  roundtrip "$p"
done
sdk openrouter
# The stand-ins took the traffic, not the shared mock.
for port in $OPENROUTER_STANDIN_PORT $BRAINTRUST_STANDIN_PORT; do
  n=$(curl -s --max-time 3 "http://127.0.0.1:$port/stats" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["requests_total"])')
  [[ $n -ge 3 ]] || fail "stand-in on $port saw $n requests"
done
ok "hosted stand-ins served their path shapes (/api/v1, /v1/proxy)"
stop_servers
