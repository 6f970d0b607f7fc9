// Upstream connect (TCP, TLS with SNI and verification), stale checks and the pool's I/O side.
#include "proxy/upstream_pool.hpp"

#include "proxy/send_now.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/core/error.hpp>
#include <openssl/ssl.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <tuple>

namespace proxy {

upstream_connection::upstream_connection(net::any_io_executor ex, net::ssl::context* tls)
{
    if (tls)
        tls_ = std::make_unique<tls_stream>(ex, *tls);
    else
        plain_.emplace(ex);
    deadline_ = std::make_unique<io_deadline>(socket());
}

std::size_t send_now(upstream_connection& c, std::span<const net::const_buffer> bufs,
                     boost::system::error_code& ec)
{
    return c.tls() ? 0 : send_now(c.socket(), bufs, ec);
}

bool upstream_connection::stale(std::chrono::steady_clock::time_point now, bool always_peek)
{
    if (buffer.size() != 0)
        return true;
    auto& s = socket();
    if (!s.is_open())
        return true;
    if (!always_peek && now - idle_since < peek_after)
        return false;
    char c;
    ssize_t n = ::recv(s.native_handle(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0)
        return true; // the upstream closed it
    if (n < 0)
        return errno != EAGAIN && errno != EWOULDBLOCK;
    // Unsolicited bytes on an idle connection: a TLS session ticket or close_notify may arrive
    // here for TLS, which is harmless only when parsed by OpenSSL; be safe and drop it.
    return true;
}

void upstream_connection::close()
{
    beast::error_code ec;
    socket().shutdown(net::ip::tcp::socket::shutdown_both, ec);
    socket().close(ec);
}

lease& lease::operator=(lease&& o) noexcept
{
    release(false);
    pool_ = std::exchange(o.pool_, nullptr);
    conn_ = std::move(o.conn_);
    return *this;
}

void lease::release(bool reusable, std::optional<std::chrono::steady_clock::time_point> now)
{
    if (pool_ && conn_)
        pool_->give_back(std::move(conn_), reusable, now ? *now : std::chrono::steady_clock::now());
    pool_ = nullptr;
    conn_.reset();
}

upstream_pool::upstream_pool(const provider_config& provider, const config& cfg, net::any_io_executor ex,
                             net::ssl::context* tls, provider_metrics& m)
    : provider_(provider), cfg_(cfg), ex_(std::move(ex)), tls_(provider.upstream.tls() ? tls : nullptr),
      metrics_(m), core_(pool_limits{cfg.pool_max_connections, cfg.pool_max_idle, cfg.pool_idle_timeout})
{}

void upstream_pool::update_gauges()
{
    metrics_.pool_idle.store(core_.idle(), std::memory_order_relaxed);
    metrics_.pool_busy.store(core_.busy(), std::memory_order_relaxed);
}

void upstream_pool::give_back(std::unique_ptr<upstream_connection> c, bool reusable,
                              std::chrono::steady_clock::time_point now)
{
    if (reusable) {
        c->deadline().uncap();
        c->deadline().expires_never();
        c->reused = true;
        c->idle_since = now;
    }
    if (auto dropped = core_.release(std::move(c), reusable, now))
        (*dropped)->close();
    update_gauges();
}

void upstream_pool::sweep()
{
    core_.expire(std::chrono::steady_clock::now());
    update_gauges();
}

void upstream_pool::close()
{
    core_.close();
    update_gauges();
}

std::optional<acquire_result> upstream_pool::acquire_idle(std::chrono::steady_clock::time_point now,
                                                          bool fresh_only, bool replayable)
{
    for (;;) {
        auto got = core_.acquire(now);
        if (got.what == decltype(core_)::verdict::exhausted) {
            update_gauges();
            return acquire_result{{}, proxy_errc::overloaded, upstream_error_kind::pool_exhausted};
        }
        if (got.what == decltype(core_)::verdict::connect)
            return std::nullopt;
        auto& c = *got.conn;
        if (fresh_only || c->stale(now, !replayable)) {
            core_.discard();
            c->close();
            continue;
        }
        update_gauges();
        return acquire_result{lease(this, std::move(c)), std::nullopt, {}};
    }
}

task<acquire_result> upstream_pool::connect(std::chrono::steady_clock::time_point due)
{
    auto r = co_await connect_once(due);
    if (!r.conn && r.error != proxy_errc::upstream_timeout) {
        // One retry of a failed connect (a refused one fails again within milliseconds).
        bump(metrics_.retries);
        r = co_await connect_once(due);
    }
    if (!r.conn)
        core_.connect_failed();
    update_gauges();
    co_return r;
}

task<acquire_result> upstream_pool::connect_once(std::chrono::steady_clock::time_point due)
{
    using net::ip::tcp;
    const auto& u = provider_.upstream;
    auto now = std::chrono::steady_clock::now();
    if (endpoints_.empty() || now - resolved_at_ > std::chrono::seconds(30)) {
        beast::error_code ec;
        auto addr = net::ip::make_address(u.host, ec);
        endpoints_.clear();
        if (!ec) {
            endpoints_.emplace_back(addr, u.port);
        } else {
            tcp::resolver resolver(ex_);
            auto [rec, results] = co_await resolver.async_resolve(u.host, std::to_string(u.port), use_task);
            if (rec)
                co_return acquire_result{
                    {}, proxy_errc::upstream_unreachable, upstream_error_kind::connect_failed};
            for (const auto& e : results)
                endpoints_.push_back(e.endpoint());
        }
        resolved_at_ = now;
    }
    auto conn = std::make_unique<upstream_connection>(ex_, tls_);
    auto& deadline = conn->deadline();
    deadline.cap_at(due);
    deadline.expires_after(cfg_.connect_timeout); // connect and TLS handshake together
    beast::error_code ec = net::error::host_not_found;
    for (const auto& ep : endpoints_) {
        if (deadline.fired())
            break;
        beast::error_code ignored;
        conn->socket().close(ignored);
        std::tie(ec) = co_await conn->socket().async_connect(ep, use_task);
        if (!ec)
            break;
    }
    // A connect cut short by the request's own deadline is that deadline's doing.
    auto timed_out = [&] {
        return std::chrono::steady_clock::now() >= due ? upstream_error_kind::request_timeout
                                                       : upstream_error_kind::connect_timeout;
    };
    if (ec) {
        auto kind = deadline.fired()                       ? timed_out()
                    : ec == net::error::connection_refused ? upstream_error_kind::connect_refused
                                                           : upstream_error_kind::connect_failed;
        bump(metrics_.upstream_errors[static_cast<std::size_t>(kind)]);
        SPDLOG_DEBUG("upstream {} connect failed: {}", provider_.name, ec.message());
        co_return acquire_result{
            {}, deadline.fired() ? proxy_errc::upstream_timeout : proxy_errc::upstream_unreachable, kind};
    }
    conn->socket().set_option(tcp::no_delay(true), ec);
    if (auto* t = conn->tls()) {
        if (!SSL_set_tlsext_host_name(t->native_handle(), u.host.c_str()))
            co_return acquire_result{
                {}, proxy_errc::upstream_unreachable, upstream_error_kind::tls_handshake};
        t->set_verify_mode(net::ssl::verify_peer);
        t->set_verify_callback(net::ssl::host_name_verification(u.host));
        auto [hec] = co_await t->async_handshake(net::ssl::stream_base::client, use_task);
        if (hec) {
            auto kind = deadline.fired() ? timed_out() : upstream_error_kind::tls_handshake;
            bump(metrics_.upstream_errors[static_cast<std::size_t>(kind)]);
            spdlog::warn("upstream {} TLS handshake failed: {}", provider_.name, hec.message());
            co_return acquire_result{
                {}, deadline.fired() ? proxy_errc::upstream_timeout : proxy_errc::upstream_unreachable, kind};
        }
    }
    deadline.expires_never();
    bump(metrics_.pool_connects);
    co_return acquire_result{lease(this, std::move(conn)), std::nullopt, {}};
}

} // namespace proxy
