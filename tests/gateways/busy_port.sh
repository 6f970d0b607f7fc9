#!/usr/bin/env bash
# A port already taken: run-servers.sh names the port and the process holding it, starts nothing.
source "$(dirname "$0")/lib.sh"
export_stack_ports
python3 -c 'import socket,sys,time; s=socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(); time.sleep(60)' \
  "$PORTKEY_PORT" & holder=$!
for _ in $(seq 1 50); do [[ -n "$(ss -ltnH "sport = :$PORTKEY_PORT")" ]] && break; sleep 0.1; done
timeout 30 "$REPO/run-servers.sh" --no-build "${ENV_FILE_ARGS[@]}" --mock >"$TMP/out" 2>"$TMP/err"
rc=$?
kill "$holder"; wait "$holder" 2>/dev/null
cat "$TMP/err"
[[ $rc -eq 1 ]] || fail "exit status $rc, expected 1"
grep -q "port $PORTKEY_PORT (for proxy/portkey) is already in use by python3 (pid $holder)" "$TMP/err" \
  || fail "the error does not name the port and its holder"
[[ ! -e "$LGB_RUN_DIR/pids" ]] || fail "something was started: $(cat "$LGB_RUN_DIR/pids")"
ok "busy port reported with its holder; nothing started"
