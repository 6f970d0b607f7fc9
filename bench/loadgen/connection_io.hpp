// The request/response loop of bench's client connection, as templates on the stream type. Private
// to connection.cpp (plain TCP socket) and connection_tls.cpp (TLS stream): each TU instantiates
// it for one stream, so the plain path compiles exactly as it would without TLS (no dispatch per
// read or write, and the TLS instantiation cannot change what the compiler inlines for plain).
#pragma once

#include "bench/loadgen/connection.hpp"
#include "common/sse.hpp"

#include <array>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <limits>
#include <memory>

namespace loadgen::io {

using body_buffer =
    std::array<char, 16384>; // body bytes are read here and dropped (or fed to the SSE parser)

enum class read_outcome
{
    done,
    done_close, // complete, and the server does not keep the connection open
    stale,      // failed before any response byte (eof, reset): a reused connection may retry
    failed,
    parse
};

// is_eof and stale_error live in connection_tls.cpp, the TU that knows the TLS error category.
// Does this error end a body delimited by the end of the connection? (TLS: the server may close
// without close_notify, which OpenSSL reports as stream_truncated.)
bool is_eof(const boost::system::error_code& ec);

// A reused connection that fails before any response byte was probably closed by the server
// while idle (keep-alive timeout): worth one retry on a fresh socket.
bool stale_error(const boost::system::error_code& ec);

// Writes the whole request: a small request goes out in one write_some, without the composed
// async_write machinery.
template <typename Stream>
common::task<boost::system::error_code> write_all(Stream& stream, const std::string& request)
{
    std::size_t sent = 0;
    while (sent < request.size()) {
        auto [ec, n] = co_await stream.async_write_some(
            net::buffer(request.data() + sent, request.size() - sent), common::use_nothrow);
        if (ec)
            co_return ec;
        sent += n;
    }
    co_return boost::system::error_code{};
}

// Reads one response by feeding Beast's parser directly (sans-I/O put), reading from the stream
// only when the parser needs more: a response that arrives in one segment costs one read.
template <typename Stream>
common::task<read_outcome> read_response(Stream& stream, beast::flat_buffer& buffer, body_buffer& body,
                                         exchange_result& r, bool sse, common::histogram* gaps)
{
    http::response_parser<http::buffer_body> parser;
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    parser.eager(true);
    common::sse_parser events;
    clock::time_point last_event{};
    bool header_seen = false;
    std::uint64_t received = 0;
    for (;;) {
        while (buffer.size() > 0 && !parser.is_done()) {
            parser.get().body().data = body.data();
            parser.get().body().size = body.size();
            boost::system::error_code ec;
            auto used = parser.put(buffer.data(), ec);
            buffer.consume(used);
            // need_more still may have delivered body bytes: hand them on before reading again.
            bool more = ec == http::error::need_more;
            if (ec == http::error::need_buffer || more)
                ec = {};
            if (ec)
                co_return read_outcome::parse;
            if (!header_seen && parser.is_header_done()) {
                header_seen = true;
                r.status = parser.get().result_int();
                if (auto it = parser.get().find("Server-Timing"); it != parser.get().end())
                    r.server_timing_ms = parse_server_timing(it->value());
            }
            std::size_t got = header_seen ? body.size() - parser.get().body().size : 0;
            if (sse && got > 0) {
                auto now = clock::now();
                events.feed(std::string_view(body.data(), got), [&](const common::sse_event& e) {
                    if (e.data == "[DONE]")
                        return;
                    if (r.events == 0)
                        r.first_event_at = now;
                    else if (gaps)
                        gaps->record(static_cast<std::uint64_t>((now - last_event).count()));
                    last_event = now;
                    ++r.events;
                });
            }
            if (more || (used == 0 && got == 0))
                break;
        }
        if (parser.is_done())
            break;
        auto [ec, n] = co_await stream.async_read_some(buffer.prepare(16384), common::use_nothrow);
        if (ec) {
            if (header_seen && parser.need_eof() && is_eof(ec)) {
                boost::system::error_code ignored;
                parser.put_eof(ignored);
                break;
            }
            co_return received == 0 && stale_error(ec) ? read_outcome::stale : read_outcome::failed;
        }
        buffer.commit(n);
        received += n;
    }
    co_return parser.get().keep_alive() ? read_outcome::done : read_outcome::done_close;
}

// The TLS side, defined in connection_tls.cpp so that this header and connection.cpp need no
// OpenSSL: a TLS stream over a connection's socket, rebuilt for each TCP connection, and the
// session it resumes.
class tls_link;
struct tls_link_deleter
{
    void operator()(tls_link* l) const;
};
using tls_link_ptr = std::unique_ptr<tls_link, tls_link_deleter>;

tls_link_ptr make_tls_link(const tls_client& tls);
// Handshake on the freshly connected `socket` (a new SSL object, offering the last session).
// drop_reason::none on success, drop_reason::tls on failure.
common::task<drop_reason> tls_handshake(tls_link& link, net::ip::tcp::socket& socket);
common::task<boost::system::error_code> tls_write_all(tls_link& link, const std::string& request);
common::task<read_outcome> tls_read_response(tls_link& link, beast::flat_buffer& buffer, body_buffer& body,
                                             exchange_result& r, bool sse, common::histogram* gaps);

} // namespace loadgen::io
