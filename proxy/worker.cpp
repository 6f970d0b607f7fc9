// Workers: listeners, accept loops, the pool sweep, shutdown and draining.
#include "proxy/worker.hpp"

#include "common/logging.hpp"
#include "proxy/admin.hpp"
#include "proxy/client_session.hpp"
#include "proxy/relay.hpp"
#include "proxy/upstream_pool.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdio>
#include <spdlog/spdlog.h>
#include <stdexcept>
#include <thread>

namespace proxy {
namespace {

std::unique_ptr<net::ip::tcp::acceptor> bind_acceptor(net::io_context& ioc, const std::string& bind,
                                                      std::uint16_t port)
{
    using net::ip::tcp;
    tcp::endpoint ep(net::ip::make_address(bind), port);
    auto a = std::make_unique<tcp::acceptor>(ioc);
    a->open(ep.protocol());
    a->set_option(net::socket_base::reuse_address(true));
    int one = 1;
    if (::setsockopt(a->native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0)
        throw std::runtime_error("SO_REUSEPORT not supported");
    a->bind(ep);
    a->listen(net::socket_base::max_listen_connections);
    return a;
}

} // namespace

// The io_context runs on one thread; UNSAFE_IO drops the reactor's per-socket locks (callgrind:
// ~1.5k instructions per request) while keeping post() from the signal thread safe.
worker::worker(const config& cfg, std::size_t index)
    : cfg_(cfg), index_(index),
      ioc_(std::make_unique<net::io_context>(BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO)),
      metrics_(std::make_unique<worker_metrics>(cfg.providers.size())), tls_(net::ssl::context::tls_client)
{
    // Loading the system CA store costs ~240M instructions and several MB per worker: only
    // when some upstream is HTTPS.
    bool any_tls = false;
    for (const auto& p : cfg.providers)
        any_tls = any_tls || p.upstream.tls();
    if (any_tls) {
        tls_.set_default_verify_paths();
        if (!cfg.ca_file.empty())
            tls_.load_verify_file(cfg.ca_file);
    }
    tls_.set_verify_mode(net::ssl::verify_peer);
    for (std::size_t i = 0; i < cfg.providers.size(); ++i)
        pools_.push_back(std::make_unique<upstream_pool>(cfg.providers[i], cfg, ioc_->get_executor(), &tls_,
                                                         metrics_->per_provider[i]));
    ctx_ = std::make_unique<worker_context>(
        worker_context{.cfg = cfg, .ioc = *ioc_, .metrics = *metrics_, .pools = pools_, .owner = this});
    for (const auto& p : cfg.providers)
        ctx_->host_headers.push_back(p.upstream.host_header()); // not rebuilt per request
    ctx_->max_sessions = (cfg.max_client_connections + cfg.threads - 1) / cfg.threads;
    ctx_->retry_body_free = (cfg.retry_body_memory + cfg.threads - 1) / cfg.threads;
    ctx_->session_ended = &worker::on_session_ended;
    ctx_->wake_parked = &worker::on_wake_parked;
}

worker::~worker()
{
    // Order matters: idle pooled sockets go while their io_context lives; then the io_context
    // destroys the remaining coroutine frames (their leases see closed pools) before the pools.
    for (auto& p : pools_)
        p->close();
    acceptors_.clear();
    admin_acceptor_.reset();
    sweep_timer_.reset();
    watch_timer_.reset();
    drain_timer_.reset();
    ioc_.reset();
}

std::uint16_t worker::listen(std::size_t provider, std::uint16_t port)
{
    auto a = bind_acceptor(*ioc_, cfg_.bind, port);
    auto bound = a->local_endpoint().port();
    acceptors_.emplace_back(provider, std::move(a));
    return bound;
}

std::uint16_t worker::listen_admin(std::uint16_t port, std::vector<worker*> all)
{
    admin_acceptor_ = bind_acceptor(*ioc_, cfg_.bind, port);
    all_workers_ = std::move(all);
    return admin_acceptor_->local_endpoint().port();
}

common::task<void> worker::accept_loop(std::size_t provider, net::ip::tcp::acceptor& acceptor)
{
    for (;;) {
        auto [ec, socket] = co_await acceptor.async_accept(common::use_nothrow);
        if (ec == net::error::operation_aborted || ctx_->stopping)
            co_return;
        if (ec) {
            spdlog::warn("accept failed: {}", ec.message()); // EMFILE...: back off a little
            net::steady_timer t(*ioc_, std::chrono::milliseconds(50));
            co_await t.async_wait(common::use_nothrow);
            continue;
        }
        bump(metrics_->accepted_connections);
        if (ctx_->sessions.size() >= ctx_->max_sessions) {
            bump(metrics_->rejected_connections);
            refuse_connection(socket);
            continue;
        }
        spawn(run_session(*ctx_, provider, std::move(socket)), common::log_coroutine_exception);
    }
}

common::task<void> worker::admin_loop()
{
    std::vector<const worker_metrics*> all;
    for (auto* w : all_workers_)
        all.push_back(w->metrics_.get());
    for (;;) {
        auto [ec, socket] = co_await admin_acceptor_->async_accept(common::use_nothrow);
        if (ec == net::error::operation_aborted || ctx_->stopping)
            co_return;
        if (!ec)
            net::co_spawn(*ioc_, admin_session(cfg_, all, std::move(socket)),
                          common::log_coroutine_exception);
    }
}

// One wait of a periodic worker timer: `period`, or, when `park`, until on_wake_parked cancels
// it (`parked` tells it to). True when the period elapsed and the worker is not stopping: the
// caller does its tick's work; false when it was woken (it re-decides) or is stopping.
common::task<bool> worker::tick_or_park(net::steady_timer& timer, bool& parked, bool park,
                                        std::chrono::steady_clock::duration period)
{
    parked = park;
    if (park)
        timer.expires_at(net::steady_timer::time_point::max());
    else
        timer.expires_after(period);
    auto [ec] = co_await timer.async_wait(common::use_nothrow);
    co_return !ec && !ctx_->stopping;
}

// Closes idle pooled connections past their timeout. Parks while no pool holds an idle
// connection and no request is in its upstream phase (only such a request can give one back).
common::task<void> worker::sweep_loop()
{
    auto period = std::max(std::chrono::milliseconds(100), cfg_.pool_idle_timeout / 4);
    sweep_timer_ = std::make_unique<net::steady_timer>(*ioc_);
    while (!ctx_->stopping) {
        bool idle = ctx_->requests_in_upstream == 0;
        for (auto& p : pools_)
            idle = idle && p->idle_count() == 0;
        bool ticked = co_await tick_or_park(*sweep_timer_, ctx_->sweep_parked, idle, period);
        if (ticked)
            for (auto& p : pools_)
                p->sweep();
    }
}

// Arms the client-disconnect watch of requests that have been in their upstream phase for at
// least a tick: a client that goes away during a long generation is noticed at once, and the
// many short requests never pay for the watch. Parks while no request is in its upstream phase.
common::task<void> worker::watch_loop()
{
    watch_timer_ = std::make_unique<net::steady_timer>(*ioc_);
    while (!ctx_->stopping) {
        bool ticked = co_await tick_or_park(*watch_timer_, ctx_->watch_parked,
                                            ctx_->requests_in_upstream == 0, watch_tick);
        if (!ticked)
            continue;
        auto due = std::chrono::steady_clock::now() - watch_tick;
        for (auto& s : ctx_->sessions) {
            auto* rs = s.request;
            if (rs && rs->in_upstream && rs->upstream_since <= due && !rs->watch->armed && !rs->watch->fired)
                arm_client_watch(*rs);
        }
    }
}

void worker::on_wake_parked(worker_context& w)
{
    auto* self = static_cast<worker*>(w.owner);
    if (w.watch_parked) {
        w.watch_parked = false;
        self->watch_timer_->cancel();
    }
    if (w.sweep_parked) {
        w.sweep_parked = false;
        self->sweep_timer_->cancel();
    }
}

void worker::on_session_ended(worker_context& w)
{
    if (w.stopping && w.sessions.empty())
        w.ioc.stop();
}

void worker::begin_shutdown()
{
    if (ctx_->stopping)
        return;
    ctx_->stopping = true;
    beast::error_code ec;
    for (auto& [p, a] : acceptors_)
        a->close(ec);
    if (admin_acceptor_)
        admin_acceptor_->close(ec);
    if (sweep_timer_)
        sweep_timer_->cancel();
    if (watch_timer_)
        watch_timer_->cancel();
    for (auto& p : pools_)
        p->close();
    // Idle keep-alive connections close now; busy ones finish their response (Connection: close).
    for (auto& s : ctx_->sessions)
        if (s.idle)
            s.socket->cancel(ec);
    if (ctx_->sessions.empty()) {
        ioc_->stop();
        return;
    }
    drain_timer_ = std::make_unique<net::steady_timer>(*ioc_, cfg_.drain_timeout);
    drain_timer_->async_wait([this](beast::error_code e) {
        if (!e) {
            spdlog::warn("drain timeout: {} connection(s) still open on worker {}", ctx_->sessions.size(),
                         index_);
            ioc_->stop();
        }
    });
}

void worker::request_shutdown()
{
    net::post(*ioc_, [this] { begin_shutdown(); });
}

void worker::run()
{
    for (auto& [p, a] : acceptors_)
        net::co_spawn(*ioc_, accept_loop(p, *a), common::log_coroutine_exception);
    if (admin_acceptor_)
        net::co_spawn(*ioc_, admin_loop(), common::log_coroutine_exception);
    net::co_spawn(*ioc_, sweep_loop(), common::log_coroutine_exception);
    net::co_spawn(*ioc_, watch_loop(), common::log_coroutine_exception);
    ioc_->run();
}

std::vector<std::unique_ptr<worker>> make_workers(const config& cfg)
{
    std::vector<std::unique_ptr<worker>> workers;
    for (unsigned i = 0; i < cfg.threads; ++i)
        workers.push_back(std::make_unique<worker>(cfg, i));
    for (std::size_t p = 0; p < cfg.providers.size(); ++p) {
        // The first worker binds the configured port (0 = any); the others share that port.
        std::uint16_t port = workers[0]->listen(p, cfg.providers[p].port);
        for (std::size_t i = 1; i < workers.size(); ++i)
            workers[i]->listen(p, port);
        std::printf("listening %s %s:%u\n", cfg.providers[p].name.c_str(), cfg.bind.c_str(), port);
    }
    std::vector<worker*> all;
    for (auto& w : workers)
        all.push_back(w.get());
    auto admin = workers[0]->listen_admin(cfg.admin_port, all);
    std::printf("listening admin %s:%u\n", cfg.bind.c_str(), admin);
    std::fflush(stdout);
    return workers;
}

void run_workers(std::vector<std::unique_ptr<worker>>& workers)
{
    // The signal set lives on its own small io_context thread so that a busy worker never
    // delays the shutdown of the others.
    net::io_context signals_ioc(1);
    net::signal_set signals(signals_ioc, SIGINT, SIGTERM);
    signals.async_wait([&](beast::error_code ec, int sig) {
        if (ec)
            return;
        spdlog::info("signal {}: stop accepting, draining in-flight requests", sig);
        for (auto& w : workers)
            w->request_shutdown();
    });
    std::thread signal_thread([&] { signals_ioc.run(); });
    std::vector<std::thread> threads;
    for (std::size_t i = 1; i < workers.size(); ++i)
        threads.emplace_back([w = workers[i].get()] { w->run(); });
    workers[0]->run();
    for (auto& t : threads)
        t.join();
    signals.cancel();
    signal_thread.join();
}

} // namespace proxy
