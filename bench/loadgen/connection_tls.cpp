// HTTPS for bench's client connection: the TLS stream over the connection's socket, the handshake
// with SNI, verification and session resumption, and the TLS instantiation of the I/O loop. Kept
// out of connection.cpp so that the plain path compiles as if TLS did not exist.
#include "bench/loadgen/connection_io.hpp"
#include "bench/loadgen/tls.hpp"

#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <openssl/ssl.h>
#include <optional>
#include <spdlog/spdlog.h>

namespace loadgen::io {

using tcp = net::ip::tcp;

class tls_link
{
public:
    using stream_type = net::ssl::stream<tcp::socket&>;

    explicit tls_link(const tls_client& tls) : tls_(tls) {}
    ~tls_link()
    {
        if (session_)
            SSL_SESSION_free(session_);
    }
    tls_link(const tls_link&) = delete;
    tls_link& operator=(const tls_link&) = delete;

    stream_type& stream() { return *stream_; }

    // A new SSL object over the freshly connected socket. Called only between exchanges: the
    // previous stream is never destroyed under a pending operation (the timeout sweep only closes
    // the socket).
    bool renew(tcp::socket& socket)
    {
        keep_session();
        stream_.emplace(socket, tls_.context());
        if (!tls_.prepare(stream_->native_handle()))
            return false;
        if (session_)
            SSL_set_session(stream_->native_handle(), session_);
        return true;
    }
    const tls_client& client() const { return tls_; }

private:
    // Keeps the ending connection's session for the next one: TLS 1.3 tickets arrive after the
    // handshake, so the latest is taken just before the SSL object goes. A connection object
    // resumes only its own previous session (no cache shared between connections or threads).
    void keep_session()
    {
        if (!stream_)
            return;
        SSL* ssl = stream_->native_handle();
        // The socket was closed without close_notify, and SSL_free would then mark the session
        // not resumable. TLS 1.3 allows resuming anyway (RFC 8446, 6.1); TLS 1.2 does not.
        if (SSL_version(ssl) == TLS1_3_VERSION)
            SSL_set_shutdown(ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
        if (SSL_SESSION* s = SSL_get1_session(ssl)) {
            if (SSL_SESSION_is_resumable(s)) {
                if (session_)
                    SSL_SESSION_free(session_);
                session_ = s;
            } else {
                SSL_SESSION_free(s);
            }
        }
        stream_.reset();
    }

    const tls_client& tls_;
    std::optional<stream_type> stream_;
    SSL_SESSION* session_ = nullptr;
};

void tls_link_deleter::operator()(tls_link* l) const
{
    delete l;
}

tls_link_ptr make_tls_link(const tls_client& tls)
{
    return tls_link_ptr(new tls_link(tls));
}

common::task<drop_reason> tls_handshake(tls_link& link, tcp::socket& socket)
{
    if (!link.renew(socket))
        co_return drop_reason::tls;
    auto [ec] = co_await link.stream().async_handshake(net::ssl::stream_base::client, common::use_nothrow);
    if (ec) {
        spdlog::debug("TLS handshake with {} failed: {}", link.client().host(),
                      describe_handshake_error(link.stream().native_handle(), ec));
        co_return drop_reason::tls;
    }
    spdlog::debug("TLS handshake with {}: {} {}", link.client().host(),
                  SSL_get_version(link.stream().native_handle()),
                  SSL_session_reused(link.stream().native_handle()) ? "resumed" : "full");
    co_return drop_reason::none;
}

common::task<boost::system::error_code> tls_write_all(tls_link& link, const std::string& request)
{
    return write_all(link.stream(), request);
}

common::task<read_outcome> tls_read_response(tls_link& link, read_buffer& buffer, exchange_result& r,
                                             bool sse, common::histogram* gaps)
{
    return read_response(link.stream(), buffer, r, sse, gaps);
}

bool is_eof(const boost::system::error_code& ec)
{
    return ec == net::error::eof || ec == net::ssl::error::stream_truncated;
}

bool stale_error(const boost::system::error_code& ec)
{
    return ec == net::error::eof || ec == net::error::connection_reset || ec == net::error::broken_pipe ||
           ec == net::ssl::error::stream_truncated;
}

} // namespace loadgen::io
