// The request/response loop of bench's client connection, as templates on the stream type. Private
// to connection.cpp (plain TCP socket) and connection_tls.cpp (TLS stream): each TU instantiates
// it for one stream, so the plain path compiles exactly as it would without TLS (no dispatch per
// read or write, and the TLS instantiation cannot change what the compiler inlines for plain).
#pragma once

#include "bench/loadgen/connection.hpp"
#include "bench/loadgen/response_parser.hpp"
#include "common/sse.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstring>
#include <memory>
#include <optional>
#include <tuple>
#include <type_traits>

namespace loadgen::io {

// The connection's read buffer: bytes read and not yet used by the parser stay at the front
// (an incomplete head or chunk line, or the start of the next response); body bytes are handed
// to the caller as views into it and then dropped.
class read_buffer
{
public:
    static constexpr std::size_t read_size = 16384;

    std::string_view data() const { return {buf_.get() + begin_, end_ - begin_}; }
    std::size_t size() const { return end_ - begin_; }
    void consume(std::size_t n)
    {
        begin_ += n;
        if (begin_ == end_)
            begin_ = end_ = 0;
    }
    void clear() { begin_ = end_ = 0; }
    // Room for one read of up to read_size bytes after the kept ones (moved to the front first).
    net::mutable_buffer prepare()
    {
        if (begin_ > 0 && cap_ - end_ < read_size) {
            std::memmove(buf_.get(), buf_.get() + begin_, end_ - begin_);
            end_ -= begin_;
            begin_ = 0;
        }
        if (cap_ - end_ < read_size) { // only a long head or chunk line gets here
            auto cap = cap_ == 0 ? read_size : cap_ * 2;
            auto bigger = std::make_unique_for_overwrite<char[]>(cap);
            if (end_ > 0)
                std::memcpy(bigger.get(), buf_.get(), end_);
            buf_ = std::move(bigger);
            cap_ = cap;
        }
        return net::buffer(buf_.get() + end_, read_size);
    }
    void commit(std::size_t n) { end_ += n; }

private:
    std::unique_ptr<char[]> buf_;
    std::size_t cap_ = 0, begin_ = 0, end_ = 0;
};

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

// Writes the whole request (from byte `sent` on): a small request goes out in one write_some,
// without the composed async_write machinery.
template <typename Stream>
common::task<boost::system::error_code> write_all(Stream& stream, const std::string& request,
                                                  std::size_t sent = 0)
{
    while (sent < request.size()) {
        auto [ec, n] = co_await stream.async_write_some(
            net::buffer(request.data() + sent, request.size() - sent), common::use_nothrow);
        if (ec)
            co_return ec;
        sent += n;
    }
    co_return boost::system::error_code{};
}

// Reads one response through bench's own parser (response_parser.hpp), reading from the stream
// only when the parser needs more: a response that arrives in one segment costs one read.
template <typename Stream>
common::task<read_outcome> read_response(Stream& stream, read_buffer& buffer, exchange_result& r, bool sse,
                                         common::histogram* gaps)
{
    response_parser parser;
    std::optional<common::sse_parser> events; // streams only: built on first use
    clock::time_point last_event{};
    bool header_seen = false;
    std::uint64_t received = 0;
    for (;;) {
        while (buffer.size() > 0 && !parser.done()) {
            std::string_view body;
            auto used = parser.put(buffer.data(), body);
            if (parser.failed())
                co_return read_outcome::parse;
            if (!header_seen && parser.header_done()) {
                header_seen = true;
                r.status = parser.status();
                r.server_timing_ms = parser.server_timing_ms();
            }
            if (sse && !body.empty()) {
                auto now = clock::now();
                if (!events)
                    events.emplace();
                events->feed(body, [&](const common::sse_event& e) {
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
            // The body view points into the buffer: consumed only once it has been handed on.
            buffer.consume(used);
            if (used == 0)
                break; // needs more bytes
        }
        if (parser.done())
            break;
        boost::system::error_code ec;
        std::size_t n = 0;
        if constexpr (std::is_same_v<Stream, net::ip::tcp::socket>) {
            // Wait until the socket is readable, then read without blocking (the socket is
            // non-blocking), as wrk does: Asio's async_read_some would first try a read that, just
            // after the request went out, nearly always fails with EAGAIN (one wasted syscall per
            // response). Asio re-arms the descriptor for the wait, so readiness is never missed.
            for (;;) {
                auto [wec] = co_await stream.async_wait(net::socket_base::wait_read, common::use_nothrow);
                if (wec) {
                    ec = wec;
                    break;
                }
                n = stream.read_some(buffer.prepare(), ec);
                if (ec != net::error::would_block && ec != net::error::try_again)
                    break;
            }
        } else {
            std::tie(ec, n) = co_await stream.async_read_some(buffer.prepare(), common::use_nothrow);
        }
        if (ec) {
            if (header_seen && parser.need_eof() && is_eof(ec) && parser.put_eof())
                break;
            co_return received == 0 && stale_error(ec) ? read_outcome::stale : read_outcome::failed;
        }
        buffer.commit(n);
        received += n;
    }
    co_return parser.keep_alive() ? read_outcome::done : read_outcome::done_close;
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
common::task<read_outcome> tls_read_response(tls_link& link, read_buffer& buffer, exchange_result& r,
                                             bool sse, common::histogram* gaps);

} // namespace loadgen::io
