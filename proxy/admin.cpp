// Admin endpoints. Runs on the first worker's thread; reads every worker's counters (relaxed
// atomics written by their owners), never touches their pools or sessions. /readyz checks the
// upstreams with its own connections, never pooled ones.
#include "proxy/admin.hpp"

#include "common/openai_error.hpp"
#include "proxy/header_rewrite.hpp"
#include "proxy/metrics.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <cmath>
#include <memory>
#include <nlohmann/json.hpp>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <optional>

namespace proxy {
namespace {

using clock = std::chrono::steady_clock;

// Budget of one upstream's check (resolve, connect, TLS handshake), and of the whole /readyz:
// every upstream is checked at once, so a few hanging ones cost one budget, not one each.
constexpr std::chrono::milliseconds probe_budget{1000};
constexpr std::chrono::milliseconds readyz_budget{1200};

struct probe_result
{
    bool ready = false;
    std::string failed; // "" | "resolve" | "connect" | "tls": the step that failed
    std::string error;  // what went wrong, for people (no URL, no header, no key)
    double ms = 0;
};

// The I/O objects of one check, shared with its deadline's handler (which may run after the
// check's coroutine has finished).
struct probe_io
{
    probe_io(net::any_io_executor ex, net::ssl::context* tls) : resolver(ex), timer(ex)
    {
        if (tls)
            tls_stream.emplace(ex, *tls);
        else
            plain.emplace(ex);
    }
    net::ip::tcp::socket& socket() { return tls_stream ? tls_stream->next_layer() : *plain; }

    net::ip::tcp::resolver resolver;
    net::steady_timer timer;
    std::optional<net::ip::tcp::socket> plain;
    std::optional<net::ssl::stream<net::ip::tcp::socket>> tls_stream;
    bool timed_out = false;
};

// The TLS client context of the checks, set up as each worker's (worker.cpp): system store plus
// --ca-file, peer verification. Built on the first check of an HTTPS upstream (loading the
// system store costs ~50 ms of CPU), then kept. Only the admin's thread uses it.
net::ssl::context& probe_tls_context(const config& cfg)
{
    static net::ssl::context ctx = [&cfg] {
        net::ssl::context c(net::ssl::context::tls_client);
        c.set_default_verify_paths();
        if (!cfg.ca_file.empty())
            c.load_verify_file(cfg.ca_file);
        c.set_verify_mode(net::ssl::verify_peer);
        return c;
    }();
    return ctx;
}

// What a failed handshake tells an operator: OpenSSL's verification verdict when the
// certificate was refused ("unable to get local issuer certificate", "hostname mismatch"...),
// else the error's text.
std::string tls_error_text(net::ssl::stream<net::ip::tcp::socket>& s, const beast::error_code& ec)
{
    auto verdict = SSL_get_verify_result(s.native_handle());
    if (verdict != X509_V_OK)
        return std::string("certificate verification failed: ") + X509_verify_cert_error_string(verdict);
    return ec.message();
}

// Checks one upstream exactly as the data path connects to it (upstream_pool.cpp connect_once):
// TCP connect to the first endpoint that accepts, then for HTTPS the handshake with SNI, peer
// verification and host name verification. Bounded by probe_budget as a whole.
common::task<probe_result> probe(common::url u, net::ssl::context* tls)
{
    auto t0 = clock::now();
    auto io = std::make_shared<probe_io>(co_await net::this_coro::executor, tls);
    io->timer.expires_after(probe_budget);
    io->timer.async_wait([io](const beast::error_code& ec) {
        if (ec)
            return;
        io->timed_out = true;
        io->resolver.cancel();
        beast::error_code ignored;
        io->socket().close(ignored);
    });
    probe_result r;
    auto finish = [&](const char* failed, std::string error) {
        r.ready = failed == nullptr;
        r.failed = failed ? failed : "";
        r.error = io->timed_out ? "no answer within " + std::to_string(probe_budget.count()) + " ms"
                                : std::move(error);
        r.ms = std::chrono::duration<double, std::milli>(clock::now() - t0).count();
        io->timer.cancel();
        return r;
    };

    auto [rec, results] =
        co_await io->resolver.async_resolve(u.host, std::to_string(u.port), common::use_nothrow);
    if (rec)
        co_return finish("resolve", rec.message());
    beast::error_code ec = net::error::host_not_found;
    for (const auto& e : results) {
        if (io->timed_out)
            break;
        beast::error_code ignored;
        io->socket().close(ignored);
        std::tie(ec) = co_await io->socket().async_connect(e.endpoint(), common::use_nothrow);
        if (!ec)
            break;
    }
    if (ec || io->timed_out)
        co_return finish("connect", ec.message());
    if (auto& t = io->tls_stream) {
        if (!SSL_set_tlsext_host_name(t->native_handle(), u.host.c_str()))
            co_return finish("tls", "cannot set the SNI host name");
        t->set_verify_mode(net::ssl::verify_peer);
        t->set_verify_callback(net::ssl::host_name_verification(u.host));
        auto [hec] = co_await t->async_handshake(net::ssl::stream_base::client, common::use_nothrow);
        if (hec || io->timed_out)
            co_return finish("tls", tls_error_text(*t, hec));
    }
    beast::error_code ignored;
    io->socket().close(ignored);
    co_return finish(nullptr, "");
}

// The results of the checks started by one /readyz; the handler of each check writes its slot.
struct readiness
{
    explicit readiness(net::any_io_executor ex, std::size_t n) : done(ex), results(n), finished(n, false) {}
    net::steady_timer done;
    std::vector<probe_result> results;
    std::vector<bool> finished;
    std::size_t left = 0;
};

// Checks every upstream concurrently; answers within readyz_budget whatever the upstreams do.
common::task<std::pair<bool, nlohmann::json>> check_upstreams(const config& cfg)
{
    auto ex = co_await net::this_coro::executor;
    auto state = std::make_shared<readiness>(ex, cfg.providers.size());
    state->left = cfg.providers.size();
    for (std::size_t i = 0; i < cfg.providers.size(); ++i) {
        const auto& u = cfg.providers[i].upstream;
        net::co_spawn(ex, probe(u, u.tls() ? &probe_tls_context(cfg) : nullptr),
                      [state, i](const std::exception_ptr& e, probe_result r) {
                          if (e) {
                              r = {};
                              r.failed = "internal";
                              r.error = "check failed";
                          }
                          state->results[i] = std::move(r);
                          state->finished[i] = true;
                          if (--state->left == 0)
                              state->done.cancel();
                      });
    }
    state->done.expires_after(readyz_budget);
    if (state->left > 0)
        co_await state->done.async_wait(common::use_nothrow);
    bool all = true;
    nlohmann::json upstreams = nlohmann::json::object();
    for (std::size_t i = 0; i < cfg.providers.size(); ++i) {
        const auto& r = state->results[i];
        nlohmann::json j;
        j["scheme"] = cfg.providers[i].upstream.scheme;
        if (!state->finished[i]) {
            j["ready"] = false;
            j["failed"] = "timeout";
            j["error"] = "no answer within " + std::to_string(readyz_budget.count()) + " ms";
        } else {
            j["ready"] = r.ready;
            if (!r.ready) {
                j["failed"] = r.failed;
                j["error"] = r.error;
            }
            j["ms"] = std::round(r.ms * 10) / 10;
        }
        all = all && j["ready"].get<bool>();
        upstreams[cfg.providers[i].name] = std::move(j);
    }
    co_return std::pair{all,
                        nlohmann::json{{"status", all ? "ready" : "not_ready"}, {"upstreams", upstreams}}};
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
            auto [all, j] = co_await check_upstreams(cfg);
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
