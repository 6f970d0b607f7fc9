// One client connection of mock-llm: read a request, dispatch it by route, answer, repeat
// (HTTP/1.1 keep-alive, also after chunked SSE). The only translation unit of mock-llm that
// includes Beast's parser. Responses are written by hand from reused buffers (no Beast
// serializer): the hot path allocates only what the parser needs for the request itself.
#include "bench/mock/session.hpp"

#include "bench/mock/handlers.hpp"
#include "bench/mock/request_info.hpp"
#include "bench/mock/worker.hpp"
#include "common/units.hpp"

#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <ctime>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace mock {
namespace {

using tcp = net::ip::tcp;
using ns = std::chrono::nanoseconds;
using request = http::request<http::string_body>;
using common::use_nothrow;

constexpr std::size_t header_limit = 64 * 1024;
constexpr std::string_view json_type = "application/json";

// Per-request knobs from x-mock-* headers, and the caller's API key.
struct overrides
{
    std::optional<ns> latency, ttft, token_gap;
    std::optional<std::uint32_t> chunks;
    std::optional<failure_kind> fail;
    std::optional<std::uint64_t> response_bytes;
    std::string_view api_key;
    std::string error; // set when a header is invalid
};

bool iprefix(std::string_view s, std::string_view prefix)
{
    if (s.size() < prefix.size())
        return false;
    for (std::size_t i = 0; i < prefix.size(); ++i)
        if ((s[i] | 0x20) != prefix[i])
            return false;
    return true;
}

std::optional<ns> header_duration(std::string_view v)
{
    return common::parse_duration(v, common::bare_unit::milliseconds);
}

// One pass over the headers; only names starting with "x-mock-" or naming a key are examined.
overrides read_overrides(const request& req)
{
    overrides o;
    for (const auto& f : req) {
        auto name = f.name_string();
        auto value = std::string_view(f.value().data(), f.value().size());
        if (f.name() == http::field::authorization) {
            if (iprefix(value, "bearer "))
                o.api_key = value.substr(7);
            continue;
        }
        if (beast::iequals(name, "x-api-key") || beast::iequals(name, "api-key")) {
            o.api_key = value;
            continue;
        }
        if (!iprefix(name, "x-mock-"))
            continue;
        auto knob = name.substr(7);
        bool ok = true;
        if (beast::iequals(knob, "latency"))
            ok = (o.latency = header_duration(value)).has_value();
        else if (beast::iequals(knob, "ttft"))
            ok = (o.ttft = header_duration(value)).has_value();
        else if (beast::iequals(knob, "token-gap"))
            ok = (o.token_gap = header_duration(value)).has_value();
        else if (beast::iequals(knob, "fail"))
            ok = (o.fail = parse_failure_kind(value)).has_value();
        else if (beast::iequals(knob, "response-bytes")) {
            auto s = common::parse_size(value);
            ok = s && *s <= 256ull * 1024 * 1024;
            o.response_bytes = s;
        } else if (beast::iequals(knob, "chunks")) {
            auto n = common::parse_count(value);
            ok = n && *n >= 1 && *n <= 1e6 && *n == static_cast<double>(static_cast<std::uint32_t>(*n));
            if (ok)
                o.chunks = static_cast<std::uint32_t>(*n);
        }
        if (!ok && o.error.empty())
            o.error = fmt::format("Invalid {} header: '{}'", std::string_view(name), value);
    }
    return o;
}

std::string_view status_line(unsigned status)
{
    switch (status) {
    case 200: return "HTTP/1.1 200 OK\r\n";
    case 400: return "HTTP/1.1 400 Bad Request\r\n";
    case 404: return "HTTP/1.1 404 Not Found\r\n";
    case 405: return "HTTP/1.1 405 Method Not Allowed\r\n";
    case 413: return "HTTP/1.1 413 Payload Too Large\r\n";
    case 429: return "HTTP/1.1 429 Too Many Requests\r\n";
    case 431: return "HTTP/1.1 431 Request Header Fields Too Large\r\n";
    case 503: return "HTTP/1.1 503 Service Unavailable\r\n";
    default: return "HTTP/1.1 500 Internal Server Error\r\n";
    }
}

// Status line and headers; `length` < 0 means chunked.
void put_head(std::string& out, unsigned status, std::string_view type, std::int64_t length, bool keep_alive,
              std::string_view extra = {})
{
    out.clear();
    out += status_line(status);
    out += "Content-Type: ";
    out += type;
    if (length >= 0) {
        out += "\r\nContent-Length: ";
        out += fmt::format_int(length).c_str();
    } else {
        out += "\r\nTransfer-Encoding: chunked";
    }
    out += keep_alive ? "\r\n" : "\r\nConnection: close\r\n";
    out += extra;
    out += "\r\n";
}

// Appends `data` as one HTTP chunk.
void put_chunk(std::string& out, std::string_view data)
{
    fmt::format_to(std::back_inserter(out), "{:x}\r\n", data.size());
    out += data;
    out += "\r\n";
}

template <class Stream>
class connection
{
public:
    connection(worker& w, Stream& stream) : w_(w), cfg_(w.shared.config), stream_(stream), timer_(w.ioc) {}

    common::task<void> run();

private:
    tcp::socket& socket() { return beast::get_lowest_layer(stream_); }

    template <class Buffers>
    common::task<bool> write(const Buffers& buffers)
    {
        auto [ec, n] = co_await net::async_write(stream_, buffers, use_nothrow);
        co_return !ec;
    }
    common::task<bool> respond(route r, unsigned status, std::string_view body, bool keep_alive,
                               std::string_view type = json_type, std::string_view extra = {});
    common::task<bool> wait(ns d);
    common::task<void> close_gracefully();
    common::task<void> hang();
    void reset();

    common::task<bool> handle(request& req, bool keep_alive);
    common::task<bool> handle_model(route r, request& req, bool keep_alive);
    common::task<bool> send_plain(const answer& a, ns delay, failure_kind fail, bool keep_alive);
    common::task<bool> send_stream(const answer& a, ns ttft, ns gap, failure_kind fail, bool keep_alive);
    common::task<bool> send_blob(std::string_view query, bool keep_alive);
    answer make_answer(route r, const request_info& info, const overrides& o);

    worker& w_;
    const config& cfg_;
    Stream& stream_;
    net::steady_timer timer_;
    beast::flat_buffer buffer_;
    std::string head_; // status line + headers (+ a chunk), reused
    std::string body_; // rendered body, reused
    std::string id_;
};

template <class Stream>
common::task<bool> connection<Stream>::respond(route r, unsigned status, std::string_view body, bool keep_alive,
                                               std::string_view type, std::string_view extra)
{
    w_.stats.count(r, status);
    put_head(head_, status, type, static_cast<std::int64_t>(body.size()), keep_alive, extra);
    std::array<net::const_buffer, 2> bufs{net::buffer(head_), net::buffer(body.data(), body.size())};
    co_return co_await write(bufs) && keep_alive;
}

template <class Stream>
common::task<bool> connection<Stream>::wait(ns d)
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
common::task<void> connection<Stream>::close_gracefully()
{
    beast::error_code ec;
    socket().shutdown(tcp::socket::shutdown_send, ec);
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
common::task<void> connection<Stream>::hang()
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
common::task<void> connection<Stream>::run()
{
    for (;;) {
        http::request_parser<http::string_body> parser;
        parser.header_limit(header_limit);
        parser.body_limit(cfg_.max_body);
        auto [ec, n] = co_await http::async_read_header(stream_, buffer_, parser, use_nothrow);
        if (!ec && parser.content_length() && *parser.content_length() > cfg_.max_body)
            ec = http::error::body_limit;
        if (!ec && !parser.is_done()) {
            if (beast::iequals(parser.get()[http::field::expect], "100-continue")) {
                static constexpr std::string_view cont = "HTTP/1.1 100 Continue\r\n\r\n";
                if (!co_await write(net::buffer(cont.data(), cont.size())))
                    co_return;
            }
            std::tie(ec, n) = co_await http::async_read(stream_, buffer_, parser, use_nothrow);
        }
        if (ec) {
            if (ec.category() != http::make_error_code(http::error::end_of_stream).category() ||
                ec == http::error::end_of_stream || ec == http::error::partial_message)
                co_return; // the client went away
            unsigned status = ec == http::error::body_limit ? 413 : ec == http::error::header_limit ? 431 : 400;
            auto msg = status == 413 ? fmt::format("Request body too large: the limit is {} bytes.", cfg_.max_body)
                                     : fmt::format("Malformed HTTP request: {}.", ec.message());
            co_await respond(route::bad_request, status, error_body(status, msg), false);
            co_await close_gracefully();
            co_return;
        }
        auto& req = parser.get();
        if (!co_await handle(req, req.keep_alive()))
            co_return;
    }
}

template <class Stream>
common::task<bool> connection<Stream>::handle(request& req, bool keep_alive)
{
    auto method = std::string_view(req.method_string().data(), req.method_string().size());
    auto target = std::string_view(req.target().data(), req.target().size());
    auto m = match_route(method, target);
    if (m.route == route::unknown)
        co_return co_await respond(m.route, 404, error_body(404, fmt::format("Invalid URL ({} {})", method, target)),
                                   keep_alive);
    if (!m.method_allowed)
        co_return co_await respond(m.route, 405,
                                   error_body(405, fmt::format("Invalid method for URL ({} {})", method, target)),
                                   keep_alive);
    switch (m.route) {
    case route::chat:
    case route::completions:
    case route::embeddings:
    case route::responses:
        co_return co_await handle_model(m.route, req, keep_alive);
    case route::models:
        body_.clear();
        render_models(body_);
        co_return co_await respond(m.route, 200, body_, keep_alive);
    case route::healthz:
        co_return co_await respond(m.route, 200, R"({"status":"ok"})", keep_alive);
    case route::stats: {
        auto s = w_.shared.stats.to_json();
        co_return co_await respond(m.route, 200, s, keep_alive);
    }
    case route::stats_reset:
        w_.shared.stats.reset();
        co_return co_await respond(m.route, 200, R"({"status":"reset"})", keep_alive);
    case route::echo: {
        std::vector<std::pair<std::string_view, std::string_view>> headers;
        for (const auto& f : req)
            headers.emplace_back(std::string_view(f.name_string().data(), f.name_string().size()),
                                 std::string_view(f.value().data(), f.value().size()));
        auto s = render_echo(method, target, headers, req.body());
        co_return co_await respond(m.route, 200, s, keep_alive);
    }
    case route::blob:
        co_return co_await send_blob(m.query, keep_alive);
    default:
        co_return false;
    }
}

template <class Stream>
answer connection<Stream>::make_answer(route r, const request_info& info, const overrides& o)
{
    answer a;
    a.api = r;
    make_id(id_, r, w_.index, ++w_.ids);
    a.id = id_;
    a.created = static_cast<std::int64_t>(std::time(nullptr));
    a.model = info.model.empty() ? std::string_view("mock-model") : std::string_view(info.model);
    a.chunks = o.chunks ? *o.chunks : cfg_.chunks;
    a.prompt_tokens = estimate_prompt_tokens(info);
    a.include_usage = info.include_usage;
    a.inputs = info.inputs == 0 ? 1 : info.inputs;
    std::uint64_t tokens = std::uint64_t{a.chunks} * cfg_.tokens_per_chunk;
    if (info.max_tokens && *info.max_tokens > 0 && *info.max_tokens < tokens)
        tokens = *info.max_tokens;
    std::uint64_t bytes = tokens * 4;
    if (o.response_bytes || cfg_.big_payload) {
        bytes = o.response_bytes ? *o.response_bytes : 10 * 1024;
        tokens = (bytes + 3) / 4;
    }
    a.content_bytes = bytes;
    a.completion_tokens = tokens;
    return a;
}

template <class Stream>
common::task<bool> connection<Stream>::handle_model(route r, request& req, bool keep_alive)
{
    auto o = read_overrides(req);
    if (!o.error.empty())
        co_return co_await respond(r, 400, error_body(400, o.error), keep_alive);
    request_info info;
    if (auto e = parse_request(r, req.body(), info))
        co_return co_await respond(r, e->status, error_body(*e), keep_alive);

    std::uint64_t seq = cfg_.stall_every > 0 ? w_.shared.model_requests.fetch_add(1, std::memory_order_relaxed) + 1 : 0;
    auto d = w_.plan.decide(seq, o.api_key, w_.rng);
    if (o.fail)
        d.fail = *o.fail;
    const bool stream = info.stream && r != route::embeddings;
    ns delay{0};
    if (o.latency)
        delay = *o.latency;
    else if (d.latency)
        delay = *d.latency;
    else if (!(stream && cfg_.ttft) && !w_.latency.is_zero())
        delay = w_.latency.sample(w_.rng);
    if (stream && !o.latency && !d.latency && cfg_.ttft)
        delay = *cfg_.ttft;
    if (stream && o.ttft)
        delay = *o.ttft;
    delay += d.stall;

    switch (d.fail) {
    case failure_kind::reset:
        w_.stats.count(r, 0);
        reset();
        co_return false;
    case failure_kind::hang:
        w_.stats.count(r, 0);
        co_await hang();
        co_return false;
    case failure_kind::http429: {
        co_await wait(d.stall);
        auto extra = fmt::format("Retry-After: {}\r\n", cfg_.retry_after_s);
        co_return co_await respond(r, 429,
                                   error_body("Rate limit reached for requests (mock-llm)", "requests", {},
                                              "rate_limit_exceeded"),
                                   keep_alive, json_type, extra);
    }
    case failure_kind::http500:
    case failure_kind::http503:
        if (!co_await wait(delay))
            co_return false;
        if (d.fail == failure_kind::http500)
            co_return co_await respond(r, 500,
                                       error_body(500, "The server had an error while processing your request. Sorry about that!"),
                                       keep_alive);
        co_return co_await respond(r, 503, error_body(503, "The engine is currently overloaded, please try again later."),
                                   keep_alive);
    default:
        break;
    }
    auto a = make_answer(r, info, o);
    if (stream)
        co_return co_await send_stream(a, delay, o.token_gap ? *o.token_gap : cfg_.token_gap, d.fail, keep_alive);
    co_return co_await send_plain(a, delay, d.fail, keep_alive);
}

template <class Stream>
common::task<bool> connection<Stream>::send_plain(const answer& a, ns delay, failure_kind fail, bool keep_alive)
{
    if (!co_await wait(delay))
        co_return false;
    body_.clear();
    if (a.api == route::embeddings)
        render_embeddings(body_, a, a.inputs, cfg_.embedding_dim);
    else
        render_completion(body_, a);
    if (fail == failure_kind::malformed)
        body_.resize(body_.size() / 2); // valid HTTP, truncated JSON
    if (fail != failure_kind::cut)
        co_return co_await respond(a.api, 200, body_, keep_alive);
    // "cut": announce the whole length, send half, close.
    w_.stats.count(a.api, 200);
    put_head(head_, 200, json_type, static_cast<std::int64_t>(body_.size()), keep_alive);
    std::array<net::const_buffer, 2> bufs{net::buffer(head_), net::buffer(body_.data(), body_.size() / 2)};
    co_await write(bufs);
    beast::error_code ec;
    socket().shutdown(tcp::socket::shutdown_both, ec);
    socket().close(ec);
    co_return false;
}

template <class Stream>
common::task<bool> connection<Stream>::send_stream(const answer& a, ns ttft, ns gap, failure_kind fail, bool keep_alive)
{
    if (!co_await wait(ttft))
        co_return false;
    w_.stats.count(a.api, 200);
    const std::uint32_t cut_after = fail == failure_kind::cut ? std::max<std::uint32_t>(1, a.chunks / 2) : UINT32_MAX;
    const std::uint32_t malformed_at = fail == failure_kind::malformed ? a.chunks / 2 : UINT32_MAX;
    // Headers, the opening event and the first content chunk leave together at TTFT.
    put_head(head_, 200, "text/event-stream; charset=utf-8", -1, keep_alive, "Cache-Control: no-cache\r\n");
    for (std::uint32_t k = 0; k < a.chunks; ++k) {
        if (k == cut_after)
            break;
        if (k > 0) {
            if (!co_await wait(gap))
                co_return false;
            head_.clear();
        }
        body_.clear();
        if (k == 0)
            render_stream_start(body_, a);
        if (k == malformed_at)
            render_stream_malformed(body_, a);
        else
            render_stream_delta(body_, a, k);
        if (k + 1 == a.chunks && cut_after == UINT32_MAX) { // the last chunk carries the end too
            render_stream_end(body_, a);
            put_chunk(head_, body_);
            head_ += "0\r\n\r\n";
            co_return co_await write(net::buffer(head_)) && keep_alive;
        }
        put_chunk(head_, body_);
        if (!co_await write(net::buffer(head_)))
            co_return false;
    }
    // Only the "cut" failure gets here: stop mid-stream without the terminating chunk.
    beast::error_code ec;
    socket().shutdown(tcp::socket::shutdown_both, ec);
    socket().close(ec);
    co_return false;
}

template <class Stream>
common::task<bool> connection<Stream>::send_blob(std::string_view query, bool keep_alive)
{
    std::string_view v;
    std::optional<std::uint64_t> bytes;
    if (query_param(query, "bytes", v))
        bytes = common::parse_size(v);
    bool chunked = query_param(query, "chunked", v) && (v == "1" || v == "true" || v.empty());
    ns gap{0};
    if (query_param(query, "gap", v)) {
        auto g = common::parse_duration(v, common::bare_unit::milliseconds);
        if (!g)
            bytes.reset();
        else
            gap = *g;
    }
    if (!bytes)
        co_return co_await respond(route::blob, 400,
                                   error_body(400, "blob needs ?bytes=N (a size) and an optional gap=DURATION"),
                                   keep_alive);
    w_.stats.count(route::blob, 200);
    put_head(head_, 200, "application/octet-stream", chunked ? -1 : static_cast<std::int64_t>(*bytes), keep_alive);
    if (!co_await write(net::buffer(head_)))
        co_return false;
    for (std::uint64_t off = 0; off < *bytes;) {
        if (off > 0 && !co_await wait(gap))
            co_return false;
        auto piece = blob_piece(off, static_cast<std::size_t>(std::min<std::uint64_t>(blob_piece_max, *bytes - off)));
        off += piece.size();
        head_.clear();
        if (chunked)
            fmt::format_to(std::back_inserter(head_), "{:x}\r\n", piece.size());
        std::string_view tail = chunked ? (off == *bytes ? "\r\n0\r\n\r\n" : "\r\n") : "";
        std::array<net::const_buffer, 3> bufs{net::buffer(head_), net::buffer(piece.data(), piece.size()),
                                              net::buffer(tail.data(), tail.size())};
        if (!co_await write(bufs))
            co_return false;
    }
    if (chunked && *bytes == 0 && !co_await write(net::buffer(std::string_view("0\r\n\r\n").data(), 5)))
        co_return false;
    co_return keep_alive;
}

template <class Stream>
common::task<void> serve(worker& w, Stream& stream)
{
    connection<Stream> c(w, stream);
    co_await c.run();
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

common::task<void> run_session(worker& w, tcp::socket socket)
{
    connection_count counted(w.stats);
    co_await serve(w, socket);
    beast::error_code ec;
    socket.close(ec);
}

common::task<void> run_tls_session(worker& w, tcp::socket socket)
{
    connection_count counted(w.stats);
    net::ssl::stream<tcp::socket> stream(std::move(socket), *w.shared.tls);
    auto [ec] = co_await stream.async_handshake(net::ssl::stream_base::server, use_nothrow);
    if (ec) {
        SPDLOG_DEBUG("TLS handshake failed: {}", ec.message());
        co_return;
    }
    co_await serve(w, stream);
}

} // namespace mock
