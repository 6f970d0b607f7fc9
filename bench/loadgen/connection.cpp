// The client connection: the one bench TU that includes Beast's HTTP parser.
#include "bench/loadgen/connection.hpp"

#include "common/sse.hpp"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>

#include <charconv>
#include <limits>
#include <optional>

namespace loadgen {

using tcp = net::ip::tcp;

std::string_view to_string(drop_reason r)
{
    switch (r) {
    case drop_reason::none: return "none";
    case drop_reason::connect: return "connect";
    case drop_reason::timeout: return "timeout";
    case drop_reason::reset: return "reset";
    case drop_reason::write: return "write";
    case drop_reason::read: return "read";
    case drop_reason::parse: return "parse";
    }
    return "unknown";
}

double parse_server_timing(std::string_view v, std::string_view metric)
{
    // Entries are separated by ','; parameters by ';'. Find the metric, then its dur param.
    while (!v.empty()) {
        auto comma = v.find(',');
        auto entry = v.substr(0, comma);
        v = comma == std::string_view::npos ? std::string_view{} : v.substr(comma + 1);
        while (!entry.empty() && entry.front() == ' ')
            entry.remove_prefix(1);
        if (!entry.starts_with(metric))
            continue;
        auto rest = entry.substr(metric.size());
        if (!rest.empty() && rest.front() != ';' && rest.front() != ' ')
            continue;
        auto d = rest.find("dur=");
        if (d == std::string_view::npos)
            return -1;
        auto num = rest.substr(d + 4);
        double out = 0;
        auto [end, ec] = std::from_chars(num.data(), num.data() + num.size(), out);
        return ec == std::errc{} && end != num.data() ? out : -1;
    }
    return -1;
}

struct connection::impl
{
    tcp::socket socket;
    tcp::endpoint endpoint;
    beast::flat_buffer buffer;
    bool connected = false;
    bool timed_out = false;
    bool busy = false;
    std::uint64_t exchanges = 0; // completed on this socket
    clock::time_point busy_since{};
    std::array<char, 16384> body{}; // body bytes are read here and dropped (or fed to the SSE parser)

    impl(net::any_io_executor ex, tcp::endpoint ep) : socket(ex), endpoint(ep) {}

    void close()
    {
        boost::system::error_code ignored;
        socket.close(ignored);
        connected = false;
        exchanges = 0;
        buffer.clear();
    }
};

connection::connection(net::any_io_executor ex, tcp::endpoint ep) : impl_(std::make_unique<impl>(ex, ep)) {}
connection::~connection() = default;

void connection::abort_for_timeout()
{
    impl_->timed_out = true;
    impl_->close();
}
bool connection::busy() const { return impl_->busy; }
clock::time_point connection::busy_since() const { return impl_->busy_since; }
bool connection::is_open() const { return impl_->connected; }

namespace {

struct busy_guard
{
    bool& flag;
    ~busy_guard() { flag = false; }
};

// A reused connection that fails before any response byte was probably closed by the server
// while idle (keep-alive timeout): worth one retry on a fresh socket.
bool stale_error(const boost::system::error_code& ec)
{
    return ec == net::error::eof || ec == http::error::end_of_stream || ec == net::error::connection_reset ||
           ec == net::error::broken_pipe;
}

} // namespace

// Writes the whole request: a small request goes out in one write_some, without the composed
// async_write machinery.
common::task<boost::system::error_code> connection::write_all(net::ip::tcp::socket& socket, const std::string& request)
{
    std::size_t sent = 0;
    while (sent < request.size()) {
        auto [ec, n] = co_await socket.async_write_some(net::buffer(request.data() + sent, request.size() - sent),
                                                        common::use_nothrow);
        if (ec)
            co_return ec;
        sent += n;
    }
    co_return boost::system::error_code{};
}

// Reads one response by feeding Beast's parser directly (sans-I/O put), reading from the socket
// only when the parser needs more: a response that arrives in one segment costs one read.
common::task<connection::read_outcome> connection::read_response(impl& c, exchange_result& r, bool sse,
                                                                 common::histogram* gaps)
{
    http::response_parser<http::buffer_body> parser;
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    parser.eager(true);
    common::sse_parser events;
    clock::time_point last_event{};
    bool header_seen = false;
    std::uint64_t received = 0;
    for (;;) {
        while (c.buffer.size() > 0 && !parser.is_done()) {
            parser.get().body().data = c.body.data();
            parser.get().body().size = c.body.size();
            boost::system::error_code ec;
            auto used = parser.put(c.buffer.data(), ec);
            c.buffer.consume(used);
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
            std::size_t got = header_seen ? c.body.size() - parser.get().body().size : 0;
            if (sse && got > 0) {
                auto now = clock::now();
                events.feed(std::string_view(c.body.data(), got), [&](const common::sse_event& e) {
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
        auto [ec, n] = co_await c.socket.async_read_some(c.buffer.prepare(16384), common::use_nothrow);
        if (ec == net::error::eof && header_seen && parser.need_eof()) {
            boost::system::error_code ignored;
            parser.put_eof(ignored);
            break;
        }
        if (ec)
            co_return received == 0 && stale_error(ec) ? read_outcome::stale : read_outcome::failed;
        c.buffer.commit(n);
        received += n;
    }
    if (!parser.get().keep_alive())
        c.close();
    co_return read_outcome::done;
}

common::task<exchange_result> connection::exchange(const std::string& request, bool sse, common::histogram* gaps)
{
    using common::use_nothrow;
    impl& c = *impl_;
    exchange_result r;
    c.busy = true;
    c.timed_out = false;
    c.busy_since = clock::now();
    busy_guard guard{c.busy};
    auto fail = [&](drop_reason why) {
        r.drop = c.timed_out ? drop_reason::timeout : why;
        c.close();
        return r;
    };

    for (int attempt = 0;; ++attempt) {
        bool reused = c.connected && c.exchanges > 0;
        if (!c.connected) {
            c.socket = tcp::socket(c.socket.get_executor());
            auto [ec] = co_await c.socket.async_connect(c.endpoint, use_nothrow);
            if (ec || c.timed_out)
                co_return fail(drop_reason::connect);
            c.socket.set_option(tcp::no_delay(true), ec);
            c.connected = true;
        }
        r.sent_at = clock::now();
        auto wec = co_await write_all(c.socket, request);
        if (wec) {
            if (reused && attempt == 0 && !c.timed_out && stale_error(wec)) {
                c.close();
                continue;
            }
            co_return fail(drop_reason::write);
        }
        auto outcome = co_await read_response(c, r, sse, gaps);
        if (outcome == read_outcome::stale && reused && attempt == 0 && !c.timed_out) {
            c.close();
            continue;
        }
        if (outcome != read_outcome::done)
            co_return fail(outcome == read_outcome::parse ? drop_reason::parse
                                                          : (outcome == read_outcome::stale ? drop_reason::reset
                                                                                            : drop_reason::read));
        r.done_at = clock::now();
        ++c.exchanges;
        co_return r;
    }
}

} // namespace loadgen
