// Test HTTP client built on Beast, driven by a private io_context with run_for() deadlines.
#include "tests/support/http_client.hpp"

#include "common/net.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace test_support {

using tcp = net::ip::tcp;
using clock_type = std::chrono::steady_clock;

std::string http_reply::header(const std::string& name) const
{
    auto it = headers.find(name);
    return it == headers.end() ? std::string{} : it->second;
}

struct http_connection::impl
{
    net::io_context ioc{1};
    tcp::socket socket{ioc};
    beast::flat_buffer buffer;

    // Runs the io_context until `done` or the deadline; throws on timeout.
    void run_until(const bool& done, std::chrono::milliseconds timeout, const char* what)
    {
        ioc.restart();
        auto deadline = clock_type::now() + timeout;
        while (!done && clock_type::now() < deadline)
            ioc.run_one_until(deadline);
        if (!done) {
            beast::error_code ignored;
            socket.close(ignored);
            ioc.restart();
            ioc.poll();
            throw std::runtime_error(std::string("test client: timeout while ") + what);
        }
    }
};

namespace {

http::request<http::string_body> make_request(const request_options& opts, std::uint16_t port)
{
    http::request<http::string_body> req;
    req.method_string(opts.method);
    req.target(opts.target);
    req.version(11);
    bool has_host = false;
    for (const auto& [k, v] : opts.headers) {
        has_host = has_host || beast::iequals(k, "host");
        req.insert(k, v);
    }
    if (!has_host)
        req.set(http::field::host, opts.host + ":" + std::to_string(port));
    req.body() = opts.body;
    if (!opts.body.empty() || opts.method == "POST" || opts.method == "PUT" || opts.method == "PATCH")
        req.prepare_payload();
    return req;
}

void copy_head(const http::response_header<>& h, http_reply& out)
{
    out.status = h.result_int();
    for (const auto& f : h) {
        std::string name(f.name_string());
        for (auto& c : name)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        out.headers.emplace(std::move(name), std::string(f.value()));
    }
}

} // namespace

http_connection::http_connection(std::uint16_t port, std::string host) : impl_(new impl)
{
    bool done = false;
    beast::error_code result;
    tcp::endpoint ep(net::ip::make_address(host), port);
    impl_->socket.async_connect(ep, [&](beast::error_code ec) {
        result = ec;
        done = true;
    });
    try {
        impl_->run_until(done, 5s, "connecting");
    } catch (...) {
        delete impl_;
        throw;
    }
    if (result) {
        delete impl_;
        throw std::runtime_error("test client: connect to port " + std::to_string(port) + ": " +
                                 result.message());
    }
    impl_->socket.set_option(tcp::no_delay(true));
    port_ = port;
}

http_connection::~http_connection()
{
    delete impl_;
}

http_reply http_connection::request(const request_options& opts)
{
    auto s = request_streamed(opts);
    if (!s.complete)
        throw std::runtime_error("test client: connection ended before the response did");
    return s.head;
}

streamed_reply http_connection::request_streamed(const request_options& opts)
{
    auto req = make_request(opts, port_);
    streamed_reply out;
    bool done = false;
    beast::error_code result;
    const auto start = clock_type::now();
    auto since = [&] {
        return std::chrono::duration_cast<std::chrono::microseconds>(clock_type::now() - start);
    };

    http::response_parser<http::buffer_body> parser;
    parser.body_limit(boost::none);
    if (opts.method == "HEAD")
        parser.skip(true);
    char piece[65536];

    // Write, read the header, then read body pieces one by one, timestamping each.
    std::function<void()> read_body = [&] {
        parser.get().body().data = piece;
        parser.get().body().size = sizeof piece;
        http::async_read_some(impl_->socket, impl_->buffer, parser, [&](beast::error_code ec, std::size_t) {
            std::size_t n = sizeof piece - parser.get().body().size;
            if (n > 0) {
                out.pieces.push_back({since(), std::string(piece, n)});
                out.head.body.append(piece, n);
            }
            if (ec == http::error::need_buffer)
                ec = {};
            if (ec || parser.is_done()) {
                result = ec;
                out.complete = !ec && parser.is_done();
                done = true;
                return;
            }
            read_body();
        });
    };
    http::async_write(impl_->socket, req, [&](beast::error_code ec, std::size_t) {
        if (ec) {
            result = ec;
            done = true;
            return;
        }
        http::async_read_header(impl_->socket, impl_->buffer, parser,
                                [&](beast::error_code ec2, std::size_t) {
                                    if (ec2) {
                                        result = ec2;
                                        done = true;
                                        return;
                                    }
                                    out.headers_at = since();
                                    copy_head(parser.get().base(), out.head);
                                    out.head.keep_alive = parser.get().keep_alive();
                                    if (parser.is_done()) {
                                        out.complete = true;
                                        done = true;
                                        return;
                                    }
                                    read_body();
                                });
    });
    impl_->run_until(done, opts.timeout, "waiting for the response");
    if (result && out.head.status == 0)
        throw std::runtime_error("test client: " + result.message());
    return out;
}

std::string http_connection::raw_exchange(const std::string& bytes, std::chrono::milliseconds timeout)
{
    std::string received;
    bool done = false;
    char chunk[8192];
    std::function<void()> read_more = [&] {
        impl_->socket.async_read_some(net::buffer(chunk), [&](beast::error_code ec, std::size_t n) {
            received.append(chunk, n);
            if (ec) {
                done = true;
                return;
            }
            read_more();
        });
    };
    net::async_write(impl_->socket, net::buffer(bytes), [&](beast::error_code ec, std::size_t) {
        if (ec) {
            done = true;
            return;
        }
        read_more();
    });
    impl_->ioc.restart();
    impl_->ioc.run_for(timeout);
    if (!done) {
        beast::error_code ignored;
        impl_->socket.close(ignored);
        impl_->ioc.restart();
        impl_->ioc.poll();
    }
    return received;
}

bool http_connection::closed_by_peer(std::chrono::milliseconds wait)
{
    bool done = false;
    bool closed = false;
    char byte;
    impl_->socket.async_read_some(net::buffer(&byte, 1), [&](beast::error_code ec, std::size_t) {
        closed = static_cast<bool>(ec);
        done = true;
    });
    impl_->ioc.restart();
    impl_->ioc.run_for(wait);
    if (!done) {
        impl_->socket.cancel();
        impl_->ioc.restart();
        impl_->ioc.poll();
    }
    return closed;
}

std::uint64_t mock_requests_seen(std::uint16_t mock_port)
{
    request_options o;
    o.target = "/stats";
    o.timeout = 2s;
    const auto stats = nlohmann::json::parse(http_request(mock_port, o).body);
    auto total = stats.at("requests_total").get<std::uint64_t>();
    if (const auto& routes = stats.at("requests"); routes.contains("stats"))
        for (const auto& [status, n] : routes.at("stats").items())
            total -= n.get<std::uint64_t>();
    return total;
}

http_reply http_request(std::uint16_t port, const request_options& opts)
{
    http_connection c(port, opts.host);
    return c.request(opts);
}

streamed_reply http_request_streamed(std::uint16_t port, const request_options& opts)
{
    http_connection c(port, opts.host);
    return c.request_streamed(opts);
}

std::string raw_request(std::uint16_t port, const std::string& bytes, std::chrono::milliseconds timeout)
{
    http_connection c(port);
    return c.raw_exchange(bytes, timeout);
}

} // namespace test_support
