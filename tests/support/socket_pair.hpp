// A connected pair of loopback TCP sockets on one io_context, for component tests that need real
// sockets (full send buffers, deadlines, readiness) without a server.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <utility>

namespace test_support {

inline std::pair<boost::asio::ip::tcp::socket, boost::asio::ip::tcp::socket>
socket_pair(boost::asio::io_context& ioc)
{
    boost::asio::ip::tcp::acceptor acc(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
    boost::asio::ip::tcp::socket a(ioc), b(ioc);
    a.connect(acc.local_endpoint());
    acc.accept(b);
    return {std::move(a), std::move(b)};
}

} // namespace test_support
