// The client connection over plain TCP, and the exchange logic shared with HTTPS. The I/O loop
// (connection_io.hpp) is instantiated here for the socket only; for HTTPS connections the
// exchange branches once to the TLS instantiation in connection_tls.cpp.
#include "bench/loadgen/connection.hpp"

#include "bench/loadgen/connection_io.hpp"

namespace loadgen {

using tcp = net::ip::tcp;

std::string_view to_string(drop_reason r)
{
    switch (r) {
    case drop_reason::none:
        return "none";
    case drop_reason::connect:
        return "connect";
    case drop_reason::timeout:
        return "timeout";
    case drop_reason::reset:
        return "reset";
    case drop_reason::write:
        return "write";
    case drop_reason::read:
        return "read";
    case drop_reason::parse:
        return "parse";
    case drop_reason::tls:
        return "tls";
    case drop_reason::unsent:
        return "unsent";
    }
    return "unknown";
}

struct connection::impl
{
    tcp::socket socket;
    tcp::endpoint endpoint;
    io::tls_link_ptr tls; // HTTPS only: the TLS layer over `socket`
    io::read_buffer buffer;
    bool connected = false;
    bool timed_out = false;
    bool busy = false;
    std::uint64_t exchanges = 0; // completed on this socket
    clock::time_point busy_since{};

    impl(net::any_io_executor ex, tcp::endpoint ep, const tls_client* t)
        : socket(ex), endpoint(ep), tls(t ? io::make_tls_link(*t) : nullptr)
    {}

    // Closes the TCP socket (for TLS without close_notify: a pending operation must fail now).
    void close()
    {
        boost::system::error_code ignored;
        socket.close(ignored);
        connected = false;
        exchanges = 0;
        buffer.clear();
    }
};

connection::connection(net::any_io_executor ex, tcp::endpoint ep, const tls_client* tls)
    : impl_(std::make_unique<impl>(ex, ep, tls))
{}
connection::~connection() = default;

void connection::abort_for_timeout()
{
    impl_->timed_out = true;
    impl_->close();
}
bool connection::busy() const
{
    return impl_->busy;
}
clock::time_point connection::busy_since() const
{
    return impl_->busy_since;
}
bool connection::is_open() const
{
    return impl_->connected;
}

namespace {

struct busy_guard
{
    bool& flag;
    ~busy_guard() { flag = false; }
};

} // namespace

// TCP connect, then for HTTPS the handshake. drop_reason::none on success.
common::task<drop_reason> connection::open(impl& c)
{
    c.socket = tcp::socket(c.socket.get_executor());
    auto [ec] = co_await c.socket.async_connect(c.endpoint, common::use_nothrow);
    if (ec || c.timed_out)
        co_return drop_reason::connect;
    c.socket.set_option(tcp::no_delay(true), ec);
    c.socket.non_blocking(true, ec); // synchronous writes return would_block instead of waiting
    if (c.tls) {
        auto why = co_await io::tls_handshake(*c.tls, c.socket);
        if (why != drop_reason::none || c.timed_out)
            co_return drop_reason::tls;
    }
    c.connected = true;
    co_return drop_reason::none;
}

common::task<exchange_result> connection::exchange(const std::string& request, bool sse,
                                                   common::histogram* gaps)
{
    using io::read_outcome;
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
            if (auto why = co_await open(c); why != drop_reason::none)
                co_return fail(why);
        }
        r.sent_at = clock::now();
        boost::system::error_code wec;
        if (c.tls) {
            wec = co_await io::tls_write_all(*c.tls, request);
        } else {
            // The socket is non-blocking: a request that fits the send buffer (nearly all do)
            // goes out in this one call, with no reactor operation and no completion to resume
            // from; the rest, if any, waits for the socket to be writable.
            std::size_t sent = c.socket.write_some(net::buffer(request), wec);
            if (wec == net::error::would_block || wec == net::error::try_again) {
                wec = {};
                sent = 0;
            }
            if (!wec && sent < request.size())
                wec = co_await io::write_all(c.socket, request, sent);
        }
        if (wec) {
            if (reused && attempt == 0 && !c.timed_out && io::stale_error(wec)) {
                c.close();
                continue;
            }
            co_return fail(drop_reason::write);
        }
        read_outcome outcome;
        if (c.tls)
            outcome = co_await io::tls_read_response(*c.tls, c.buffer, r, sse, gaps);
        else
            outcome = co_await io::read_response(c.socket, c.buffer, r, sse, gaps);
        if (outcome == read_outcome::stale && reused && attempt == 0 && !c.timed_out) {
            c.close();
            continue;
        }
        if (outcome == read_outcome::done_close)
            c.close();
        else if (outcome != read_outcome::done)
            co_return fail(outcome == read_outcome::parse
                               ? drop_reason::parse
                               : (outcome == read_outcome::stale ? drop_reason::reset : drop_reason::read));
        r.done_at = clock::now();
        ++c.exchanges;
        co_return r;
    }
}

} // namespace loadgen
