// One client connection of mock-llm: a coroutine that reads requests (HTTP/1.1 keep-alive) and
// answers them. It runs on its worker's io_context and owns its socket and buffers.
#pragma once

#include "bench/mock/io_types.hpp"

namespace mock {

struct worker;

// Plain HTTP.
task<void> run_session(worker& w, socket_t socket);
// HTTPS: TLS handshake with w.shared.tls, then the same session.
task<void> run_tls_session(worker& w, socket_t socket);

} // namespace mock
