// Blocking TLS client for tests (see tls_client.hpp).
#include "tests/support/tls_client.hpp"

#include "common/net.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <sys/socket.h>
#include <sys/time.h>

namespace test_support {

std::string tls_raw_request(std::uint16_t port, const std::string& request)
{
    net::io_context ioc;
    net::ssl::context ctx(net::ssl::context::tls_client);
    ctx.set_verify_mode(net::ssl::verify_none);
    net::ssl::stream<net::ip::tcp::socket> s(ioc, ctx);
    s.next_layer().connect({net::ip::make_address("127.0.0.1"), port});
    timeval tv{5, 0};
    ::setsockopt(s.next_layer().native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    s.handshake(net::ssl::stream_base::client);
    net::write(s, net::buffer(request));
    std::string out;
    char buf[4096];
    boost::system::error_code ec;
    for (;;) {
        auto n = s.read_some(net::buffer(buf), ec);
        out.append(buf, n);
        if (ec)
            break;
    }
    return out;
}

} // namespace test_support
