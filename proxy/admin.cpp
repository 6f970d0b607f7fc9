// Admin endpoints. Runs on the first worker's thread; reads every worker's counters (relaxed
// atomics written by their owners), never touches their pools or sessions.
#include "proxy/admin.hpp"

#include "common/openai_error.hpp"
#include "proxy/header_rewrite.hpp"
#include "proxy/metrics.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <nlohmann/json.hpp>

namespace proxy {
namespace {

// Connects to the upstream's TCP address within one second.
common::task<bool> reachable(const common::url& u)
{
    auto ex = co_await net::this_coro::executor;
    net::ip::tcp::resolver resolver(ex);
    auto [rec, results] =
        co_await resolver.async_resolve(u.host, std::to_string(u.port), common::use_nothrow);
    if (rec)
        co_return false;
    beast::tcp_stream s(ex);
    s.expires_after(std::chrono::seconds(1));
    auto [ec, ep] = co_await s.async_connect(results, common::use_nothrow);
    co_return !ec;
}

} // namespace

common::task<void> admin_session(const config& cfg, std::vector<const worker_metrics*> workers,
                                 net::ip::tcp::socket socket)
{
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buf;
    std::vector<std::string> names;
    for (const auto& p : cfg.providers)
        names.push_back(p.name);
    for (;;) {
        auto t0 = std::chrono::steady_clock::now();
        http::request<http::string_body> req;
        stream.expires_after(std::chrono::seconds(30));
        auto [ec, n] = co_await http::async_read(stream, buf, req, common::use_nothrow);
        if (ec)
            break;
        http::response<http::string_body> res{http::status::ok, 11};
        auto path = std::string_view(req.target().data(), req.target().size());
        path = path.substr(0, path.find('?'));
        if (req.method() != http::verb::get && req.method() != http::verb::head) {
            res.result(http::status::method_not_allowed);
            res.body() = common::openai_error_body(405, "admin endpoints accept GET", "method_not_allowed");
        } else if (path == "/healthz") {
            res.body() = R"({"status":"ok"})";
        } else if (path == "/readyz") {
            nlohmann::json j;
            bool all = true;
            for (const auto& p : cfg.providers) {
                bool up = co_await reachable(p.upstream);
                all = all && up;
                j["upstreams"][p.name] = up ? "reachable" : "unreachable";
            }
            j["status"] = all ? "ready" : "not_ready";
            res.result(all ? http::status::ok : http::status::service_unavailable);
            res.body() = j.dump();
        } else if (path == "/metrics") {
            res.set(http::field::content_type, "text/plain; version=0.0.4");
            res.body() = render_metrics(workers, names);
        } else {
            res.result(http::status::not_found);
            res.body() =
                common::openai_error_body(404, "admin endpoints: /healthz /readyz /metrics", "not_found");
        }
        if (!res.count(http::field::content_type))
            res.set(http::field::content_type, "application/json");
        res.set("X-Request-Id", make_request_id());
        res.set(
            "Server-Timing",
            server_timing_value(
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count()));
        res.keep_alive(req.keep_alive());
        res.prepare_payload();
        stream.expires_after(std::chrono::seconds(30));
        auto [wec, wn] = co_await http::async_write(stream, res, common::use_nothrow);
        if (wec || !req.keep_alive())
            break;
    }
    beast::error_code ec;
    stream.socket().shutdown(net::ip::tcp::socket::shutdown_both, ec);
}

} // namespace proxy
