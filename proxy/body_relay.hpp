// The response body relay loop, on any pair of streams: read a piece from the upstream (framed
// by Content-Length, chunked, or until close), write it re-framed to the client, one read and one
// write in flight, every piece written as soon as it arrives. A template so that component tests
// run the very same loop on in-memory streams with injected failures.
#pragma once

#include "common/net.hpp"
#include "proxy/head_writer.hpp"
#include "proxy/http1.hpp"
#include "proxy/send_now.hpp"
#include "proxy/session_task.hpp"

#include <algorithm>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <chrono>
#include <span>
#include <string_view>
#include <tuple>

namespace proxy {

// Writes a framed piece (head + body bytes, one gather write). Returns the operation to co_await,
// not a coroutine: no frame to allocate. `piece` must outlive the wait.
template <typename Stream>
auto write_framed(Stream& s, const framed_piece& piece)
{
    return net::async_write(s, piece.buffers(), use_task);
}

// Sends `piece` at once if the stream takes it (send_now.hpp). True when it is all written or
// the send failed (`ec` set); false leaves the unsent rest in `piece` for write_framed, the one
// write that suspends and so the only one that needs its deadline set.
template <typename Stream>
bool sent_now(Stream& s, framed_piece& piece, beast::error_code& ec)
{
    piece.consume(send_now(s, piece.buffers(), ec));
    return ec || piece.count == 0;
}

enum class body_outcome
{
    complete,
    upstream_failed,    // read error, framing error or idle timeout: the client gets no clean end
    upstream_malformed, // a framing error in the body
    client_failed,      // a write to the client failed
};

struct body_relay_result
{
    body_outcome outcome;
    bool head_sent;    // false: nothing reached the client yet (it can still get a 502)
    bool idle_timeout; // the upstream's deadline fired
};

struct body_relay_params
{
    const http1::framing& framing;
    bool chunked_out;               // re-frame as chunked for the client
    std::string_view head;          // the client's response head, sent with the first piece
    std::size_t max_chunk_ext;      // chunked upstream bodies: extension bound
    std::chrono::milliseconds idle; // max gap between two upstream reads
    std::chrono::milliseconds write_timeout;
};

// `up_buf` holds what was read from the upstream after the head (the head itself consumed).
// The deadlines are io_deadline or any object with expires_after() and fired(). `get_piece()`
// returns the relay buffer as std::span<char>, made on first use: a body that came whole with
// the head (Content-Length or until close) is written straight from `up_buf`, with no copy and
// no buffer at all.
template <typename Up, typename Down, typename UpDeadline, typename DownDeadline, typename PieceSource>
task<body_relay_result> relay_body(Up& up, beast::flat_buffer& up_buf, UpDeadline& up_deadline, Down& down,
                                   DownDeadline& down_deadline, body_relay_params p, PieceSource get_piece)
{
    const auto& f = p.framing;
    std::string_view head = p.head;
    std::uint64_t left = f.length;
    http1::chunked_decoder dec(p.max_chunk_ext);
    auto is_done = [&] {
        switch (f.kind) {
        case http1::framing::content_length:
            return left == 0;
        case http1::framing::chunked:
            return dec.done();
        case http1::framing::until_close:
            return false;
        case http1::framing::none:
            break;
        }
        return true;
    };
    bool done = is_done();
    framed_piece out;      // one for every write below: see framed_piece::assign
    beast::error_code wec; // likewise, one for every write: each local takes its own frame slot
    if (up_buf.size() == 0 && !done) {
        // Nothing of the body yet (a stream waiting for its first token): the head goes now.
        out.assign(head, nullptr, 0, false, false);
        if (!sent_now(down, out, wec)) {
            down_deadline.expires_after(p.write_timeout);
            std::tie(wec, std::ignore) = co_await write_framed(down, out);
        }
        if (wec)
            co_return body_relay_result{body_outcome::client_failed, true, false};
        head = {};
    }
    for (;;) {
        std::size_t n = 0;
        const char* data = nullptr;
        std::size_t consume_after_write = 0; // bytes written straight from up_buf
        if (!done) {
            beast::error_code ec;
            bool malformed = false;
            if (up_buf.size() > 0) {
                // Bytes read with the head, or a chunked body's raw bytes.
                const char* in = static_cast<const char*>(up_buf.data().data());
                if (f.kind == http1::framing::chunked) {
                    auto piece = get_piece();
                    auto r = dec.decode(in, up_buf.size(), piece.data(), piece.size());
                    up_buf.consume(r.consumed);
                    n = r.produced;
                    data = piece.data();
                    malformed = dec.failure() != http1::chunked_decoder::error::none;
                } else {
                    n = up_buf.size();
                    if (f.kind == http1::framing::content_length)
                        n = static_cast<std::size_t>(std::min<std::uint64_t>(n, left));
                    data = in;
                    consume_after_write = n;
                    if (f.kind == http1::framing::content_length)
                        left -= n;
                }
            } else {
                up_deadline.expires_after(p.idle);
                std::size_t got = 0;
                if (f.kind == http1::framing::chunked) {
                    std::tie(ec, got) = co_await up.async_read_some(up_buf.prepare(16 * 1024), use_task);
                    up_buf.commit(got);
                } else {
                    // Straight into the relay buffer: no copy.
                    auto piece = get_piece();
                    auto want = f.kind == http1::framing::content_length
                                    ? static_cast<std::size_t>(std::min<std::uint64_t>(left, piece.size()))
                                    : piece.size();
                    std::tie(ec, got) =
                        co_await up.async_read_some(net::buffer(piece.data(), want), use_task);
                    n = got;
                    data = piece.data();
                    if (f.kind == http1::framing::content_length)
                        left -= got;
                    if (ec == net::error::eof && f.kind == http1::framing::until_close) {
                        ec = {}; // the upstream's close is this body's end
                        done = true;
                    }
                }
            }
            if (malformed && n == 0)
                co_return body_relay_result{body_outcome::upstream_malformed, head.empty(), false};
            if (malformed) {
                // The valid bytes before the error go out; then the response is cut.
                out.assign(head, data, n, p.chunked_out, false);
                if (!sent_now(down, out, wec)) {
                    down_deadline.expires_after(p.write_timeout);
                    std::tie(wec, std::ignore) = co_await write_framed(down, out);
                }
                co_return body_relay_result{
                    wec ? body_outcome::client_failed : body_outcome::upstream_malformed, true, false};
            }
            if (ec)
                co_return body_relay_result{body_outcome::upstream_failed, head.empty(), up_deadline.fired()};
            done = done || is_done();
            if (n == 0 && !done)
                continue;
        }
        out.assign(head, data, n, p.chunked_out, done);
        if (out.count > 0) {
            if (!sent_now(down, out, wec)) {
                down_deadline.expires_after(p.write_timeout);
                std::tie(wec, std::ignore) = co_await write_framed(down, out);
            }
            if (wec)
                co_return body_relay_result{body_outcome::client_failed, true, false};
        }
        up_buf.consume(consume_after_write);
        head = {};
        if (done)
            co_return body_relay_result{body_outcome::complete, true, false};
    }
}

} // namespace proxy
