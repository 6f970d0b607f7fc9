// Worker threads, acceptors and TLS context of mock-llm.
#include "bench/mock/server.hpp"

#include "bench/mock/session.hpp"
#include "bench/mock/worker.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>
#include <stdexcept>
#include <fmt/format.h>
#include <random>
#include <thread>

namespace mock {
namespace {

using tcp = net::ip::tcp;

// Logs what escaped a coroutine (a bug: sessions report I/O errors as values) and ends only it.
void log_exception(std::exception_ptr e)
{
    if (!e)
        return;
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& ex) {
        spdlog::error("session ended by an exception: {}", ex.what());
    }
}

common::task<void> accept_loop(worker& w, tcp::acceptor& acceptor)
{
    net::steady_timer backoff(w.ioc);
    for (;;) {
        auto [ec, socket] = co_await acceptor.async_accept(w.ioc, common::use_nothrow);
        if (ec == net::error::operation_aborted)
            co_return;
        if (ec) {
            // EMFILE and friends: wait a little rather than spin.
            spdlog::warn("accept failed: {}", ec.message());
            backoff.expires_after(std::chrono::milliseconds(50));
            co_await backoff.async_wait(common::use_nothrow);
            continue;
        }
        socket.set_option(tcp::no_delay(true), ec);
        if (w.shared.tls != nullptr)
            net::co_spawn(w.ioc, run_tls_session(w, std::move(socket)), log_exception);
        else
            net::co_spawn(w.ioc, run_session(w, std::move(socket)), log_exception);
    }
}

tcp::acceptor make_acceptor(net::io_context& ioc, const tcp::endpoint& ep)
{
    tcp::acceptor a(ioc);
    a.open(ep.protocol());
    a.set_option(net::socket_base::reuse_address(true));
    int one = 1;
    if (::setsockopt(a.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0)
        throw std::runtime_error("SO_REUSEPORT not supported");
    a.bind(ep);
    a.listen(net::socket_base::max_listen_connections);
    return a;
}

} // namespace

struct server::impl
{
    explicit impl(const config& c) : cfg(c), stats(c.threads), shared{cfg, stats} {}

    const config& cfg;
    stats_registry stats;
    shared_state shared;
    std::unique_ptr<net::ssl::context> tls;
    std::vector<std::unique_ptr<worker>> workers;
    std::vector<tcp::acceptor> acceptors; // acceptors[i] runs on workers[i]
    std::vector<std::thread> threads;
    tcp::endpoint bound;
};

server::server(const config& c) : impl_(std::make_unique<impl>(c))
{
    auto& m = *impl_;
    if (!c.tls_cert.empty()) {
        m.tls = std::make_unique<net::ssl::context>(net::ssl::context::tls_server);
        m.tls->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                           net::ssl::context::no_sslv3);
        m.tls->use_certificate_chain_file(c.tls_cert);
        m.tls->use_private_key_file(c.tls_key, net::ssl::context::pem);
        m.shared.tls = m.tls.get();
    }
    std::random_device rd;
    const std::uint64_t base_seed = c.seed ? *c.seed : (std::uint64_t{rd()} << 32 | rd());
    boost::system::error_code ec;
    auto address = net::ip::make_address(c.bind, ec);
    if (ec)
        throw std::runtime_error("invalid --bind address '" + c.bind + "'");
    tcp::endpoint ep(address, c.port);
    for (unsigned i = 0; i < c.threads; ++i) {
        // Different seeds per worker, all derived from --seed.
        m.workers.push_back(std::make_unique<worker>(m.shared, i, base_seed + 0x9e3779b97f4a7c15ull * i));
        try {
            m.acceptors.push_back(make_acceptor(m.workers.back()->ioc, ep));
        } catch (const std::exception& e) {
            throw std::runtime_error(fmt::format("cannot listen on {}:{}: {}", c.bind, ep.port(), e.what()));
        }
        if (i == 0) {
            ep = m.acceptors.front().local_endpoint(); // the others join the port the first got
            m.bound = ep;
        }
    }
}

server::~server()
{
    stop();
    join();
    // Acceptors before workers: they belong to the workers' io_contexts.
    impl_->acceptors.clear();
    impl_->workers.clear();
}

std::string server::address() const
{
    return impl_->bound.address().to_string();
}

std::uint16_t server::port() const
{
    return impl_->bound.port();
}

void server::start()
{
    auto& m = *impl_;
    for (std::size_t i = 0; i < m.workers.size(); ++i) {
        worker& w = *m.workers[i];
        net::co_spawn(w.ioc, accept_loop(w, m.acceptors[i]), log_exception);
        m.threads.emplace_back([&w] { w.ioc.run(); });
    }
}

void server::stop()
{
    for (auto& w : impl_->workers)
        w->ioc.stop();
}

void server::join()
{
    for (auto& t : impl_->threads)
        if (t.joinable())
            t.join();
    impl_->threads.clear();
}

} // namespace mock
