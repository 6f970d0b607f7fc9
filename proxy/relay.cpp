// The upstream exchange and the response relay: the request head and body pieces go upstream, the
// response head is checked and rewritten, and the body is relayed piece by piece (one read and
// one write in flight, every piece written to the client as soon as it arrives). Framing is done
// by hand (http1.hpp, head_writer.hpp): no Beast parser or serializer on this path.
#include "proxy/relay.hpp"

#include "common/http_headers.hpp"
#include "proxy/body_relay.hpp"
#include "proxy/head_reader.hpp"
#include "proxy/header_rewrite.hpp"
#include "proxy/upstream_pool.hpp"
#include "proxy/worker.hpp"

#include <boost/asio/write.hpp>
#include <cstring>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

namespace proxy {
namespace {

using clock = std::chrono::steady_clock;

void count(request_state& rs, upstream_error_kind k)
{
    bump(rs.w.metrics.per_provider[rs.provider].upstream_errors[static_cast<std::size_t>(k)]);
}

void disarm_watch(request_state& rs)
{
    rs.watch->upstream = nullptr;
    if (rs.watch->armed) {
        ++rs.watch->generation; // the cancelled handler will ignore itself
        rs.watch->armed = false;
        beast::error_code ec;
        rs.client.cancel(ec);
    }
}

// Marks the request's upstream phase (the worker's watch tick looks at it) for a scope.
struct upstream_phase
{
    explicit upstream_phase(request_state& r, clock::time_point since) : rs(r)
    {
        rs.in_upstream = true;
        rs.upstream_since = since;
        note_upstream_start(rs.w);
    }
    ~upstream_phase()
    {
        rs.in_upstream = false;
        note_upstream_end(rs.w);
    }
    upstream_phase(const upstream_phase&) = delete;
    upstream_phase& operator=(const upstream_phase&) = delete;
    request_state& rs;
};

} // namespace

// A one-shot wait for the client socket to become readable while the upstream works. Readable
// with nothing to read means the client closed: the upstream connection is closed.
void arm_client_watch(request_state& rs)
{
    auto watch = rs.watch;
    if (watch->armed)
        return;
    watch->armed = true;
    watch->fired = false;
    auto gen = ++watch->generation;
    int fd = rs.client.native_handle();
    rs.client.async_wait(net::socket_base::wait_read, [watch, gen, fd](beast::error_code ec) {
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

namespace {

struct exchange_result
{
    std::optional<proxy_errc> error;
    bool retry = false;
    std::size_t head_len = 0; // the response head, still at the front of up.buffer
    http1::framing framing{}; // of the response body
};

// Sends the request on `up` and reads the response head into rs.s->res.
task<exchange_result> exchange(request_state& rs, upstream_connection& up, std::size_t first_len,
                               bool& body_done, std::optional<rejection>& client_error)
{
    const auto& cfg = rs.w.cfg;
    const auto& provider = cfg.providers[rs.provider];
    const bool retry_allowed = up.reused && body_done;
    const bool chunked = rs.req_framing.kind == http1::framing::chunked;
    std::string_view pending_head = rs.s->head;
    std::size_t len = first_len;
    for (;;) {
        framed_piece piece(pending_head, rs.piece, len, chunked, body_done);
        beast::error_code ec;
        if (!sent_now(up, piece, ec)) {
            up.deadline().expires_after(cfg.write_timeout);
            std::tie(ec, std::ignore) = co_await write_framed(up, piece);
        }
        if (ec) {
            const bool out_of_time = up.deadline().fired() && rs.past_due();
            if (retry_allowed && !rs.watch->fired && !out_of_time)
                co_return exchange_result{std::nullopt, true};
            count(rs, rs.watch->fired ? upstream_error_kind::client_disconnect
                      : out_of_time   ? upstream_error_kind::request_timeout
                                      : upstream_error_kind::write_failed);
            co_return exchange_result{out_of_time ? proxy_errc::upstream_timeout
                                                  : proxy_errc::upstream_unreachable};
        }
        pending_head = {};
        if (body_done)
            break;
        // The rest is streamed: what was held cannot be sent twice any more, and the next
        // pieces need no more than an ordinary piece.
        if (rs.held_for_retry > 0) {
            rs.release_piece();
            rs.ensure_piece();
        }
        len = 0;
        auto rej = take_buffered_body(rs, len);
        if (!rej && !rs.req_body_done && len < rs.piece_cap)
            rej = co_await read_body_piece(rs, len);
        if (rej) {
            client_error = std::move(rej);
            co_return exchange_result{proxy_errc::bad_request};
        }
        body_done = rs.req_body_done;
    }
    for (int interim = 0;; ++interim) {
        auto head = co_await read_head(up, up.deadline(), up.buffer, 64 * 1024, provider.first_byte_timeout,
                                       provider.first_byte_timeout);
        if (rs.watch->fired) {
            count(rs, upstream_error_kind::client_disconnect);
            co_return exchange_result{proxy_errc::upstream_unreachable};
        }
        if (head.status == head_status::timeout) {
            count(rs, rs.past_due() ? upstream_error_kind::request_timeout
                                    : upstream_error_kind::first_byte_timeout);
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
        std::optional<http1::framing> framing;
        if (http1::parse_response(raw, rs.s->res))
            framing = http1::response_framing(rs.s->res, rs.is_head);
        if (!framing) {
            count(rs, upstream_error_kind::malformed);
            co_return exchange_result{proxy_errc::upstream_malformed};
        }
        auto status = rs.s->res.status;
        if (status >= 200)
            co_return exchange_result{std::nullopt, false, head.length, *framing};
        // 101 without an Upgrade request (the proxy strips Upgrade), or an upstream that sends
        // interim responses without end, is broken: 502, and the connection is not reused.
        if (status == 101 || interim >= 8) {
            count(rs, upstream_error_kind::malformed);
            co_return exchange_result{proxy_errc::upstream_malformed};
        }
        // An interim 1xx (103 Early Hints...) is dropped: the final head follows.
        up.buffer.consume(head.length);
    }
}

enum class relay_outcome
{
    complete,
    failed,             // the client connection ends without a clean end of message
    failed_before_head, // the upstream failed before anything was sent: the client can get a 502
};

// What a body relay's end means for the client connection, counted in the metrics.
relay_outcome outcome_of(request_state& rs, const body_relay_result& r)
{
    switch (r.outcome) {
    case body_outcome::complete:
        return relay_outcome::complete;
    case body_outcome::client_failed:
        count(rs, rs.client_deadline.fired() && rs.past_due() ? upstream_error_kind::request_timeout
                                                              : upstream_error_kind::client_disconnect);
        return relay_outcome::failed;
    case body_outcome::upstream_failed:
    case body_outcome::upstream_malformed:
        count(rs, rs.watch->fired                                 ? upstream_error_kind::client_disconnect
                  : r.idle_timeout && rs.past_due()               ? upstream_error_kind::request_timeout
                  : r.idle_timeout                                ? upstream_error_kind::stream_idle_timeout
                  : r.outcome == body_outcome::upstream_malformed ? upstream_error_kind::malformed
                                                                  : upstream_error_kind::closed_early);
        // e.g. a bad chunk size in the first bytes of the body, read with the head
        if (!r.head_sent && !rs.watch->fired)
            return relay_outcome::failed_before_head;
        return relay_outcome::failed;
    }
    return relay_outcome::failed;
}

} // namespace

bool request_state::hold_whole_body(std::uint64_t length)
{
    if (length <= piece_bytes || length > w.cfg.retry_body_max || length > w.retry_body_free)
        return false;
    install_held(static_cast<std::size_t>(length), 0, length);
    return true;
}

bool request_state::grow_held_body(std::size_t filled)
{
    const std::uint64_t want = std::min<std::uint64_t>(std::uint64_t{piece_cap} * 2, w.cfg.retry_body_max);
    if (want <= piece_cap)
        return false;
    // The budget holds the whole buffer: on the first growth the 64 KiB piece joins it.
    const std::uint64_t more = want - held_for_retry;
    if (more > w.retry_body_free)
        return false;
    install_held(static_cast<std::size_t>(want), filled, more);
    return true;
}

void request_state::install_held(std::size_t size, std::size_t keep, std::uint64_t from_budget)
{
    std::unique_ptr<char[]> held(new char[size]);
    if (keep > 0)
        std::memcpy(held.get(), piece, keep);
    piece_storage = std::move(held);
    storage_cap = size;
    piece = piece_storage.get();
    piece_cap = size;
    held_for_retry = size;
    w.retry_body_free -= from_budget;
    bump(w.metrics.retry_body_bytes, from_budget);
}

void request_state::release_piece()
{
    piece_storage.reset();
    piece = nullptr;
    storage_cap = 0;
    if (held_for_retry > 0) {
        w.retry_body_free += held_for_retry;
        drop(w.metrics.retry_body_bytes, held_for_retry);
        held_for_retry = 0;
    }
}

std::optional<rejection> take_buffered_body(request_state& rs, std::size_t& filled)
{
    const auto& cfg = rs.w.cfg;
    while (!rs.req_body_done && filled < rs.piece_cap && rs.client_buf.size() > 0) {
        // Bytes that arrived with the head or after a chunk-size line.
        const char* in = static_cast<const char*>(rs.client_buf.data().data());
        std::size_t avail = rs.client_buf.size();
        std::size_t got = 0;
        if (rs.req_framing.kind == http1::framing::chunked) {
            auto r = rs.req_chunked->decode(in, avail, rs.piece + filled, rs.piece_cap - filled);
            rs.client_buf.consume(r.consumed);
            got = r.produced;
            if (rs.req_chunked->failure() != http1::chunked_decoder::error::none)
                return chunked_rejection(rs.req_chunked->failure(), limits_of(cfg));
            rs.req_body_done = rs.req_chunked->done();
        } else {
            got = static_cast<std::size_t>(
                std::min<std::uint64_t>({avail, rs.piece_cap - filled, rs.req_body_left}));
            std::memcpy(rs.piece + filled, in, got);
            rs.client_buf.consume(got);
            rs.req_body_left -= got;
            rs.req_body_done = rs.req_body_left == 0;
        }
        filled += got;
        rs.body_received += got;
        if (rs.body_received > cfg.max_body_bytes)
            return rejection{413, "request body over the limit", "payload_too_large"};
    }
    return std::nullopt;
}

task<std::optional<rejection>> read_body_piece(request_state& rs, std::size_t& filled)
{
    const auto& cfg = rs.w.cfg;
    const bool chunked = rs.req_framing.kind == http1::framing::chunked;
    auto too_slow = [] { return rejection{408, "request body not received in time", "request_timeout"}; };
    while (!rs.req_body_done && filled < rs.piece_cap) {
        if (rs.client_buf.size() > 0) {
            if (auto rej = take_buffered_body(rs, filled))
                co_return rej;
            continue;
        }
        // The whole body has a budget that grows with what has arrived (a minimum rate).
        // The budget starts when the head has come (t0).
        auto due =
            rs.t0 + cfg.body_timeout + std::chrono::milliseconds(rs.body_received * 1000 / cfg.body_min_rate);
        if (clock::now() >= std::min(due, rs.due))
            co_return too_slow();
        rs.client_deadline.expires_at(due);
        beast::error_code ec;
        std::size_t n = 0;
        if (chunked) {
            std::tie(ec, n) = co_await rs.client.async_read_some(rs.client_buf.prepare(16 * 1024), use_task);
            rs.client_buf.commit(n);
        } else {
            auto want =
                static_cast<std::size_t>(std::min<std::uint64_t>(rs.piece_cap - filled, rs.req_body_left));
            std::tie(ec, n) =
                co_await rs.client.async_read_some(net::buffer(rs.piece + filled, want), use_task);
            filled += n;
            rs.body_received += n;
            rs.req_body_left -= n;
            rs.req_body_done = rs.req_body_left == 0;
        }
        if (!ec)
            continue;
        if (rs.client_deadline.fired())
            co_return too_slow();
        if (ec == net::error::eof || ec == net::error::connection_reset)
            co_return rejection{0, "client closed the connection", "client_gone"};
        co_return rejection{400, "malformed request body: " + ec.message(), "bad_request"};
    }
    co_return std::nullopt;
}

task<bool> forward(request_state& rs, std::size_t first_len)
{
    auto& pool = *rs.w.pools[rs.provider];
    auto& pm = rs.w.metrics.per_provider[rs.provider];
    bool body_done = rs.req_body_done;
    lease up;
    exchange_result r;
    auto t_upstream = clock::now();
    upstream_phase phase(rs, t_upstream);
    for (int attempt = 0;; ++attempt) {
        // (No co_await inside a conditional expression: GCC 12 destroys its temporaries twice.)
        acquire_result acquired;
        // A body not yet whole in the proxy (streamed past the relay buffer) cannot be sent twice.
        if (auto idle = pool.acquire_idle(t_upstream, attempt > 0, body_done))
            acquired = std::move(*idle);
        else
            acquired = co_await pool.connect(rs.due);
        if (!acquired.conn) {
            rs.upstream_wait = clock::now() - t_upstream;
            co_return co_await send_error(rs, *acquired.error);
        }
        up = std::move(acquired.conn);
        up->deadline().cap_at(rs.due); // lifted when the pool takes the connection back
        rs.watch->upstream = &*up;
        std::optional<rejection> client_error;
        r = co_await exchange(rs, *up, first_len, body_done, client_error);
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
    rs.give_back_held(); // past the response head, nothing is sent again

    const auto& res = rs.s->res;
    const bool upstream_keep_alive = res.keep_alive() && r.framing.kind != http1::framing::until_close;
    const unsigned status = res.status;
    response_framing out;
    if (rs.is_head) {
        if (const auto* cl = res.find(http1::field_id::content_length))
            out.content_length = common::parse_content_length(cl->value);
    } else if (r.framing.kind == http1::framing::content_length) {
        out.content_length = r.framing.length;
    } else if (r.framing.kind != http1::framing::none) {
        // A body of unknown length: chunked for HTTP/1.1, and for an HTTP/1.0 client (which
        // cannot be sent Transfer-Encoding, RFC 9112 6.1) the bytes as they come, then close.
        out.chunked = rs.client_http11;
    }
    bool keep_alive = rs.client_keep_alive && !rs.w.stopping;
    auto proxy_ns = (clock::now() - rs.t0) - rs.upstream_wait;
    write_response_head(rs.s->res_head, res, rs.request_id,
                        std::chrono::duration<double, std::milli>(proxy_ns).count(), out, keep_alive);
    up->buffer.consume(r.head_len); // the views into it are no longer needed

    const auto& f = r.framing;
    const auto& provider = rs.w.cfg.providers[rs.provider];
    // The relay buffer, made only when the body does not come whole with the head.
    auto piece = [&rs, &f] {
        rs.ensure_piece(f.kind == http1::framing::content_length ? std::optional<std::uint64_t>(f.length)
                                                                 : std::nullopt);
        return std::span<char>(rs.piece, rs.piece_cap);
    };
    auto relayed =
        co_await relay_body(*up, up->buffer, up->deadline(), rs.client, rs.client_deadline,
                            body_relay_params{f, out.chunked, rs.s->res_head, rs.w.cfg.max_chunk_ext_bytes,
                                              provider.stream_idle_timeout, rs.w.cfg.write_timeout},
                            piece);
    auto outcome = outcome_of(rs, relayed);
    bool ok = outcome == relay_outcome::complete;
    bool fired = rs.watch->fired;
    disarm_watch(rs);
    auto end = clock::now();
    up.release(ok && !fired && upstream_keep_alive && body_done && up->buffer.size() == 0, end);
    if (outcome == relay_outcome::failed_before_head)
        co_return co_await send_error(rs, proxy_errc::upstream_malformed);
    record(rs, status, end);
    co_return ok&& keep_alive;
}

} // namespace proxy
