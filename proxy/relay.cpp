// The upstream exchange and the response relay (buffer_body pieces, one read and one write in
// flight, every piece written to the client as soon as it arrives).
#include "proxy/relay.hpp"

#include "proxy/head_reader.hpp"
#include "proxy/head_writer.hpp"
#include "proxy/header_rewrite.hpp"
#include "proxy/upstream_pool.hpp"
#include "proxy/worker.hpp"

#include <boost/asio/write.hpp>
#include <boost/beast/http/read.hpp>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

namespace proxy {
namespace {

using clock = std::chrono::steady_clock;
using response_parser = http::response_parser<http::buffer_body>;

void count(request_state& rs, upstream_error_kind k)
{
    bump(rs.w.metrics.per_provider[rs.provider].upstream_errors[static_cast<std::size_t>(k)]);
}

// Arms a one-shot wait for the client socket to become readable while the upstream works.
// Readable with nothing to read means the client closed: the upstream connection is closed.
void arm_watch(request_state& rs)
{
    auto watch = rs.watch;
    if (watch->armed)
        return;
    watch->armed = true;
    watch->fired = false;
    auto gen = ++watch->generation;
    int fd = rs.client.socket().native_handle();
    rs.client.socket().async_wait(net::socket_base::wait_read, [watch, gen, fd](beast::error_code ec) {
        if (watch->generation != gen)
            return;
        watch->armed = false;
        if (ec)
            return;
        char c;
        auto n = ::recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
        if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)))
            return; // pipelined bytes or a spurious wake-up: the client is still there
        watch->fired = true;
        if (watch->upstream)
            watch->upstream->close();
    });
}

void disarm_watch(request_state& rs)
{
    rs.watch->upstream = nullptr;
    if (rs.watch->armed) {
        ++rs.watch->generation; // the cancelled handler will ignore itself
        rs.watch->armed = false;
        beast::error_code ec;
        rs.client.socket().cancel(ec);
    }
}

void reset_parser(std::optional<response_parser>& rp, bool is_head)
{
    rp.emplace();
    rp->header_limit(64 * 1024);
    rp->body_limit(boost::none);
    if (is_head)
        rp->skip(true);
}

// Writes [head] + one framed body piece with a single gather write.
template <typename Stream>
common::task<beast::error_code> write_piece(Stream& s, std::string_view head, const char* data, std::size_t n,
                                            bool chunked, bool last)
{
    framed_piece piece(head, data, n, chunked, last);
    if (piece.count == 0)
        co_return beast::error_code{};
    auto [ec, written] = co_await net::async_write(s, piece.buffers(), common::use_nothrow);
    co_return ec;
}

struct exchange_result
{
    std::optional<proxy_errc> error;
    bool retry = false;
};

// Sends the request on `up` and reads the response head into `rp`.
common::task<exchange_result> exchange(request_state& rs, request_parser& parser, upstream_connection& up,
                                       std::optional<response_parser>& rp, std::size_t first_len,
                                       bool& body_done, const body_reader& more_body,
                                       std::optional<rejection>& client_error)
{
    const auto& cfg = rs.w.cfg;
    const auto& provider = cfg.providers[rs.provider];
    const bool retry_allowed = up.reused && body_done;
    auto& req = parser.get();
    const bool chunked = req.chunked();
    serialize_head(rs.head, req.base());
    std::string_view pending_head = rs.head;
    std::size_t len = first_len;
    for (;;) {
        up.tcp().expires_after(cfg.write_timeout);
        auto ec = co_await write_piece(up, pending_head, rs.piece, len, chunked, body_done);
        if (ec) {
            if (retry_allowed && !rs.watch->fired)
                co_return exchange_result{std::nullopt, true};
            count(rs, rs.watch->fired ? upstream_error_kind::client_disconnect
                                      : upstream_error_kind::write_failed);
            co_return exchange_result{proxy_errc::upstream_unreachable};
        }
        pending_head = {};
        if (body_done)
            break;
        if (auto rej = co_await more_body(len)) {
            client_error = std::move(rej);
            co_return exchange_result{proxy_errc::bad_request};
        }
        body_done = parser.is_done();
    }
    arm_watch(rs);
    for (int interim = 0;; ++interim) {
        auto head = co_await read_head(up, up.tcp(), up.buffer, 64 * 1024, provider.first_byte_timeout,
                                       provider.first_byte_timeout);
        if (rs.watch->fired) {
            count(rs, upstream_error_kind::client_disconnect);
            co_return exchange_result{proxy_errc::upstream_unreachable};
        }
        if (head.status == head_status::timeout) {
            count(rs, upstream_error_kind::first_byte_timeout);
            co_return exchange_result{proxy_errc::upstream_timeout};
        }
        if (head.status == head_status::closed && retry_allowed)
            co_return exchange_result{std::nullopt, true};
        if (head.status != head_status::ok) {
            count(rs, head.status == head_status::too_large ? upstream_error_kind::malformed
                                                            : upstream_error_kind::closed_early);
            co_return exchange_result{head.status == head_status::too_large
                                          ? proxy_errc::upstream_malformed
                                          : proxy_errc::upstream_unreachable};
        }
        std::string_view raw(static_cast<const char*>(up.buffer.data().data()), head.length);
        beast::error_code ec;
        reset_parser(rp, rs.is_head);
        auto used = bad_response_head(raw) ? 0 : rp->put(net::buffer(raw.data(), raw.size()), ec);
        if (ec == http::error::need_more && rp->is_header_done())
            ec = {};
        if (used == 0 || ec || !rp->is_header_done()) {
            count(rs, upstream_error_kind::malformed);
            co_return exchange_result{proxy_errc::upstream_malformed};
        }
        up.buffer.consume(used);
        auto status = rp->get().result_int();
        if (status >= 200 || status == 101 || interim >= 8)
            break;
        // An interim 1xx (103 Early Hints...) is dropped: the final head follows.
    }
    co_return exchange_result{};
}

enum class relay_outcome
{
    complete,
    failed,             // the client connection ends without a clean end of message
    failed_before_head, // the upstream failed before anything was sent: the client can get a 502
};

// Relays the response body. On a failure of either side the client connection ends without a
// clean end of message (a truncated response is never completed falsely), unless nothing was
// sent to the client yet.
common::task<relay_outcome> relay_response(request_state& rs, upstream_connection& up, response_parser& rp)
{
    const auto& cfg = rs.w.cfg;
    const auto& provider = cfg.providers[rs.provider];
    auto& res = rp.get();
    const bool chunked = res.chunked();
    serialize_head(rs.head, res.base());
    std::string_view head = rs.head;
    if (up.buffer.size() == 0 && !rp.is_done()) {
        // Nothing of the body yet (a stream waiting for its first token): the head goes now.
        rs.client.expires_after(cfg.write_timeout);
        if (auto ec = co_await write_piece(rs.client, head, nullptr, 0, false, false)) {
            count(rs, upstream_error_kind::client_disconnect);
            co_return relay_outcome::failed;
        }
        head = {};
    }
    if (!rp.is_done())
        rs.ensure_piece(rp.content_length());
    for (;;) {
        std::size_t n = 0;
        if (!rp.is_done()) {
            res.body().data = rs.piece;
            res.body().size = rs.piece_cap;
            up.tcp().expires_after(provider.stream_idle_timeout);
            auto [ec, got] = co_await http::async_read_some(up, up.buffer, rp, common::use_nothrow);
            if (ec == http::error::need_buffer)
                ec = {};
            if (ec) {
                count(rs, rs.watch->fired               ? upstream_error_kind::client_disconnect
                          : ec == beast::error::timeout ? upstream_error_kind::stream_idle_timeout
                                                        : upstream_error_kind::closed_early);
                // e.g. a bad chunk size in the first bytes of the body, read with the head
                if (!head.empty() && !rs.watch->fired)
                    co_return relay_outcome::failed_before_head;
                co_return relay_outcome::failed;
            }
            n = rs.piece_cap - res.body().size;
            if (n == 0 && !rp.is_done())
                continue;
        }
        rs.client.expires_after(cfg.write_timeout);
        if (auto ec = co_await write_piece(rs.client, head, rs.piece, n, chunked, rp.is_done())) {
            count(rs, upstream_error_kind::client_disconnect);
            co_return relay_outcome::failed;
        }
        head = {};
        if (rp.is_done())
            co_return relay_outcome::complete;
    }
}

} // namespace

common::task<bool> forward(request_state& rs, request_parser& parser, std::size_t first_len,
                           body_reader more_body)
{
    auto& pool = *rs.w.pools[rs.provider];
    auto& pm = rs.w.metrics.per_provider[rs.provider];
    bool body_done = parser.is_done();
    std::optional<response_parser> rp;
    lease up;
    auto t_upstream = clock::now();
    for (int attempt = 0;; ++attempt) {
        auto acquired = co_await pool.acquire(attempt > 0);
        if (!acquired.conn) {
            rs.upstream_wait = clock::now() - t_upstream;
            co_return co_await send_error(rs, *acquired.error);
        }
        up = std::move(acquired.conn);
        rs.watch->upstream = &*up;
        std::optional<rejection> client_error;
        auto r = co_await exchange(rs, parser, *up, rp, first_len, body_done, more_body, client_error);
        if (r.retry && attempt == 0) {
            SPDLOG_DEBUG("retrying on a fresh connection after a reused one failed");
            bump(pm.retries);
            disarm_watch(rs);
            up.release(false);
            continue;
        }
        rs.upstream_wait = clock::now() - t_upstream;
        if (r.error || r.retry) {
            disarm_watch(rs);
            up.release(false);
            if (rs.watch->fired || (client_error && client_error->status == 0))
                co_return false;
            if (client_error)
                co_return co_await send_error(rs, client_error->status, client_error->message,
                                              client_error->code);
            co_return co_await send_error(rs, r.error ? *r.error : proxy_errc::upstream_unreachable);
        }
        break;
    }

    auto& res = rp->get();
    const bool upstream_keep_alive = res.keep_alive();
    const unsigned status = res.result_int();
    const bool no_body = rs.is_head || status / 100 == 1 || status == 204 || status == 304;
    auto length = rp->content_length();
    auto proxy_ns = (clock::now() - rs.t0) - rs.upstream_wait;
    rewrite_response(res.base(), rs.request_id, std::chrono::duration<double, std::milli>(proxy_ns).count());
    res.erase(http::field::content_length);
    res.erase(http::field::transfer_encoding);
    bool keep_alive = rs.client_keep_alive && !rs.w.stopping;
    if (length && (!no_body || rs.is_head))
        res.set(http::field::content_length, std::to_string(*length));
    else if (!no_body)
        res.chunked(true);
    res.version(11);
    res.keep_alive(keep_alive);

    auto outcome = co_await relay_response(rs, *up, *rp);
    bool ok = outcome == relay_outcome::complete;
    bool fired = rs.watch->fired;
    disarm_watch(rs);
    up.release(ok && !fired && upstream_keep_alive && rp->is_done() && body_done && up->buffer.size() == 0);
    if (outcome == relay_outcome::failed_before_head)
        co_return co_await send_error(rs, proxy_errc::upstream_malformed);
    record(rs, status);
    co_return ok&& keep_alive;
}

} // namespace proxy
