#!/usr/bin/env bash
# Installs the real gateways at pinned versions (gateways/versions.env), idempotently.
#
#   gateways/install.sh [all|litellm|portkey|bifrost]...
#
# Each gateway is installed once into a cache shared by every clone on this machine
# ($LGB_GATEWAYS_CACHE, default ~/.cache/lgb-gateways/<name>-<version>) and linked from the
# repository's git-ignored .gateways/ folder, so a fresh clone reuses it in a second. A gateway
# that cannot be installed (registry unreachable, toolchain too old) prints one line and is left
# out: run-servers.sh then starts a mock-llm stand-in in its place. Exit status 0 unless asked
# for exactly one gateway and it failed.
#
# BIFROST_BIN=/path/to/bifrost-http links a Bifrost you built or downloaded yourself instead of
# `go install` (the Go module proxy does not serve Bifrost to every machine; docs/GATEWAYS.md).
set -uo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=gateways/versions.env
source "$repo/gateways/versions.env"
cache="${LGB_GATEWAYS_CACHE:-$HOME/.cache/lgb-gateways}"
links="$repo/.gateways"
mkdir -p "$cache" "$links"

note() { echo "install: $*" >&2; }

# link NAME TARGET: .gateways/NAME -> TARGET
link() { ln -sfn "$1" "$links/$2"; }

install_litellm() {
  local dir="$cache/litellm-$LITELLM_VERSION"
  if [[ -x "$dir/venv/bin/litellm" && -e "$dir/.done" ]]; then
    link "$dir/venv" litellm-venv
    return 0
  fi
  local py; py=$(command -v python3) || { note "litellm: no python3"; return 1; }
  note "litellm $LITELLM_VERSION: creating a venv and installing litellm[proxy] (a minute or two)"
  rm -rf "$dir" && mkdir -p "$dir"
  if "$py" -m venv "$dir/venv" >"$dir/install.log" 2>&1 &&
     timeout 900 "$dir/venv/bin/pip" install --disable-pip-version-check -q \
       "litellm[proxy]==$LITELLM_VERSION" >>"$dir/install.log" 2>&1; then
    touch "$dir/.done"
    link "$dir/venv" litellm-venv
    note "litellm $LITELLM_VERSION installed"
  else
    note "litellm: install failed (log: $dir/install.log); a stand-in will be used"
    return 1
  fi
}

install_portkey() {
  local dir="$cache/portkey-$PORTKEY_VERSION-hono-$HONO_NODE_SERVER_VERSION"
  local src="$repo/gateways/portkey"
  # The lock file decides the tree: a changed lock makes a new install.
  local stamp; stamp=$(cat "$src/package.json" "$src/package-lock.json" "$src/patch-hono.sh" | sha256sum | cut -c1-16)
  if [[ -e "$dir/.done-$stamp" ]]; then
    link "$dir" portkey
    return 0
  fi
  command -v npm >/dev/null || { note "portkey: no npm"; return 1; }
  note "portkey $PORTKEY_VERSION: npm ci (about 10 s)"
  rm -rf "$dir" && mkdir -p "$dir"
  cp "$src/package.json" "$src/package-lock.json" "$dir/"
  # --ignore-scripts: the package's postinstall runs patch-package on files it does not ship.
  if (cd "$dir" && timeout 600 npm ci --ignore-scripts --no-audit --no-fund) >"$dir/install.log" 2>&1 &&
     bash "$src/patch-hono.sh" "$dir/node_modules" >>"$dir/install.log" 2>&1; then
    cp "$src/loopback.mjs" "$dir/"
    touch "$dir/.done-$stamp"
    link "$dir" portkey
    note "portkey $PORTKEY_VERSION installed (@hono/node-server $HONO_NODE_SERVER_VERSION, patched)"
  else
    note "portkey: install failed (log: $dir/install.log); a stand-in will be used"
    return 1
  fi
}

install_bifrost() {
  if [[ -n "${BIFROST_BIN:-}" ]]; then
    [[ -x "$BIFROST_BIN" ]] || { note "bifrost: BIFROST_BIN=$BIFROST_BIN is not an executable"; return 1; }
    link "$(cd "$(dirname "$BIFROST_BIN")" && pwd)/$(basename "$BIFROST_BIN")" bifrost-http
    note "bifrost: linked $BIFROST_BIN (run-servers.sh reports the version from its start-up banner)"
    return 0
  fi
  local dir="$cache/bifrost-$BIFROST_TAG"
  if [[ -x "$dir/bin/bifrost-http" ]]; then
    link "$dir/bin/bifrost-http" bifrost-http
    return 0
  fi
  command -v go >/dev/null || { note "bifrost: no go toolchain"; return 1; }
  note "bifrost $BIFROST_TAG: go install $BIFROST_MODULE (several minutes on 2 cores)"
  mkdir -p "$dir"
  # Module and build caches outside the repository, shared by clones.
  export GOPATH="$cache/go" GOMODCACHE="$cache/go/pkg/mod" GOCACHE="$cache/go-build" GOBIN="$dir/bin"
  export GOFLAGS=-mod=mod GOTOOLCHAIN=local
  if timeout 1800 go install "$BIFROST_MODULE@$BIFROST_TAG" >"$dir/install.log" 2>&1; then
    link "$dir/bin/bifrost-http" bifrost-http
    note "bifrost $BIFROST_TAG installed"
  else
    local why; why=$(grep -m1 -o -E '[0-9]{3} Forbidden|[0-9]{3} Not Found|server response: .*|no such host' "$dir/install.log" || tail -1 "$dir/install.log")
    note "bifrost: go install failed (${why:0:120}); a stand-in will be used (log: $dir/install.log)"
    return 1
  fi
}

targets=("$@")
[[ ${#targets[@]} -eq 0 || "${targets[0]}" == all ]] && targets=(litellm portkey bifrost)
failed=0
for t in "${targets[@]}"; do
  case "$t" in
    litellm|llmlite) install_litellm || failed=$((failed + 1)) ;;
    portkey) install_portkey || failed=$((failed + 1)) ;;
    bifrost) install_bifrost || failed=$((failed + 1)) ;;
    *) note "unknown gateway '$t' (litellm, portkey, bifrost)"; exit 2 ;;
  esac
done
[[ ${#targets[@]} -eq 1 && $failed -gt 0 ]] && exit 1
exit 0
