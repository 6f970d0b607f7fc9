// One client connection of mock-llm: a coroutine that reads requests (HTTP/1.1 keep-alive) and
// answers them. It runs on its worker's io_context and owns its socket and buffers.
#pragma once

#include "common/net.hpp"

#include <boost/asio/ip/tcp.hpp>

namespace mock {

struct worker;

// Plain HTTP.
common::task<void> run_session(worker& w, net::ip::tcp::socket socket);
// HTTPS: TLS handshake with w.shared.tls, then the same session.
common::task<void> run_tls_session(worker& w, net::ip::tcp::socket socket);

} // namespace mock
