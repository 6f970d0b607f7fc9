// One client connection of mock-llm: read a request, dispatch it, carry out the action, repeat
// (HTTP/1.1 keep-alive, also after chunked SSE). The only translation unit of mock-llm that
// includes Beast (its request parser, fed by our own reads). Responses are written by hand from
// per-connection buffers, and the hot path (a small answer) runs inside run() itself: nested
// coroutine frames would miss Asio's two-slot frame cache and cost allocations.
#include "bench/mock/session.hpp"

#include "bench/mock/dispatch.hpp"
#include "bench/mock/request_parser.hpp"
#include "bench/mock/worker.hpp"

#include <array>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <fmt/format.h>
#include <optional>
#include <spdlog/spdlog.h>

namespace mock {
namespace {

using tcp = net::ip::tcp;
using ns = std::chrono::nanoseconds;

constexpr std::size_t header_limit = 64 * 1024;

template <class Stream>
class connection
{
public:
    connection(worker& w, Stream& stream) : w_(w), cfg_(w.shared.config), stream_(stream), timer_(w.ioc) {}

    task<void> run();

private:
    socket_t& socket() { return beast::get_lowest_layer(stream_); }

    template <class Buffers>
    task<bool> write(const Buffers& buffers)
    {
        auto [ec, n] = co_await net::async_write(stream_, buffers, use_nothrow);
        co_return !ec;
    }
    task<bool> wait(ns d);
    task<void> close_gracefully();
    task<void> hang();
    void reset();
    void close();

    task<bool> send_stream(const action& act);
    task<bool> send_blob(const action& act);
    task<bool> send_special(const action& act);

    worker& w_;
    const config& cfg_;
    Stream& stream_;
    timer_t timer_;
    beast::flat_buffer buffer_;
    request_storage in_;
    response_buffers out_;
    std::vector<std::pair<std::string_view, std::string_view>> headers_; // views into in_
};

template <class Stream>
task<bool> connection<Stream>::wait(ns d)
{
    if (d.count() <= 0)
        co_return true;
    timer_.expires_after(d);
    auto [ec] = co_await timer_.async_wait(use_nothrow);
    co_return !ec;
}

// Half-close, then read and drop what the client still sends (bounded in time and size), so
// that it sees our answer instead of a reset caused by unread bytes.
template <class Stream>
task<void> connection<Stream>::close_gracefully()
{
    beast::error_code ec;
    socket().shutdown(socket_t::shutdown_send, ec);
    timer_.expires_after(std::chrono::seconds(1));
    timer_.async_wait([&sock = socket()](beast::error_code e) {
        if (!e)
            sock.cancel();
    });
    std::array<char, 16 * 1024> scratch;
    for (std::size_t total = 0; total < 64 * 1024 * 1024;) {
        auto [rec, n] = co_await socket().async_read_some(net::buffer(scratch), use_nothrow);
        if (rec)
            break;
        total += n;
    }
    timer_.cancel();
    socket().close(ec);
}

// The "hang" failure: say nothing until the client gives up and closes.
template <class Stream>
task<void> connection<Stream>::hang()
{
    std::array<char, 4096> scratch;
    for (;;) {
        auto [ec, n] = co_await socket().async_read_some(net::buffer(scratch), use_nothrow);
        if (ec)
            break;
    }
}

// The "reset" failure: RST instead of FIN (SO_LINGER with a zero timeout).
template <class Stream>
void connection<Stream>::reset()
{
    beast::error_code ec;
    socket().set_option(net::socket_base::linger(true, 0), ec);
    socket().close(ec);
}

template <class Stream>
void connection<Stream>::close()
{
    beast::error_code ec;
    socket().shutdown(socket_t::shutdown_both, ec);
    socket().close(ec);
}

template <class Stream>
task<void> connection<Stream>::run()
{
    std::optional<request_parser> parser;
    for (;;) {
        parser.emplace(in_);
        parser->header_limit(header_limit);
        parser->body_limit(cfg_.max_body);
        // Read and parse: the header first (to answer Expect: 100-continue and to refuse an
        // announced oversized body at once), then the body.
        beast::error_code ec;
        bool header_checked = false;
        for (;;) {
            if (buffer_.size() > 0) {
                auto used = parser->put(buffer_.data(), ec);
                buffer_.consume(used);
                if (!ec && parser->is_done())
                    break;
                if (!ec && parser->is_header_done() && !header_checked) {
                    header_checked = true;
                    if (parser->content_length() && *parser->content_length() > cfg_.max_body) {
                        ec = http::error::body_limit;
                        break;
                    }
                    bool expect_continue = false;
                    for (const auto& [name, value] : in_.fields)
                        expect_continue =
                            expect_continue || (beast::iequals(in_.view(name), "expect") &&
                                                beast::iequals(in_.view(value), "100-continue"));
                    if (expect_continue) {
                        static constexpr std::string_view cont = "HTTP/1.1 100 Continue\r\n\r\n";
                        if (!co_await write(net::buffer(cont.data(), cont.size())))
                            co_return;
                    }
                    parser->eager(true);
                    continue;
                }
                if (ec && ec != http::error::need_more)
                    break;
                ec = {};
            }
            auto [rec, n] = co_await stream_.async_read_some(buffer_.prepare(16 * 1024), use_nothrow);
            if (rec)
                co_return; // the client went away (between requests or in the middle of one)
            buffer_.commit(n);
        }
        if (ec) {
            unsigned status = ec == http::error::body_limit     ? 413
                              : ec == http::error::header_limit ? 431
                                                                : 400;
            auto msg = status == 413
                           ? fmt::format("Request body too large: the limit is {} bytes.", cfg_.max_body)
                           : fmt::format("Malformed HTTP request: {}.", ec.message());
            prepare_response(w_, out_, route::bad_request, status, error_body(status, msg), false);
            std::array<net::const_buffer, 2> bufs{net::buffer(out_.head), net::buffer(out_.body)};
            co_await write(bufs);
            co_await close_gracefully();
            co_return;
        }

        headers_.clear();
        for (const auto& [name, value] : in_.fields)
            headers_.emplace_back(in_.view(name), in_.view(value));
        request_view view{in_.view(in_.method), in_.view(in_.target), in_.body, headers_,
                          parser->keep_alive(), in_.version == 11};
        auto act = dispatch(w_, view, out_);
        if (act.what != action::kind::respond) {
            if (!co_await send_special(act))
                co_return;
            continue;
        }
        // Hot path, inline: optional delay, one write.
        if (act.delay.count() > 0) {
            timer_.expires_after(act.delay);
            auto [tec] = co_await timer_.async_wait(use_nothrow);
            if (tec)
                co_return;
        }
        std::array<net::const_buffer, 2> bufs{net::buffer(out_.head), net::buffer(out_.body)};
        auto [wec, wn] = co_await net::async_write(stream_, bufs, use_nothrow);
        if (wec)
            co_return;
        if (!act.keep_alive) {
            close();
            co_return;
        }
    }
}

// Everything but a plain answer; returns false when the connection is done.
template <class Stream>
task<bool> connection<Stream>::send_special(const action& act)
{
    switch (act.what) {
    case action::kind::reset:
        reset();
        co_return false;
    case action::kind::hang:
        co_await hang();
        co_return false;
    case action::kind::stream:
        co_return co_await send_stream(act);
    case action::kind::blob:
        co_return co_await send_blob(act);
    case action::kind::cut: {
        // Announce the whole length, send half of the body, close.
        if (!co_await wait(act.delay))
            co_return false;
        std::array<net::const_buffer, 2> bufs{net::buffer(out_.head),
                                              net::buffer(out_.body.data(), out_.body.size() / 2)};
        co_await write(bufs);
        close();
        co_return false;
    }
    default:
        co_return false;
    }
}

template <class Stream>
task<bool> connection<Stream>::send_stream(const action& act)
{
    const answer& a = act.a;
    if (!co_await wait(act.delay))
        co_return false;
    const std::uint32_t cut_after =
        act.fail == failure_kind::cut ? std::max<std::uint32_t>(1, a.chunks / 2) : UINT32_MAX;
    const std::uint32_t malformed_at = act.fail == failure_kind::malformed ? a.chunks / 2 : UINT32_MAX;
    // Headers, the opening event and the first content chunk leave together at TTFT.
    put_head(out_.head, 200, "text/event-stream; charset=utf-8", unknown_length(act.http11), act.keep_alive,
             "Cache-Control: no-cache\r\n");
    // HTTP/1.1: one chunk per event, and the last chunk; HTTP/1.0: the events as they are.
    auto frame = [this, &act](bool last) {
        if (!act.http11) {
            out_.head += out_.body;
            return;
        }
        put_chunk(out_.head, out_.body);
        if (last)
            out_.head += "0\r\n\r\n";
    };
    for (std::uint32_t k = 0; k < a.chunks; ++k) {
        if (k == cut_after)
            break;
        if (k > 0) {
            if (!co_await wait(act.gap))
                co_return false;
            out_.head.clear();
        }
        out_.body.clear();
        if (k == 0)
            render_stream_start(out_.body, a);
        if (k == malformed_at)
            render_stream_malformed(out_.body, a);
        else
            render_stream_delta(out_.body, a, k);
        if (k + 1 == a.chunks && cut_after == UINT32_MAX) { // the last chunk carries the end too
            render_stream_end(out_.body, a);
            frame(true);
            if (!co_await write(net::buffer(out_.head)))
                co_return false;
            if (!act.keep_alive)
                close();
            co_return act.keep_alive;
        }
        frame(false);
        if (!co_await write(net::buffer(out_.head)))
            co_return false;
    }
    // Only the "cut" failure gets here: stop mid-stream without the terminating chunk.
    close();
    co_return false;
}

template <class Stream>
task<bool> connection<Stream>::send_blob(const action& act)
{
    if (!co_await write(net::buffer(out_.head)))
        co_return false;
    const std::uint64_t total = act.blob_bytes;
    const bool chunked = act.blob_chunked && act.http11; // HTTP/1.0: the bytes, then the close
    for (std::uint64_t off = 0; off < total;) {
        if (off > 0 && !co_await wait(act.gap))
            co_return false;
        auto piece =
            blob_piece(off, static_cast<std::size_t>(std::min<std::uint64_t>(blob_piece_max, total - off)));
        off += piece.size();
        out_.body.clear();
        if (chunked)
            fmt::format_to(std::back_inserter(out_.body), "{:x}\r\n", piece.size());
        std::string_view tail = chunked ? (off == total ? "\r\n0\r\n\r\n" : "\r\n") : "";
        std::array<net::const_buffer, 3> bufs{net::buffer(out_.body), net::buffer(piece.data(), piece.size()),
                                              net::buffer(tail.data(), tail.size())};
        if (!co_await write(bufs))
            co_return false;
    }
    if (chunked && total == 0 && !co_await write(net::buffer(std::string_view("0\r\n\r\n").data(), 5)))
        co_return false;
    if (!act.keep_alive)
        close();
    co_return act.keep_alive;
}

// Counts the connection for its whole life, whatever way the coroutine ends.
struct connection_count
{
    explicit connection_count(worker_stats& s) : stats(s) { stats.connection_opened(); }
    ~connection_count() { stats.connection_closed(); }
    connection_count(const connection_count&) = delete;
    connection_count& operator=(const connection_count&) = delete;
    worker_stats& stats;
};

} // namespace

task<void> run_session(worker& w, socket_t socket)
{
    connection_count counted(w.stats);
    connection<socket_t> c(w, socket);
    co_await c.run();
}

task<void> run_tls_session(worker& w, socket_t socket)
{
    connection_count counted(w.stats);
    net::ssl::stream<socket_t> stream(std::move(socket), *w.shared.tls);
    auto [ec] = co_await stream.async_handshake(net::ssl::stream_base::server, use_nothrow);
    if (ec) {
        SPDLOG_DEBUG("TLS handshake failed: {}", ec.message());
        co_return;
    }
    connection<net::ssl::stream<socket_t>> c(w, stream);
    co_await c.run();
}

} // namespace mock
