// proxy component tests on connected in-memory streams (beast::test::stream) with injected
// failures: raw head reading, upstream head checks, and the relay's re-framing of bodies; and on
// loopback sockets, the writes that go out without suspending (send_now).
#include "proxy/body_relay.hpp"
#include "proxy/head_reader.hpp"
#include "proxy/head_writer.hpp"
#include "proxy/http1.hpp"
#include "proxy/io_deadline.hpp"
#include "proxy/send_now.hpp"
#include "tests/support/socket_pair.hpp"

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/_experimental/test/stream.hpp>
#include <catch2/catch.hpp>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
namespace test = boost::beast::test;

namespace {

// beast::test::stream asks async_result for a return_type, which proxy::use_task cannot name (its
// awaiter's type depends on the initiation): this passes the test stream a plain handler.
struct task_stream
{
    test::stream& s;
    using executor_type = test::stream::executor_type;
    executor_type get_executor() { return s.get_executor(); }
    template <typename Buffers, typename Token>
    auto async_read_some(const Buffers& b, Token&& token)
    {
        return net::async_initiate<Token, void(beast::error_code, std::size_t)>(
            [this](auto handler, const Buffers& bufs) { s.async_read_some(bufs, std::move(handler)); }, token,
            b);
    }
    template <typename Buffers, typename Token>
    auto async_write_some(const Buffers& b, Token&& token)
    {
        return net::async_initiate<Token, void(beast::error_code, std::size_t)>(
            [this](auto handler, const Buffers& bufs) { s.async_write_some(bufs, std::move(handler)); },
            token, b);
    }
};

struct no_timer
{
    void expires_after(std::chrono::steady_clock::duration) {}
    bool fired() const { return false; }
};

template <typename T>
proxy::task<void> store(proxy::task<T> t, std::optional<T>& out)
{
    out = co_await std::move(t);
}

// Runs `t` to its end on `ioc` (and whatever else is pending there), and returns its result.
template <typename T>
T run(net::io_context& ioc, proxy::task<T> t)
{
    std::optional<T> result;
    std::exception_ptr error;
    proxy::spawn(store(std::move(t), result), [&](std::exception_ptr e) { error = e; });
    ioc.run();
    ioc.restart();
    if (error)
        std::rethrow_exception(error);
    REQUIRE(result);
    return *result;
}

proxy::task<proxy::head_result> read_one(test::stream& s, beast::flat_buffer& buf, std::size_t max)
{
    no_timer t;
    task_stream ts{s};
    co_return co_await proxy::read_head(ts, t, buf, max, 1000ms, 1000ms);
}

} // namespace

TEST_CASE("read_head: a head delivered one byte at a time, body bytes left in the buffer",
          "[component][proxy]")
{
    net::io_context ioc;
    test::stream client(ioc), server(ioc);
    client.connect(server);
    server.read_size(1);
    std::string head = "POST /v1/x HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\n";
    client.write_some(net::buffer(head + "body"));
    beast::flat_buffer buf;
    auto r = run(ioc, read_one(server, buf, 16 * 1024));
    CHECK(r.status == proxy::head_status::ok);
    CHECK(r.length == head.size());
    buf.consume(r.length);
    // Bytes after the head were read only as far as needed: the rest is still in the stream.
    CHECK(buf.size() <= 4);
}

TEST_CASE("read_head: injected failures at every step", "[component][proxy]")
{
    std::string head = "GET /v1/models HTTP/1.1\r\nHost: a\r\n\r\n";
    for (std::size_t n = 1; n < 6; ++n) {
        net::io_context ioc;
        test::fail_count fc(n);
        test::stream server(ioc, fc), client(ioc);
        server.connect(client);
        server.read_size(8);
        client.write_some(net::buffer(head));
        beast::flat_buffer buf;
        auto r = run(ioc, read_one(server, buf, 16 * 1024));
        INFO(n);
        if (n <= (head.size() + 7) / 8) {
            CHECK(r.status != proxy::head_status::ok);
            CHECK(r.any_byte == (n > 1)); // an idle close is silent, a cut head is an error
        } else {
            CHECK(r.status == proxy::head_status::ok);
        }
    }
}

TEST_CASE("read_head: over the limit, peer closed, bare LF end", "[component][proxy]")
{
    {
        net::io_context ioc;
        test::stream client(ioc), server(ioc);
        client.connect(server);
        client.write_some(net::buffer("GET / HTTP/1.1\r\nX: " + std::string(300, 'a') + "\r\n\r\n"));
        beast::flat_buffer buf;
        CHECK(run(ioc, read_one(server, buf, 256)).status == proxy::head_status::too_large);
    }
    {
        net::io_context ioc;
        test::stream client(ioc), server(ioc);
        client.connect(server);
        client.close();
        beast::flat_buffer buf;
        auto r = run(ioc, read_one(server, buf, 256));
        CHECK(r.status == proxy::head_status::closed);
        CHECK_FALSE(r.any_byte);
    }
    {
        net::io_context ioc;
        test::stream client(ioc), server(ioc);
        client.connect(server);
        client.write_some(net::buffer("GET / HTTP/1.1\nHost: a\n\n"));
        beast::flat_buffer buf;
        auto r = run(ioc, read_one(server, buf, 256));
        CHECK(r.status == proxy::head_status::ok); // found: the guard then rejects bare LF
        CHECK(r.length == 24);
    }
}

TEST_CASE("upstream head checks: control bytes, bare CR, obs-fold", "[component][proxy]")
{
    proxy::http1::response_head h;
    CHECK(proxy::http1::parse_response("HTTP/1.1 200 OK\r\nA: b\tc\r\n\r\n", h));
    CHECK_FALSE(proxy::http1::parse_response(std::string("HTTP/1.1 200 OK\r\nA: b\0c\r\n\r\n", 28), h));
    CHECK_FALSE(proxy::http1::parse_response("HTTP/1.1 200 OK\r\nA: b\rc\r\n\r\n", h));
    CHECK_FALSE(proxy::http1::parse_response("HTTP/1.1 200 OK\r\nA: b\r\n c\r\n\r\n", h));
    CHECK_FALSE(proxy::http1::parse_response("HTTP/1.1 200 OK\r\nA: \x7f\r\n\r\n", h));
}

namespace {

// The proxy's own body relay loop (proxy/body_relay.hpp) between in-memory streams: the head is
// read and checked first, as the relay does, then the body is relayed in tiny pieces.
proxy::task<bool> relay(test::stream& upstream, test::stream& client, bool chunked_out)
{
    beast::flat_buffer buf;
    no_timer t;
    task_stream up{upstream}, down{client};
    auto h = co_await proxy::read_head(up, t, buf, 64 * 1024, 1000ms, 1000ms);
    if (h.status != proxy::head_status::ok)
        co_return false;
    proxy::http1::response_head head;
    if (!proxy::http1::parse_response({static_cast<const char*>(buf.data().data()), h.length}, head))
        co_return false;
    auto framing = proxy::http1::response_framing(head, false);
    if (!framing)
        co_return false;
    buf.consume(h.length);
    char piece[7]; // tiny on purpose: many pieces
    no_timer up_t, down_t;
    auto r = co_await proxy::relay_body(
        up, buf, up_t, down, down_t,
        proxy::body_relay_params{*framing, chunked_out, "HTTP/1.1 200 OK\r\n\r\n", 1024, 1000ms, 1000ms},
        [&piece] { return std::span<char>(piece, sizeof piece); });
    co_return r.outcome == proxy::body_outcome::complete;
}

} // namespace

TEST_CASE("relay: chunked upstream body re-framed to the client, bytes intact", "[component][proxy]")
{
    net::io_context ioc;
    test::stream up_server(ioc), up_proxy(ioc), cl_proxy(ioc), cl_client(ioc);
    up_server.connect(up_proxy);
    cl_proxy.connect(cl_client);
    up_proxy.read_size(5);
    up_server.write_some(net::buffer(
        std::string("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "a;ext=1\r\ndata: one\n\r\n10\r\ndata: two three\n\r\n0\r\nX-Trailer: dropped\r\n\r\n")));
    CHECK(run(ioc, relay(up_proxy, cl_proxy, true)));
    auto out = std::string(cl_client.str());
    CHECK(out.rfind("HTTP/1.1 200 OK\r\n\r\n", 0) == 0);
    CHECK(out.find("X-Trailer") == std::string::npos);
    CHECK(out.ends_with("0\r\n\r\n"));
    // De-chunk what the client got.
    std::string body, rest = out.substr(19);
    while (true) {
        auto eol = rest.find("\r\n");
        auto size = std::stoul(rest.substr(0, eol), nullptr, 16);
        if (size == 0)
            break;
        body += rest.substr(eol + 2, size);
        rest = rest.substr(eol + 2 + size + 2);
    }
    CHECK(body == "data: one\ndata: two three\n");
}

TEST_CASE("relay: upstream failures mid-body never produce a clean end", "[component][proxy]")
{
    std::string response = "HTTP/1.1 200 OK\r\nContent-Length: 40\r\n\r\n" + std::string(40, 'x');
    for (std::size_t n = 2; n < 12; ++n) {
        net::io_context ioc;
        test::fail_count fc(n);
        test::stream up_proxy(ioc, fc), up_server(ioc), cl_proxy(ioc), cl_client(ioc);
        up_proxy.connect(up_server);
        cl_proxy.connect(cl_client);
        up_proxy.read_size(8);
        up_server.write_some(net::buffer(response));
        bool ok = run(ioc, relay(up_proxy, cl_proxy, true));
        auto out = std::string(cl_client.str());
        INFO(n);
        if (!ok)
            CHECK_FALSE(out.ends_with("0\r\n\r\n"));
        else
            CHECK(out.ends_with("0\r\n\r\n"));
    }
}

TEST_CASE("framing: chunk size lines and empty pieces", "[component][proxy]")
{
    char line[20];
    CHECK(std::string(line, proxy::chunk_size_line(line, 0x1a2b)) == "1a2b\r\n");
    CHECK(std::string(line, proxy::chunk_size_line(line, 1)) == "1\r\n");
    proxy::framed_piece empty("", nullptr, 0, true, false);
    CHECK(empty.count == 0); // never a zero-size chunk before the end
    proxy::framed_piece last("", nullptr, 0, true, true);
    CHECK(last.count == 1);
    proxy::framed_piece plain("H", "ab", 2, false, true);
    CHECK(plain.count == 2);
}

namespace {

proxy::task<beast::error_code> read_one(net::ip::tcp::socket& s)
{
    char c;
    auto [ec, n] = co_await s.async_read_some(net::buffer(&c, 1), proxy::use_task);
    co_return ec;
}

} // namespace

TEST_CASE("io_deadline: expiry cancels the pending read, the socket stays open", "[component][proxy]")
{
    net::io_context ioc;
    auto [a, b] = test_support::socket_pair(ioc);
    proxy::io_deadline d(a);
    d.expires_after(50ms);
    auto t0 = std::chrono::steady_clock::now();
    auto ec = run(ioc, read_one(a));
    auto waited = std::chrono::steady_clock::now() - t0;
    CHECK(ec == net::error::operation_aborted);
    CHECK(d.fired());
    CHECK(waited >= 45ms);
    CHECK(waited < 1s);
    CHECK(a.is_open()); // a 408 can still be written
    d.expires_never();
    CHECK_FALSE(d.fired());
}

TEST_CASE("io_deadline: a later deadline is honoured by re-arming, an earlier one fires on time",
          "[component][proxy]")
{
    net::io_context ioc;
    auto [a, b] = test_support::socket_pair(ioc);
    proxy::io_deadline d(a);
    d.expires_after(30ms);  // the timer is armed for 30 ms...
    d.expires_after(150ms); // ...and the deadline moves on without touching it
    auto t0 = std::chrono::steady_clock::now();
    auto ec = run(ioc, read_one(a));
    auto waited = std::chrono::steady_clock::now() - t0;
    CHECK(ec == net::error::operation_aborted);
    CHECK(waited >= 140ms); // the early wake-up re-armed for the real deadline
    d.expires_after(10s);
    d.expires_after(40ms); // earlier than the armed time: re-armed at once
    t0 = std::chrono::steady_clock::now();
    ec = run(ioc, read_one(a));
    waited = std::chrono::steady_clock::now() - t0;
    CHECK(ec == net::error::operation_aborted);
    CHECK(waited < 1s);
}

TEST_CASE("io_deadline: a cap shortens every later deadline, never-expiring ones too, until uncap()",
          "[component][proxy]")
{
    net::io_context ioc;
    auto [a, b] = test_support::socket_pair(ioc);
    proxy::io_deadline d(a);
    auto t0 = std::chrono::steady_clock::now();
    d.cap_at(t0 + 80ms);
    d.expires_after(10s); // shortened to the cap
    auto ec = run(ioc, read_one(a));
    auto waited = std::chrono::steady_clock::now() - t0;
    CHECK(ec == net::error::operation_aborted);
    CHECK(d.fired());
    CHECK(waited >= 75ms);
    CHECK(waited < 1s);

    t0 = std::chrono::steady_clock::now();
    d.cap_at(t0 + 60ms);
    d.expires_never(); // "never" under a cap is the cap
    ec = run(ioc, read_one(a));
    CHECK(ec == net::error::operation_aborted);
    CHECK(std::chrono::steady_clock::now() - t0 < 1s);

    d.uncap(); // lifted: a later deadline holds again
    d.expires_after(2s);
    std::optional<beast::error_code> got;
    proxy::spawn(store(read_one(a), got), [](std::exception_ptr) {});
    net::steady_timer later(ioc, 150ms); // past any cap set above
    later.async_wait([&](beast::error_code) { b.write_some(net::buffer("x", 1)); });
    while (!got)
        ioc.run_one();
    CHECK_FALSE(*got);
    CHECK_FALSE(d.fired());
}

TEST_CASE("io_deadline: data before the deadline completes the read, and a destroyed deadline is inert",
          "[component][proxy]")
{
    net::io_context ioc;
    auto [a, b] = test_support::socket_pair(ioc);
    {
        proxy::io_deadline d(a);
        d.expires_after(2s);
        b.write_some(net::buffer("x", 1));
        std::optional<beast::error_code> got;
        proxy::spawn(store(read_one(a), got), [](std::exception_ptr) {});
        while (!got)
            ioc.run_one(); // not run(): the pending 2 s timer would keep it busy
        CHECK_FALSE(*got);
        CHECK_FALSE(d.fired());
    }
    // The timer's handler may still run after its owner is gone: it must touch nothing.
    net::steady_timer t(ioc, 20ms);
    t.async_wait([](beast::error_code) {});
    ioc.run();
    ioc.restart();
    b.write_some(net::buffer("y", 1));
    CHECK_FALSE(run(ioc, read_one(a)));
}

TEST_CASE("framing: consume drops written bytes across buffers, keeping the rest in order",
          "[component][proxy]")
{
    auto text = [](const proxy::framed_piece& p) {
        std::string s;
        for (auto b : p.buffers())
            s.append(static_cast<const char*>(b.data()), b.size());
        return s;
    };
    const std::string whole = "HEAD\r\n5\r\nhello\r\n0\r\n\r\n";
    for (std::size_t n = 0; n <= whole.size(); ++n) {
        proxy::framed_piece p("HEAD\r\n", "hello", 5, true, true);
        REQUIRE(text(p) == whole);
        p.consume(n);
        INFO(n);
        CHECK(text(p) == whole.substr(n));
        for (auto b : p.buffers())
            CHECK(b.size() > 0); // a written-out buffer is dropped, not left empty
    }
    proxy::framed_piece p("H", "ab", 2, false, true);
    p.consume(1);
    p.consume(1);
    CHECK(text(p) == "b");
}

namespace {

// Reads what `s` receives until the peer closes.
proxy::task<std::string> read_all(net::ip::tcp::socket& s)
{
    std::string got;
    char buf[4096];
    for (;;) {
        auto [ec, n] = co_await s.async_read_some(net::buffer(buf), proxy::use_task);
        got.append(buf, n);
        if (ec)
            co_return got;
    }
}

} // namespace

TEST_CASE("send_now: whole when the socket takes it, 0 and no error when its buffer is full, "
          "an error once the peer is gone",
          "[component][proxy]")
{
    net::io_context ioc;
    auto [a, b] = test_support::socket_pair(ioc);
    std::array<net::const_buffer, 3> three{net::buffer("one ", 4), net::buffer("two ", 4),
                                           net::buffer("three", 5)};
    beast::error_code ec;
    CHECK(proxy::send_now(a, three, ec) == 13);
    CHECK_FALSE(ec);
    char in[13];
    net::read(b, net::buffer(in));
    CHECK(std::string_view(in, 13) == "one two three");
    // Past 4 KiB the pieces go out as one gather write instead of being copied: the same bytes.
    std::string p1(3000, 'a'), p2(3000, 'b'), p3(10, 'c');
    std::array<net::const_buffer, 3> big{net::buffer(p1), net::buffer(p2), net::buffer(p3)};
    CHECK(proxy::send_now(a, big, ec) == 6010);
    CHECK_FALSE(ec);
    std::string back(6010, '\0');
    net::read(b, net::buffer(back));
    CHECK(back == p1 + p2 + p3);

    // Nobody reads b: the kernel's buffers fill, and send_now stops without blocking.
    std::string block(64 * 1024, 'x');
    std::array<net::const_buffer, 1> one{net::buffer(block)};
    std::size_t total = 0, n = 0;
    int zero_sends = 0;
    for (int i = 0; i < 10'000 && zero_sends == 0; ++i) {
        n = proxy::send_now(a, one, ec);
        REQUIRE_FALSE(ec);
        total += n;
        zero_sends += n == 0;
    }
    CHECK(zero_sends == 1);
    CHECK(total > 0);

    // The peer resets (closes with unread data): a send fails with a reset or a broken pipe,
    // reported in ec, and no SIGPIPE kills the test.
    b.close();
    std::size_t sent = 0;
    for (int i = 0; i < 100 && !ec; ++i) {
        sent = proxy::send_now(a, one, ec);
        if (!ec)
            std::this_thread::sleep_for(1ms);
    }
    CHECK(sent == 0);
    CHECK((ec == net::error::connection_reset || ec == net::error::broken_pipe));
}

TEST_CASE("relay: a body larger than the socket's send buffer reaches a slow client whole and in "
          "order, the rest of each piece written asynchronously",
          "[component][proxy]")
{
    net::io_context ioc;
    auto [proxy_side, client_side] = test_support::socket_pair(ioc);
    // A small send buffer: every 256 KiB piece goes out partly at once and the rest asynchronously.
    // (Not a small receive buffer too: with a window under one loopback MSS, TCP stalls on its
    // persist timer.)
    proxy_side.set_option(net::socket_base::send_buffer_size(4096));

    std::string body;
    for (std::size_t i = 0; body.size() < 3 * 1024 * 1024; ++i)
        body += std::to_string(i) + ',';
    std::string response =
        "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    test::stream up_server(ioc), up_proxy(ioc);
    up_server.connect(up_proxy);
    up_proxy.read_size(256 * 1024); // pieces far larger than the socket can take at once
    up_server.write_some(net::buffer(response));
    up_server.close();

    std::optional<std::string> received;
    proxy::spawn(store(read_all(client_side), received), [](std::exception_ptr) {});
    std::vector<char> piece(256 * 1024);
    bool complete = false;
    auto relay_all = [&]() -> proxy::task<void> {
        beast::flat_buffer buf;
        no_timer t;
        task_stream up{up_proxy};
        auto h = co_await proxy::read_head(up, t, buf, 64 * 1024, 1000ms, 1000ms);
        REQUIRE(h.status == proxy::head_status::ok);
        proxy::http1::response_head head;
        REQUIRE(proxy::http1::parse_response({static_cast<const char*>(buf.data().data()), h.length}, head));
        auto framing = proxy::http1::response_framing(head, false);
        REQUIRE(framing);
        buf.consume(h.length);
        no_timer up_t, down_t;
        auto r = co_await proxy::relay_body(
            up, buf, up_t, proxy_side, down_t,
            proxy::body_relay_params{*framing, true, "HTTP/1.1 200 OK\r\n\r\n", 1024, 1000ms, 1000ms},
            [&piece] { return std::span<char>(piece.data(), piece.size()); });
        complete = r.outcome == proxy::body_outcome::complete;
        proxy_side.shutdown(net::socket_base::shutdown_send);
    };
    proxy::spawn(relay_all(), [](std::exception_ptr) {});
    ioc.run();
    CHECK(complete);
    REQUIRE(received);
    REQUIRE(received->starts_with("HTTP/1.1 200 OK\r\n\r\n"));
    std::string dechunked, rest = received->substr(19);
    for (;;) {
        auto eol = rest.find("\r\n");
        REQUIRE(eol != std::string::npos);
        auto size = std::stoul(rest.substr(0, eol), nullptr, 16);
        if (size == 0)
            break;
        dechunked += rest.substr(eol + 2, size);
        rest = rest.substr(eol + 2 + size + 2);
    }
    CHECK(dechunked.size() == body.size());
    CHECK(dechunked == body);
}
