#!/usr/bin/env bash
# Applies to an installed @hono/node-server 1.13.5 the one-line fix Portkey's own repository
# carries for it: getRequestListener must `await responseViaResponseObject(...)`, otherwise a
# streamed response that fails after the handler returned is not caught and Portkey's SSE
# streams end in "TypeError: immutable" / 500. Idempotent: a patched file no longer matches.
#   patch-hono.sh NODE_MODULES_DIR
set -euo pipefail
dir="${1:?usage: patch-hono.sh NODE_MODULES_DIR}/@hono/node-server"
version=$(sed -n 's/^  "version": "\(.*\)",$/\1/p' "$dir/package.json")
if [[ "$version" != "1.13.5" ]]; then
  echo "patch-hono: expected @hono/node-server 1.13.5, found '$version'" >&2
  exit 1
fi
patched=0
for f in "$dir"/dist/*.js "$dir"/dist/*.mjs; do
  if grep -q 'return responseViaResponseObject(res, outgoing, options);' "$f"; then
    sed -i 's/return responseViaResponseObject(res, outgoing, options);/return await responseViaResponseObject(res, outgoing, options);/' "$f"
    patched=$((patched + 1))
  fi
done
# Every file defining getRequestListener must now await (the check that makes this step honest).
if grep -l 'getRequestListener = ' "$dir"/dist/*.js "$dir"/dist/*.mjs | xargs grep -L 'return await responseViaResponseObject(res, outgoing, options);' | grep -q .; then
  echo "patch-hono: fix not applied everywhere" >&2
  exit 1
fi
echo "patch-hono: $patched file(s) patched" >&2
