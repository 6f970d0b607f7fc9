// Worker threads, acceptors and TLS context of mock-llm.
#include "bench/mock/server.hpp"

#include "bench/mock/session.hpp"
#include "bench/mock/worker.hpp"
#include "common/logging.hpp"

#include <array>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/basic_stream_descriptor.hpp>
#include <boost/asio/ssl/context.hpp>
#include <fcntl.h>
#include <fmt/format.h>
#include <random>
#include <spdlog/spdlog.h>
#include <stdexcept>
#include <thread>
#include <unistd.h>

namespace mock {
namespace {

using tcp = net::ip::tcp;

task<void> accept_loop(worker& w, acceptor_t& acceptor)
{
    timer_t backoff(w.ioc);
    for (;;) {
        auto [ec, socket] = co_await acceptor.async_accept(use_nothrow);
        if (ec == net::error::operation_aborted)
            co_return;
        if (ec) {
            // EMFILE and friends: wait a little rather than spin.
            spdlog::warn("accept failed: {}", ec.message());
            backoff.expires_after(std::chrono::milliseconds(50));
            co_await backoff.async_wait(use_nothrow);
            continue;
        }
        socket.set_option(tcp::no_delay(true), ec);
        if (w.shared.tls != nullptr)
            net::co_spawn(w.ioc, run_tls_session(w, std::move(socket)), common::log_coroutine_exception);
        else
            net::co_spawn(w.ioc, run_session(w, std::move(socket)), common::log_coroutine_exception);
    }
}

// Stops the worker's io_context from its own thread when a byte arrives on `fd` (a pipe that
// server::stop() writes to from another thread; the io_context itself has no locks).
task<void> watch_stop(worker& w, int fd)
{
    net::posix::basic_stream_descriptor<executor> pipe(w.ioc.get_executor(), fd);
    char byte = 0;
    co_await pipe.async_read_some(net::buffer(&byte, 1), use_nothrow);
    w.ioc.stop(); // `pipe` owns the read end and closes it
}

// SO_REUSEPORT would also let this process share a port that another process already listens
// on (same user), so a fixed port is first checked with a plain bind.
void check_port_free(net::io_context& ioc, const tcp::endpoint& ep)
{
    if (ep.port() == 0)
        return;
    acceptor_t probe(ioc.get_executor());
    probe.open(ep.protocol());
    probe.set_option(net::socket_base::reuse_address(true));
    probe.bind(ep); // throws "Address already in use"
}

acceptor_t make_acceptor(net::io_context& ioc, const tcp::endpoint& ep)
{
    acceptor_t a(ioc.get_executor());
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
    std::vector<acceptor_t> acceptors; // acceptors[i] runs on workers[i]
    std::vector<std::thread> threads;
    std::atomic<bool> stopping{false};
    std::vector<std::array<int, 2>> stop_pipes; // [read, write] per worker; read end owned by watch_stop
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
            if (i == 0)
                check_port_free(m.workers.back()->ioc, ep);
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
    for (const auto& fds : impl_->stop_pipes)
        ::close(fds[1]); // the read ends belong to the watch_stop coroutines
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
        std::array<int, 2> fds{-1, -1};
        if (::pipe2(fds.data(), O_CLOEXEC) != 0)
            throw std::runtime_error("pipe2 failed");
        m.stop_pipes.push_back(fds);
        net::co_spawn(w.ioc, watch_stop(w, fds[0]), common::log_coroutine_exception);
        net::co_spawn(w.ioc, accept_loop(w, m.acceptors[i]), common::log_coroutine_exception);
        m.threads.emplace_back([&w] { w.ioc.run(); });
    }
}

void server::stop()
{
    if (impl_->stopping.exchange(true))
        return; // once: a second write could hit a pipe whose reader is gone (SIGPIPE)
    for (const auto& fds : impl_->stop_pipes) {
        char byte = 1;
        [[maybe_unused]] auto n = ::write(fds[1], &byte, 1);
    }
}

void server::join()
{
    for (auto& t : impl_->threads)
        if (t.joinable())
            t.join();
    impl_->threads.clear();
}

} // namespace mock
