// The client connection: the one bench TU that includes Beast's HTTP parser.
#include "bench/loadgen/connection.hpp"

#include "common/sse.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>

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

drop_reason classify_header_error(const boost::system::error_code& ec)
{
    if (stale_error(ec))
        return drop_reason::reset;
    if (ec.category() == http::make_error_code(http::error::bad_version).category() &&
        ec != http::error::partial_message)
        return drop_reason::parse;
    return drop_reason::read;
}

} // namespace

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
        auto [wec, wn] = co_await net::async_write(c.socket, net::buffer(request), use_nothrow);
        if (wec) {
            if (reused && attempt == 0 && !c.timed_out && stale_error(wec)) {
                c.close();
                continue;
            }
            co_return fail(drop_reason::write);
        }

        http::response_parser<http::buffer_body> parser;
        parser.body_limit(std::numeric_limits<std::uint64_t>::max());
        auto [hec, hn] = co_await http::async_read_header(c.socket, c.buffer, parser, use_nothrow);
        if (hec) {
            if (reused && attempt == 0 && !c.timed_out && stale_error(hec) && hn == 0) {
                c.close();
                continue;
            }
            co_return fail(classify_header_error(hec));
        }
        r.status = parser.get().result_int();
        if (auto it = parser.get().find("Server-Timing"); it != parser.get().end())
            r.server_timing_ms = parse_server_timing(it->value());

        common::sse_parser events;
        clock::time_point last_event{};
        while (!parser.is_done()) {
            parser.get().body().data = c.body.data();
            parser.get().body().size = c.body.size();
            auto [bec, bn] = co_await http::async_read(c.socket, c.buffer, parser, use_nothrow);
            if (bec && bec != http::error::need_buffer)
                co_return fail(c.timed_out ? drop_reason::timeout : drop_reason::read);
            std::size_t got = c.body.size() - parser.get().body().size;
            if (!sse || got == 0)
                continue;
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
        r.done_at = clock::now();
        ++c.exchanges;
        if (!parser.get().keep_alive())
            c.close();
        co_return r;
    }
}

} // namespace loadgen
