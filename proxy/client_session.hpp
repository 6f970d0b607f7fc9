// One client connection: a coroutine loop reading requests, checking them (request_guard),
// forwarding them to the provider's upstream and relaying the responses.
#pragma once

#include "common/net.hpp"
#include "proxy/session_task.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <cstddef>

namespace proxy {

struct worker_context;

// Owns the socket; ends when the client closes, on a fatal error or on shutdown.
task<void> run_session(worker_context& w, std::size_t provider, net::ip::tcp::socket socket);

// Writes a canned 503 (connection limit) and closes, without a session.
void refuse_connection(net::ip::tcp::socket& socket);

} // namespace proxy
