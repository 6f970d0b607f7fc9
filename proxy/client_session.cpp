// A client connection's coroutine: read the head raw, check it, read the body in bounded
// pieces, forward to the upstream (pooled, retried once when allowed), relay the response piece
// by piece (one read and one write in flight), and keep the connection alive when both sides
// allow it.
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
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

namespace proxy {
namespace {

using clock = std::chrono::steady_clock;

guard_limits limits_of(const config& c)
{
    return {c.max_header_bytes, c.max_header_count, c.max_url_bytes, c.max_body_bytes, c.max_chunk_ext_bytes};
}

std::string_view sv(beast::string_view s)
{
    return {s.data(), s.size()};
}

// Beast's parser appends a chunked body's trailer fields to the head's fields; the proxy drops
// trailers (issue 3), so cut the fields back to those of the head before it is forwarded.
void drop_trailers(http::fields& fields, std::size_t head_fields)
{
    auto it = fields.begin();
    for (std::size_t i = 0; i < head_fields && it != fields.end(); ++i)
        ++it;
    while (it != fields.end())
        it = fields.erase(it);
}

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
common::task<void> lingering_close(beast::tcp_stream& client)
{
    beast::error_code ec;
    client.socket().shutdown(net::ip::tcp::socket::shutdown_send, ec);
    client.expires_after(std::chrono::milliseconds(500));
    char sink[4096];
    for (std::size_t total = 0; total < (1u << 20);) {
        auto [rec, n] = co_await client.async_read_some(net::buffer(sink), common::use_nothrow);
        if (rec)
            break;
        total += n;
    }
    client.close();
}

} // namespace

common::task<bool> send_error(request_state& rs, unsigned status, std::string_view message,
                              std::string_view code)
{
    http::response<http::string_body> res{static_cast<http::status>(status), 11};
    res.set(http::field::content_type, "application/json");
    res.set("X-Request-Id", rs.request_id.empty() ? make_request_id() : rs.request_id);
    auto proxy_ns = (clock::now() - rs.t0) - rs.upstream_wait;
    res.set("Server-Timing",
            server_timing_value(std::chrono::duration<double, std::milli>(proxy_ns).count()));
    res.keep_alive(false);
    res.body() = common::openai_error_body(status, message, code);
    res.prepare_payload();
    rs.client.expires_after(rs.w.cfg.write_timeout);
    co_await http::async_write(rs.client, res, common::use_nothrow);
    record(rs, status);
    co_await lingering_close(rs.client);
    co_return false;
}

common::task<bool> send_error(request_state& rs, proxy_errc e)
{
    return send_error(rs, status_of(e), message_of(e), code_of(e));
}

void record(request_state& rs, unsigned status)
{
    auto& pm = rs.w.metrics.per_provider[rs.provider];
    if (status < pm.requests_by_status.size())
        bump(pm.requests_by_status[status]);
    auto total = clock::now() - rs.t0;
    auto proxy_ns = total > rs.upstream_wait ? total - rs.upstream_wait : clock::duration::zero();
    pm.proxy_time.observe(static_cast<std::uint64_t>(std::chrono::nanoseconds(proxy_ns).count()));
    if (rs.upstream_wait.count() > 0)
        pm.upstream_time.observe(
            static_cast<std::uint64_t>(std::chrono::nanoseconds(rs.upstream_wait).count()));
    if (rs.w.cfg.access_log)
        spdlog::info("access {} {} {} {} {:.3f}ms id={}", rs.w.cfg.providers[rs.provider].name, rs.method,
                     rs.target, status, std::chrono::duration<double, std::milli>(total).count(),
                     rs.request_id);
}

namespace {

// Reads request body bytes into piece[0, cap) until it is full or the body is complete.
// Returns an error to answer with, or nothing.
common::task<std::optional<rejection>> read_body_piece(request_state& rs, request_parser& parser,
                                                       std::size_t& filled,
                                                       const std::optional<rejection>& chunk_rej)
{
    filled = 0;
    const auto& cfg = rs.w.cfg;
    cancel_deadline deadline(rs.client); // the socket stays open for a 408
    while (!parser.is_done() && filled < rs.piece_cap) {
        parser.get().body().data = rs.piece + filled;
        parser.get().body().size = rs.piece_cap - filled;
        auto budget =
            cfg.body_timeout + std::chrono::milliseconds(rs.body_received * 1000 / cfg.body_min_rate);
        if (deadline.fired()) // it may fire just as a read completes
            co_return rejection{408, "request body not received in time", "request_timeout"};
        deadline.expires_at(rs.body_start + budget);
        auto [ec, n] = co_await http::async_read_some(rs.client, rs.client_buf, parser, common::use_nothrow);
        std::size_t got = (rs.piece_cap - filled) - parser.get().body().size;
        filled += got;
        rs.body_received += got;
        if (ec == http::error::need_buffer)
            ec = {};
        if (rs.body_received > cfg.max_body_bytes)
            co_return rejection{413, "request body over the limit", "payload_too_large"};
        if (!ec)
            continue;
        if (chunk_rej)
            co_return chunk_rej;
        if (deadline.fired())
            co_return rejection{408, "request body not received in time", "request_timeout"};
        if (ec == http::error::end_of_stream || ec == http::error::partial_message || ec == net::error::eof ||
            ec == net::error::connection_reset)
            co_return rejection{0, "client closed the connection", "client_gone"};
        co_return rejection{400, "malformed request body: " + ec.message(), "bad_request"};
    }
    co_return std::nullopt;
}

// Checks and routes one request whose head is in client_buf[0, head_len); then relays it.
// Returns true when the client connection stays open for another request.
common::task<bool> handle_request(request_state& rs, std::size_t head_len, const std::string& client_ip)
{
    const auto& cfg = rs.w.cfg;
    const auto& provider = cfg.providers[rs.provider];
    const auto limits = limits_of(cfg);
    std::string_view raw(static_cast<const char*>(rs.client_buf.data().data()), head_len);
    if (auto rej = scan_raw_head(raw, limits))
        co_return co_await send_error(rs, rej->status, rej->message, rej->code);

    request_parser parser;
    parser.header_limit(
        static_cast<std::uint32_t>(std::min<std::size_t>(cfg.max_header_bytes + 1, UINT32_MAX)));
    parser.body_limit(boost::none); // the body limit is enforced while reading (413, not 400)
    beast::error_code ec;
    auto used = parser.put(net::buffer(rs.client_buf.data().data(), head_len), ec);
    if (ec == http::error::need_more && parser.is_header_done())
        ec = {};
    if (ec == http::error::bad_version)
        co_return co_await send_error(rs, proxy_errc::version_not_supported);
    if (ec || !parser.is_header_done())
        co_return co_await send_error(rs, 400, "malformed request head", "bad_request");
    rs.client_buf.consume(used);
    auto& req = parser.get();
    rs.method = std::string(sv(req.method_string()));
    rs.target = std::string(sv(req.target()));
    if (auto rej = check_request_head(req.base(), limits))
        co_return co_await send_error(rs, rej->status, rej->message, rej->code);
    if (req.version() != 11 && req.version() != 10)
        co_return co_await send_error(rs, proxy_errc::version_not_supported);
    if (!method_allowed(req.method()))
        co_return co_await send_error(rs, proxy_errc::method_not_allowed);
    auto target = map_target(rs.target, provider.upstream.base_path);
    if (!target)
        co_return co_await send_error(rs, proxy_errc::not_found);
    if (!cfg.proxy_api_key.empty() && !key_matches(sv(req[http::field::authorization]), cfg.proxy_api_key))
        co_return co_await send_error(rs, proxy_errc::unauthorized);

    rs.client_keep_alive = req.keep_alive() && req.version() == 11;
    rs.is_head = req.method() == http::verb::head;
    bool expect_continue = common::iequals(sv(req[http::field::expect]), "100-continue");
    req.target(*target);
    req.version(11);
    rs.request_id =
        rewrite_request(req.base(), {&provider, client_ip, cfg.trust_forwarded, !cfg.proxy_api_key.empty()});

    std::optional<rejection> chunk_rej;
    auto on_chunk = [&chunk_rej, &limits](std::uint64_t, beast::string_view ext, beast::error_code& cec) {
        if (auto r = check_chunk_extension(sv(ext), limits)) {
            chunk_rej = std::move(r);
            cec = http::error::bad_chunk_extension;
        }
    };
    parser.on_chunk_header(on_chunk);

    // The first body piece is read before any upstream contact: a body that fits in one piece
    // (every usual prompt) can be replayed on a fresh connection when a reused one fails.
    rs.body_start = clock::now();
    std::size_t first_len = 0;
    const auto head_fields = static_cast<std::size_t>(std::distance(req.begin(), req.end()));
    if (!parser.is_done()) {
        if (expect_continue) {
            static constexpr std::string_view cont = "HTTP/1.1 100 Continue\r\n\r\n";
            rs.client.expires_after(cfg.write_timeout);
            auto [wec, wn] = co_await net::async_write(rs.client, net::buffer(cont), common::use_nothrow);
            if (wec)
                co_return false;
        }
        rs.ensure_piece(parser.content_length());
        if (auto rej = co_await read_body_piece(rs, parser, first_len, chunk_rej)) {
            if (rej->status == 0)
                co_return false;
            co_return co_await send_error(rs, rej->status, rej->message, rej->code);
        }
        drop_trailers(req, head_fields);
    }
    co_return co_await forward(rs, parser, first_len, [&](std::size_t& filled) {
        return read_body_piece(rs, parser, filled, chunk_rej);
    });
}

} // namespace

common::task<void> run_session(worker_context& w, std::size_t provider, net::ip::tcp::socket socket)
{
    beast::error_code ec;
    socket.set_option(net::ip::tcp::no_delay(true), ec);
    auto remote = socket.remote_endpoint(ec);
    std::string client_ip = ec ? std::string("unknown") : remote.address().to_string();
    beast::tcp_stream client(std::move(socket));
    // Bounded: Beast bounds neither a chunk-size line (with its extensions) nor the trailer
    // section, so a client could make it buffer without end. Room for the largest head plus the
    // head reader's 4 KiB reads, and for Beast's 64 KiB body reads; past it a read fails with
    // buffer_overflow and the client gets a 400.
    beast::flat_buffer client_buf(w.cfg.max_header_bytes + 1 + 4096 + 64 * 1024);
    auto slot = w.sessions.insert(w.sessions.end(), session_slot{&client, true});
    bump(w.metrics.open_client_connections);
    request_state rs{w, provider, client, client_buf};
    for (;;) {
        slot->idle = true;
        if (w.stopping)
            break;
        auto head = co_await read_head(client, client, client_buf, w.cfg.max_header_bytes + 1,
                                       w.cfg.keepalive_timeout, w.cfg.header_timeout);
        slot->idle = false;
        rs.reset();
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
    }
    rs.release_piece();
    client.socket().shutdown(net::ip::tcp::socket::shutdown_both, ec);
    client.close();
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
