// The TLS client context, per-connection setup and the probe's handshake.
#include "bench/loadgen/tls.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <optional>

namespace loadgen {
namespace {

using tcp = net::ip::tcp;

bool is_ip_literal(const std::string& host)
{
    boost::system::error_code ec;
    net::ip::make_address(host, ec);
    return !ec;
}

} // namespace

tls_client::tls_client(std::unique_ptr<net::ssl::context> ctx, std::string host)
    : ctx_(std::move(ctx)), host_(std::move(host))
{}
tls_client::~tls_client() = default;

bool tls_client::prepare(ssl_st* ssl) const
{
    // OpenSSL's own host check (rather than a verify callback) so that a mismatch is reported as
    // X509_V_ERR_HOSTNAME_MISMATCH / IP_ADDRESS_MISMATCH in the verification result.
    if (is_ip_literal(host_))
        return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host_.c_str()) == 1;
    return SSL_set_tlsext_host_name(ssl, host_.c_str()) == 1 && SSL_set1_host(ssl, host_.c_str()) == 1;
}

std::variant<std::shared_ptr<const tls_client>, std::string> make_tls_client(const std::string& host,
                                                                             const std::string& ca_file)
{
    auto ctx = std::make_unique<net::ssl::context>(net::ssl::context::tls_client);
    boost::system::error_code ec;
    ctx->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                         net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 |
                         net::ssl::context::no_tlsv1_1,
                     ec);
    ctx->set_default_verify_paths(ec);
    if (ec)
        return "cannot load the system's CA certificates (" + ec.message() + ")";
    if (!ca_file.empty()) {
        ctx->load_verify_file(ca_file, ec);
        if (ec)
            return "-ca-file: cannot load CA certificates from " + ca_file + " (" + ec.message() + ")";
    }
    ctx->set_verify_mode(net::ssl::verify_peer, ec);
    return std::make_shared<const tls_client>(std::move(ctx), host);
}

std::string describe_handshake_error(ssl_st* ssl, const boost::system::error_code& ec)
{
    if (ssl) {
        auto v = SSL_get_verify_result(ssl);
        if (v != X509_V_OK)
            return std::string("certificate verify failed: ") + X509_verify_cert_error_string(v);
    }
    if (ec == net::ssl::error::stream_truncated)
        return "the server closed the connection during the handshake";
    return ec.message();
}

std::string probe_connection(const tcp::endpoint& ep, const tls_client* tls,
                             std::chrono::milliseconds timeout, bool& connected)
{
    net::io_context ioc;
    tcp::socket socket(ioc);
    std::optional<net::ssl::stream<tcp::socket&>> stream;
    if (tls)
        stream.emplace(socket, tls->context());
    net::steady_timer timer(ioc);
    boost::system::error_code result = net::error::timed_out;
    bool expired = false;
    connected = false;
    socket.async_connect(ep, [&](boost::system::error_code ec) {
        if (ec || expired) {
            result = ec ? ec : net::error::timed_out;
            timer.cancel();
            return;
        }
        connected = true;
        if (!stream) {
            result = {};
            timer.cancel();
            return;
        }
        if (!tls->prepare(stream->native_handle())) {
            result = net::error::invalid_argument;
            timer.cancel();
            return;
        }
        stream->async_handshake(net::ssl::stream_base::client, [&](boost::system::error_code hec) {
            result = hec;
            timer.cancel();
        });
    });
    timer.expires_after(timeout);
    timer.async_wait([&](boost::system::error_code ec) {
        if (ec)
            return;
        expired = true;
        socket.close();
    });
    ioc.run();
    if (!result)
        return {};
    if (expired)
        return "no answer within " + std::to_string(timeout.count()) + " ms";
    if (!connected || !stream)
        return result.message();
    return describe_handshake_error(stream->native_handle(), result);
}

} // namespace loadgen
