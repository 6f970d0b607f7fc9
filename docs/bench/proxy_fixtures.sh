# The set-up the proxy benchmarks share (sourced by proxy_compare.sh, proxy_instructions.sh and
# proxy_sched.sh), so that each compares against the same upstream and the same HAProxy.

# fixed_upstream_conf DIR PORT: the fixed upstream's nginx configuration (`return 200` with
# proxy_fixed_500.json), its files under DIR.
fixed_upstream_conf() {
  local here
  here=$(dirname "${BASH_SOURCE[0]}")
  sed -e "s|@DIR@|$1|g" -e "s|@PORT@|$2|g" -e "s|@BODY@|$(cat "$here/proxy_fixed_500.json")|" \
    "$here/proxy_upstream_nginx.conf.in"
}

# haproxy_conf MODE PORT UPSTREAM_PORT: HAProxy 2.6 with one thread, in tcp or http mode (http
# with keep-alive to the upstream), from 127.0.0.1:PORT to 127.0.0.1:UPSTREAM_PORT.
haproxy_conf() {
  printf 'global\n    nbthread 1\n    maxconn 8000\ndefaults\n    mode %s\n    timeout connect 5s\n' "$1"
  printf '    timeout client 60s\n    timeout server 60s\n'
  if [[ $1 == http ]]; then printf '    option http-keep-alive\n    http-reuse always\n'; fi
  printf 'frontend fe\n    bind 127.0.0.1:%s\n    default_backend be\nbackend be\n    server up 127.0.0.1:%s\n' "$2" "$3"
}

# wait_http URL: until a POST to URL succeeds (10 s at most).
wait_http() {
  for _ in $(seq 100); do curl -fs -o /dev/null -X POST -d '{}' "$1" && return 0; sleep 0.1; done
  echo "not up: $1" >&2
  return 1
}
