# The set-up the proxy benchmarks share (sourced by proxy_compare.sh, proxy_instructions.sh,
# proxy_sched.sh and proxy_tls.sh), so that each compares against the same upstream and the same
# HAProxy.

source "$(dirname "${BASH_SOURCE[0]}")/../../tests/support/free_ports.sh"

# bench_setup: $tmp, a folder removed when the script exits, and $pids, the processes the script
# starts (servers, relays), stopped then.
bench_setup() {
  tmp=$(mktemp -d)
  pids=()
  trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$tmp"' EXIT
}

# process_ticks PID: the CPU time (utime + stime, in clock ticks) of a process, all its threads:
# /proc/PID/stat of a thread-group leader sums them.
process_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# fixed_upstream_conf DIR PORT: the fixed upstream's nginx configuration (`return 200` with
# proxy_fixed_500.json), its files under DIR.
fixed_upstream_conf() {
  local here
  here=$(dirname "${BASH_SOURCE[0]}")
  sed -e "s|@DIR@|$1|g" -e "s|@PORT@|$2|g" -e "s|@BODY@|$(cat "$here/proxy_fixed_500.json")|" \
    "$here/proxy_upstream_nginx.conf.in"
}

# haproxy_conf MODE PORT UPSTREAM_PORT [CA_FILE]: HAProxy 2.6 with one thread, in tcp or http mode
# (http with keep-alive to the upstream), from 127.0.0.1:PORT to 127.0.0.1:UPSTREAM_PORT; with
# CA_FILE, over TLS 1.3 to the upstream, its certificate verified against CA_FILE, with SNI.
haproxy_conf() {
  printf 'global\n    nbthread 1\n    maxconn 8000\ndefaults\n    mode %s\n    timeout connect 5s\n' "$1"
  printf '    timeout client 60s\n    timeout server 60s\n'
  if [[ $1 == http ]]; then printf '    option http-keep-alive\n    http-reuse always\n'; fi
  printf 'frontend fe\n    bind 127.0.0.1:%s\n    default_backend be\nbackend be\n    server up 127.0.0.1:%s' "$2" "$3"
  if [[ -n ${4:-} ]]; then printf ' ssl verify required ca-file %s sni str(127.0.0.1) ssl-min-ver TLSv1.3' "$4"; fi
  printf '\n'
}

# make_test_ca DIR: a CA (DIR/ca.pem) and a certificate for 127.0.0.1 that it signs (DIR/up.pem,
# DIR/up.key), for a TLS upstream. P-256 keys: the relays pool their upstream connections, so
# handshakes are rare and the key type hardly shows.
make_test_ca() {
  local ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
  (cd "$1" &&
    openssl req -x509 "${ec[@]}" -keyout ca.key -out ca.pem -days 1 -subj '/CN=lgb bench CA' &&
    openssl req "${ec[@]}" -keyout up.key -out up.csr -subj '/CN=127.0.0.1' &&
    printf 'subjectAltName=IP:127.0.0.1\n' > ext.cnf &&
    openssl x509 -req -in up.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out up.pem -days 1 \
      -extfile ext.cnf) >/dev/null 2>&1 || { echo "openssl could not make the test CA in $1" >&2; return 1; }
}

# tls_upstream_conf DIR PORT: the fixed upstream serving TLS 1.3 with make_test_ca's certificate.
tls_upstream_conf() {
  fixed_upstream_conf "$1" "$2" |
    sed "s|listen 127.0.0.1:$2;|listen 127.0.0.1:$2 ssl; ssl_protocols TLSv1.3; ssl_certificate $1/up.pem; ssl_certificate_key $1/up.key;|"
}

# wait_http URL [CA_FILE] [BODY]: until a POST of BODY ('{}' by default: the fixed upstream answers
# anything; mock-llm wants a chat request) to URL succeeds (10 s at most).
wait_http() {
  local ca=() body=${3:-'{}'}
  [[ -n ${2:-} ]] && ca=(--cacert "$2")
  for _ in $(seq 100); do curl -fs -o /dev/null "${ca[@]}" -X POST -d "$body" "$1" && return 0; sleep 0.1; done
  echo "not up: $1" >&2
  return 1
}
