// A client connection's coroutine: read the head raw, check and split it (request_guard, http1),
// write the upstream head, read the body in bounded pieces, forward to the upstream (pooled,
// retried once when allowed), relay the response piece by piece (one read and one write in
// flight), and keep the connection alive when both sides allow it.
#include "proxy/client_session.hpp"

#include "common/http_headers.hpp"
#include "common/openai_error.hpp"
#include "proxy/errors.hpp"
#include "proxy/head_reader.hpp"
#include "proxy/header_rewrite.hpp"
#include "proxy/relay.hpp"
#include "proxy/request_guard.hpp"
#include "proxy/upstream_pool.hpp"
#include "proxy/worker.hpp"

#include <boost/asio/write.hpp>
#include <boost/beast/http/status.hpp>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

namespace proxy {
namespace {

using clock = std::chrono::steady_clock;

bool key_matches(std::string_view header, const std::string& key)
{
    constexpr std::string_view bearer = "Bearer ";
    if (header.size() != bearer.size() + key.size() ||
        !common::iequals(header.substr(0, bearer.size()), bearer))
        return false;
    unsigned char diff = 0; // constant time over the key length
    for (std::size_t i = 0; i < key.size(); ++i)
        diff |= static_cast<unsigned char>(header[bearer.size() + i] ^ key[i]);
    return diff == 0;
}

// Reads and discards what the client still sends (up to a bound) after an error reply, so that
// closing does not reset the connection before the client has read the reply.
task<void> lingering_close(net::ip::tcp::socket& client, io_deadline& deadline)
{
    beast::error_code ec;
    client.shutdown(net::ip::tcp::socket::shutdown_send, ec);
    deadline.expires_after(std::chrono::milliseconds(500));
    char sink[4096];
    for (std::size_t total = 0; total < (1u << 20) && !deadline.fired();) {
        auto [rec, n] = co_await client.async_read_some(net::buffer(sink), use_task);
        if (rec)
            break;
        total += n;
    }
    client.close(ec);
}

} // namespace

void acquire_scratch(request_state& rs)
{
    if (rs.s)
        return;
    auto& pool = rs.w.scratch_pool;
    if (pool.empty()) {
        rs.s = std::make_unique<request_scratch>();
        return;
    }
    rs.s = std::move(pool.back());
    pool.pop_back();
}

void release_scratch(request_state& rs)
{
    if (!rs.s)
        return;
    // Bounded: a burst of concurrent requests does not pin its scratch for ever, and a scratch
    // that grew for an unusually large head is not kept.
    constexpr std::size_t max_pooled = 256;
    constexpr std::size_t max_kept_bytes = 16 * 1024;
    if (rs.w.scratch_pool.size() < max_pooled && rs.s->head.capacity() <= max_kept_bytes &&
        rs.s->res_head.capacity() <= max_kept_bytes)
        rs.w.scratch_pool.push_back(std::move(rs.s));
    rs.s.reset();
}

guard_limits limits_of(const config& c)
{
    return {c.max_header_bytes, c.max_header_count, c.max_url_bytes, c.max_body_bytes, c.max_chunk_ext_bytes};
}

task<bool> send_error(request_state& rs, unsigned status, std::string_view message, std::string_view code)
{
    auto body = common::openai_error_body(status, message, code);
    auto reason = http::obsolete_reason(static_cast<http::status>(status));
    rs.client_deadline.uncap(); // a 504 for a request past its deadline still gets its write time
    acquire_scratch(rs);        // also for errors answered before any request was read (408, 431)
    auto& out = rs.s->res_head;
    out.clear();
    out += "HTTP/1.1 ";
    out += std::to_string(status);
    out += ' ';
    out.append(reason.data(), reason.size());
    out += "\r\nContent-Type: application/json\r\nX-Request-Id: ";
    if (rs.request_id.empty())
        make_request_id(rs.request_id);
    out += rs.request_id;
    out += "\r\nServer-Timing: ";
    auto proxy_ns = (clock::now() - rs.t0) - rs.upstream_wait;
    append_server_timing(out, std::chrono::duration<double, std::milli>(proxy_ns).count());
    out += "\r\nConnection: close\r\nContent-Length: ";
    out += std::to_string(body.size());
    out += "\r\n\r\n";
    if (!rs.is_head) // a response to HEAD ends with its head (RFC 9110 9.3.2), errors too
        out += body;
    rs.client_deadline.expires_after(rs.w.cfg.write_timeout);
    co_await net::async_write(rs.client, net::buffer(out), use_task);
    record(rs, status, clock::now());
    co_await lingering_close(rs.client, rs.client_deadline);
    co_return false;
}

task<bool> send_error(request_state& rs, proxy_errc e)
{
    return send_error(rs, status_of(e), message_of(e), code_of(e));
}

void record(request_state& rs, unsigned status, clock::time_point end)
{
    auto& pm = rs.w.metrics.per_provider[rs.provider];
    if (status < pm.requests_by_status.size())
        bump(pm.requests_by_status[status]);
    auto total = end - rs.t0;
    auto proxy_ns = total > rs.upstream_wait ? total - rs.upstream_wait : clock::duration::zero();
    pm.proxy_time.observe(static_cast<std::uint64_t>(std::chrono::nanoseconds(proxy_ns).count()));
    if (rs.upstream_wait.count() > 0)
        pm.upstream_time.observe(
            static_cast<std::uint64_t>(std::chrono::nanoseconds(rs.upstream_wait).count()));
    if (rs.w.cfg.access_log)
        spdlog::info("access {} {} {} {} {:.3f}ms id={}", rs.w.cfg.providers[rs.provider].name,
                     rs.access_method, rs.access_target, status,
                     std::chrono::duration<double, std::milli>(total).count(), rs.request_id);
}

namespace {

// Checks and routes one request whose head is in client_buf[0, head_len); then relays it.
// Returns true when the client connection stays open for another request.
task<bool> handle_request(request_state& rs, std::size_t head_len, const std::string& client_ip)
{
    const auto& cfg = rs.w.cfg;
    const auto& provider = cfg.providers[rs.provider];
    const auto limits = limits_of(cfg);
    std::string_view raw(static_cast<const char*>(rs.client_buf.data().data()), head_len);
    acquire_scratch(rs);
    auto& req = rs.s->req;
    auto refused = check_request(raw, limits, req);
    // Known as soon as the request line passed, so that even a refusal of a HEAD has no body.
    rs.is_head = req.method == "HEAD";
    if (refused)
        co_return co_await send_error(rs, refused->status, refused->message, refused->code);
    if (cfg.access_log) {
        rs.access_method.assign(req.method);
        // The path only: a query string may carry a key (keys never reach the logs).
        auto q = req.target.find('?');
        rs.access_target.assign(req.target.substr(0, q));
        if (q != std::string_view::npos)
            rs.access_target += "?...";
    }
    if (!method_allowed(req.method))
        co_return co_await send_error(rs, proxy_errc::method_not_allowed);
    if (req.target.size() < 4 || req.target.substr(0, 4) != "/v1/")
        co_return co_await send_error(rs, proxy_errc::not_found);
    if (!cfg.proxy_api_key.empty()) {
        const auto* auth = req.find(http1::field_id::authorization);
        if (!auth || !key_matches(auth->value, cfg.proxy_api_key))
            co_return co_await send_error(rs, proxy_errc::unauthorized);
    }

    rs.client_http11 = req.version == 11;
    rs.client_keep_alive = req.keep_alive() && rs.client_http11;
    const auto* expect = req.find(http1::field_id::expect);
    // An HTTP/1.0 client's expectation is ignored: it cannot be sent a 1xx (RFC 9110 10.1.1, 15.2).
    const bool expect_continue = expect && common::iequals(expect->value, "100-continue") && rs.client_http11;
    rs.req_framing = request_framing(req);
    write_request_head(rs.s->head, req,
                       {&provider, client_ip, cfg.trust_forwarded, !cfg.proxy_api_key.empty(),
                        rs.w.host_headers[rs.provider]},
                       rs.request_id);
    rs.client_buf.consume(head_len); // the views into the head are no longer used

    switch (rs.req_framing.kind) {
    case http1::framing::content_length:
        rs.req_body_left = rs.req_framing.length;
        rs.req_body_done = rs.req_body_left == 0;
        break;
    case http1::framing::chunked:
        rs.req_chunked.emplace(cfg.max_chunk_ext_bytes);
        rs.req_body_done = false;
        break;
    default:
        rs.req_body_done = true;
        break;
    }

    // The first body piece is read before any upstream contact: a body that fits in one piece
    // (every usual prompt), or is held whole (up to --retry-body-max, within the worker's
    // budget), can be sent again on a fresh connection when a reused one fails.
    std::size_t first_len = 0;
    if (!rs.req_body_done) {
        if (expect_continue) {
            static constexpr std::string_view cont = "HTTP/1.1 100 Continue\r\n\r\n";
            rs.client_deadline.expires_after(cfg.write_timeout);
            auto [wec, wn] = co_await net::async_write(rs.client, net::buffer(cont), use_task);
            if (wec)
                co_return false;
        }
        const bool sized = rs.req_framing.kind == http1::framing::content_length;
        if (!sized || !rs.hold_whole_body(rs.req_framing.length))
            rs.ensure_piece(sized ? std::optional<std::uint64_t>(rs.req_framing.length) : std::nullopt);
        auto rej = take_buffered_body(rs, first_len);
        if (!rej && !rs.req_body_done && first_len < rs.piece_cap)
            rej = co_await read_body_piece(rs, first_len);
        // A chunked body (no length to size for) is held by growing its buffer as it comes.
        while (!sized && !rej && !rs.req_body_done && rs.grow_held_body(first_len))
            rej = co_await read_body_piece(rs, first_len);
        if (rej) {
            if (rej->status == 0)
                co_return false;
            co_return co_await send_error(rs, rej->status, rej->message, rej->code);
        }
    }
    co_return co_await forward(rs, first_len);
}

} // namespace

task<void> run_session(worker_context& w, std::size_t provider, net::ip::tcp::socket socket)
{
    beast::error_code ec;
    socket.set_option(net::ip::tcp::no_delay(true), ec);
    auto remote = socket.remote_endpoint(ec);
    std::string client_ip = ec ? std::string("unknown") : remote.address().to_string();
    net::ip::tcp::socket client(std::move(socket));
    io_deadline deadline(client);
    // Bounded: Beast bounds neither a chunk-size line (with its extensions) nor the trailer
    // section, so a client could make it buffer without end. Room for the largest head plus the
    // head reader's 4 KiB reads, and for Beast's 64 KiB body reads; past it a read fails with
    // buffer_overflow and the client gets a 400.
    beast::flat_buffer client_buf(w.cfg.max_header_bytes + 1 + 4096 + 64 * 1024);
    auto slot = w.sessions.insert(w.sessions.end(), session_slot{&client, true});
    bump(w.metrics.open_client_connections);
    request_state rs{w, provider, client, deadline, client_buf};
    slot->request = &rs;
    for (;;) {
        slot->idle = true;
        if (w.stopping)
            break;
        deadline.uncap(); // the last request's own deadline does not bound the wait for the next
        auto head = co_await read_head(client, deadline, client_buf, w.cfg.max_header_bytes + 1,
                                       w.cfg.keepalive_timeout, w.cfg.header_timeout);
        slot->idle = false;
        rs.reset(w.cfg.providers[provider].request_timeout);
        deadline.cap_at(rs.due);
        if (head.status == head_status::closed || head.status == head_status::error)
            break;
        if (head.status == head_status::timeout) {
            if (head.any_byte)
                co_await send_error(rs, proxy_errc::request_timeout);
            break;
        }
        if (head.status == head_status::too_large) {
            co_await send_error(rs, proxy_errc::headers_too_large);
            break;
        }
        if (!co_await handle_request(rs, head.length, client_ip))
            break;
        if (client_buf.size() == 0 && client_buf.capacity() > 4096)
            client_buf.shrink_to_fit();
        rs.release_piece();
        release_scratch(rs); // an idle connection holds no head memory
    }
    rs.release_piece();
    release_scratch(rs);
    client.shutdown(net::ip::tcp::socket::shutdown_both, ec);
    client.close(ec);
    w.sessions.erase(slot);
    drop(w.metrics.open_client_connections);
    if (w.session_ended)
        w.session_ended(w);
}

void refuse_connection(net::ip::tcp::socket& socket)
{
    static const std::string reply = [] {
        auto body = common::openai_error_body(503, "proxy connection limit reached", "overloaded");
        return "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nConnection: close\r\n"
               "Server-Timing: proxy;dur=0.000\r\nX-Request-Id: " +
               make_request_id() + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    }();
    beast::error_code ec;
    socket.non_blocking(true, ec);
    socket.write_some(net::buffer(reply), ec);
    socket.shutdown(net::ip::tcp::socket::shutdown_send, ec);
    socket.close(ec);
}

} // namespace proxy
