// A worker: one thread, its own io_context (concurrency hint 1), its own SO_REUSEPORT acceptors,
// upstream pools and counters. Workers share only the immutable config; on a signal the first
// worker posts the shutdown to every worker's own thread.
#pragma once

#include "common/net.hpp"
#include "proxy/config.hpp"
#include "proxy/metrics.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/error.hpp>
#include <list>
#include <memory>
#include <vector>

namespace proxy {

class upstream_pool;

struct request_state;
struct request_scratch;

struct session_slot
{
    net::ip::tcp::socket* socket;     // the session's client connection
    bool idle;                        // waiting for the next request head (closed first on shutdown)
    request_state* request = nullptr; // the session's request state (the watch tick reads it)
};

// What a client session sees of its worker. Touched only from the worker's thread.
struct worker_context
{
    const config& cfg;
    net::io_context& ioc;
    worker_metrics& metrics;
    std::vector<std::unique_ptr<upstream_pool>>& pools; // index = provider index
    std::vector<std::string> host_headers{};            // index = provider index: upstream Host values
    std::vector<std::unique_ptr<request_scratch>> scratch_pool{}; // heads lent to requests in flight
    std::list<session_slot> sessions{};
    std::size_t max_sessions = 0;      // this worker's share of --max-connections
    std::uint64_t retry_body_free = 0; // bytes left of this worker's share of --retry-body-memory
    bool stopping = false;
    void (*session_ended)(worker_context&) = nullptr;
    void* owner = nullptr;
    // The worker's periodic timers (disconnect watch, pool sweep) only tick while they have work,
    // so that an idle proxy sleeps: each parks itself when idle, and the first request to reach
    // its upstream phase wakes them (note_upstream_start).
    std::size_t requests_in_upstream = 0;
    bool watch_parked = false;
    bool sweep_parked = false;
    void (*wake_parked)(worker_context&) = nullptr;
};

inline void note_upstream_start(worker_context& w)
{
    ++w.requests_in_upstream;
    if (w.watch_parked || w.sweep_parked)
        w.wake_parked(w);
}
inline void note_upstream_end(worker_context& w)
{
    --w.requests_in_upstream;
}

class worker
{
public:
    // Period of the client-disconnect watch tick (worker::watch_loop).
    static constexpr std::chrono::milliseconds watch_tick{25};

    worker(const config& cfg, std::size_t index);
    ~worker();
    worker(const worker&) = delete;

    // Binds this worker's acceptor for `provider` on `port` (SO_REUSEPORT); returns the bound port.
    std::uint16_t listen(std::size_t provider, std::uint16_t port);
    // Binds the admin listener (first worker only); returns the port.
    std::uint16_t listen_admin(std::uint16_t port, std::vector<worker*> all);
    // Runs the event loop on the calling thread until shutdown completes.
    void run();
    // Thread-safe: posts the shutdown to this worker's thread.
    void request_shutdown();

    const worker_metrics& metrics() const { return *metrics_; }

private:
    friend struct worker_access;
    common::task<void> accept_loop(std::size_t provider, net::ip::tcp::acceptor& acceptor);
    common::task<void> admin_loop();
    common::task<void> sweep_loop();
    common::task<void> watch_loop();
    common::task<bool> tick_or_park(net::steady_timer& timer, bool& parked, bool park,
                                    std::chrono::steady_clock::duration period);
    void begin_shutdown();
    static void on_session_ended(worker_context& w);
    static void on_wake_parked(worker_context& w);

    const config& cfg_;
    std::size_t index_;
    std::unique_ptr<net::io_context> ioc_;
    std::unique_ptr<worker_metrics> metrics_;
    net::ssl::context tls_;
    std::vector<std::unique_ptr<upstream_pool>> pools_;
    std::vector<std::pair<std::size_t, std::unique_ptr<net::ip::tcp::acceptor>>> acceptors_;
    std::unique_ptr<net::ip::tcp::acceptor> admin_acceptor_;
    std::vector<worker*> all_workers_; // for the admin endpoint (first worker only)
    std::unique_ptr<net::steady_timer> sweep_timer_;
    std::unique_ptr<net::steady_timer> watch_timer_;
    std::unique_ptr<net::steady_timer> drain_timer_;
    std::unique_ptr<worker_context> ctx_;
};

// Binds every listener of every worker, prints the "listening" lines; throws on failure.
std::vector<std::unique_ptr<worker>> make_workers(const config& cfg);
// Runs every worker on its own thread (the first on the caller's), handles SIGINT/SIGTERM,
// returns once all have drained.
void run_workers(std::vector<std::unique_ptr<worker>>& workers);

} // namespace proxy
