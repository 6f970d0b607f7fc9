# free_ports N: prints N distinct free TCP ports on 127.0.0.1 (sourced by the shell tests and
# docs/bench scripts). The sockets are held until all N are bound, so the ports differ; another
# process could still take one before the caller binds it, as with any port picked this way.
free_ports() {
  python3 - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}

# export_stack_ports: free ports for every listener run-servers.sh starts, exported under the
# names it reads; unsets what would point bench or the proxy elsewhere (keys, upstream URLs, the
# LITELLM_PORT alias, PROXY_API_KEY), so that a benchmark script runs on this stack only.
export_stack_ports() {
  read -r MOCK_PORT PROXY_ADMIN_PORT BIFROST_PORT OPENROUTER_PORT LLMLITE_PORT BRAINTRUST_PORT PORTKEY_PORT \
    BIFROST_GATEWAY_PORT OPENROUTER_STANDIN_PORT LITELLM_GATEWAY_PORT BRAINTRUST_STANDIN_PORT PORTKEY_GATEWAY_PORT \
    <<<"$(free_ports 12)"
  export MOCK_PORT PROXY_ADMIN_PORT BIFROST_PORT OPENROUTER_PORT LLMLITE_PORT BRAINTRUST_PORT PORTKEY_PORT \
    BIFROST_GATEWAY_PORT OPENROUTER_STANDIN_PORT LITELLM_GATEWAY_PORT BRAINTRUST_STANDIN_PORT PORTKEY_GATEWAY_PORT
  unset LITELLM_PORT OPENROUTER_API_KEY BRAINTRUST_API_KEY OPENROUTER_UPSTREAM BRAINTRUST_UPSTREAM \
    BIFROST_UPSTREAM LITELLM_UPSTREAM PORTKEY_UPSTREAM PROXY_API_KEY
}
