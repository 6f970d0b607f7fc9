// The admin listener's sessions: GET /healthz, /readyz (every upstream reachable: TCP connect and,
// for HTTPS, the TLS handshake the data path would do; all checked at once, bounded), /metrics.
#pragma once

#include "common/net.hpp"
#include "proxy/config.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <vector>

namespace proxy {

struct worker_metrics;

common::task<void> admin_session(const config& cfg, std::vector<const worker_metrics*> workers,
                                 net::ip::tcp::socket socket);

} // namespace proxy
