// Upstream connections (plain TCP or TLS behind one stream type) and the per-worker, per-upstream
// keep-alive pool around pool_core. Single-threaded: only the owning worker touches it.
#pragma once

#include "common/net.hpp"
#include "proxy/config.hpp"
#include "proxy/errors.hpp"
#include "proxy/io_deadline.hpp"
#include "proxy/metrics.hpp"
#include "proxy/pool_core.hpp"
#include "proxy/session_task.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <memory>
#include <optional>
#include <span>

namespace proxy {

// One upstream connection. Models AsyncReadStream/AsyncWriteStream so the relay runs on it
// whether it is TLS or not; its deadline (io_deadline) cancels the socket's pending operations.
class upstream_connection
{
public:
    using executor_type = net::any_io_executor;
    using tls_stream = net::ssl::stream<net::ip::tcp::socket>;

    upstream_connection(net::any_io_executor ex, net::ssl::context* tls);

    executor_type get_executor() { return socket().get_executor(); }
    net::ip::tcp::socket& socket() { return tls_ ? tls_->next_layer() : *plain_; }
    tls_stream* tls() { return tls_.get(); }
    io_deadline& deadline() { return *deadline_; }

    // One initiation for both kinds of stream, so that the operation has one type whatever the
    // token makes of it.
    template <typename Buffers, typename Token>
    auto async_read_some(const Buffers& b, Token&& token)
    {
        return net::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
            [this](auto handler, const Buffers& bufs) {
                if (tls_)
                    tls_->async_read_some(bufs, std::move(handler));
                else
                    plain_->async_read_some(bufs, std::move(handler));
            },
            token, b);
    }
    template <typename Buffers, typename Token>
    auto async_write_some(const Buffers& b, Token&& token)
    {
        return net::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
            [this](auto handler, const Buffers& bufs) {
                if (tls_)
                    tls_->async_write_some(bufs, std::move(handler));
                else
                    plain_->async_write_some(bufs, std::move(handler));
            },
            token, b);
    }

    // True when the idle connection has been closed by the upstream or holds unexpected bytes.
    // The check is a non-blocking peek (a syscall), made only for connections idle for at least
    // `peek_after`: under load a connection is reused within a millisecond, when no upstream
    // closes a keep-alive connection it has just answered on; and should one do so, the request
    // is retried once on a fresh connection (nothing was sent back yet). `always_peek` checks
    // regardless of the idle time: for a request that could not be retried (a streamed body).
    static constexpr std::chrono::milliseconds peek_after{2};
    bool stale(std::chrono::steady_clock::time_point now, bool always_peek = false);
    void close();

    // Bytes read from the upstream and not parsed yet. Bounded: Beast bounds neither a chunk-size
    // line nor the trailer section, so an upstream could make the proxy buffer without end. Room
    // for a 64 KiB head plus the head reader's 4 KiB reads, and for Beast's 64 KiB body reads;
    // past it a read fails (buffer_overflow) and the client gets a 502 or a cut response.
    beast::flat_buffer buffer{64 * 1024 + 1 + 4096 + 64 * 1024};
    bool reused = false; // came out of the idle pool (a failure before any byte may retry)
    std::chrono::steady_clock::time_point idle_since{}; // when it went back to the pool

private:
    std::optional<net::ip::tcp::socket> plain_;
    std::unique_ptr<tls_stream> tls_;
    std::unique_ptr<io_deadline> deadline_; // declared last: destroyed before the socket
};

// Plain connections send at once when they can (send_now.hpp); TLS ones never do (0).
std::size_t send_now(upstream_connection& c, std::span<const net::const_buffer> bufs,
                     boost::system::error_code& ec);

class upstream_pool;

// A connection taken from the pool. Unless release(true) is called after a clean keep-alive
// exchange, the connection is closed when the lease ends (error, cancellation, client gone).
class lease
{
public:
    lease() = default;
    lease(upstream_pool* pool, std::unique_ptr<upstream_connection> c) : pool_(pool), conn_(std::move(c)) {}
    lease(lease&& o) noexcept : pool_(std::exchange(o.pool_, nullptr)), conn_(std::move(o.conn_)) {}
    lease& operator=(lease&& o) noexcept;
    ~lease() { release(false); }

    upstream_connection* operator->() const { return conn_.get(); }
    upstream_connection& operator*() const { return *conn_; }
    explicit operator bool() const { return conn_ != nullptr; }
    // `now`, when the caller has just read the clock, saves reading it again.
    void release(bool reusable, std::optional<std::chrono::steady_clock::time_point> now = std::nullopt);

private:
    upstream_pool* pool_ = nullptr;
    std::unique_ptr<upstream_connection> conn_;
};

struct acquire_result
{
    lease conn;
    std::optional<proxy_errc> error;  // set when conn is empty
    upstream_error_kind error_kind{}; // for the metrics
};

class upstream_pool
{
public:
    upstream_pool(const provider_config& provider, const config& cfg, net::any_io_executor ex,
                  net::ssl::context* tls, provider_metrics& m);
    upstream_pool(const upstream_pool&) = delete;

    // An idle connection (stale ones are dropped), or the pool's refusal (exhausted); nothing when
    // a new connection is needed: a slot is then reserved and the caller must call connect().
    // `fresh_only` skips the idle list (the retry after a reused connection failed);
    // `replayable` false (the request body is streamed and cannot be sent again) checks every
    // idle connection for a close first (upstream_connection::stale). Not a coroutine: the common
    // case, a warm pool, costs no coroutine frame.
    // `now`: the caller's clock reading (one per request is enough).
    std::optional<acquire_result> acquire_idle(std::chrono::steady_clock::time_point now, bool fresh_only,
                                               bool replayable = true);
    // A new connection in the slot acquire_idle reserved. A failed connect is retried once.
    // `due` (the request's own deadline) cuts the connect timeout short; the new connection's
    // deadline stays capped by it until it goes back to the pool.
    task<acquire_result>
    connect(std::chrono::steady_clock::time_point due = std::chrono::steady_clock::time_point::max());
    // Closes idle connections past the idle timeout (called by the worker's sweep timer).
    void sweep();
    std::size_t idle_count() const { return core_.idle(); }
    // Shutdown: closes every idle connection; connections still leased are closed on return.
    void close();

private:
    friend class lease;
    void give_back(std::unique_ptr<upstream_connection> c, bool reusable,
                   std::chrono::steady_clock::time_point now);
    task<acquire_result> connect_once(std::chrono::steady_clock::time_point due);
    void update_gauges();

    const provider_config& provider_;
    const config& cfg_;
    net::any_io_executor ex_;
    net::ssl::context* tls_;
    provider_metrics& metrics_;
    pool_core<std::unique_ptr<upstream_connection>> core_;
    std::vector<net::ip::tcp::endpoint> endpoints_; // resolved once per resolve_ttl
    std::chrono::steady_clock::time_point resolved_at_{};
};

} // namespace proxy
