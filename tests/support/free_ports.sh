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
