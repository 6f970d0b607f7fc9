// Per-worker counters and histograms. Each worker writes only its own (single writer: a relaxed
// load + store, no locked instruction on the request path); the admin endpoint reads them all
// and sums them when /metrics is scraped.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace proxy {

using counter = std::atomic<std::uint64_t>;

inline void bump(counter& c, std::uint64_t n = 1)
{
    c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}
inline void drop(counter& c, std::uint64_t n = 1)
{
    c.store(c.load(std::memory_order_relaxed) - n, std::memory_order_relaxed);
}
inline std::uint64_t read(const counter& c)
{
    return c.load(std::memory_order_relaxed);
}

// Latency histogram with fixed bucket bounds in milliseconds (Prometheus `le`).
struct histogram
{
    static constexpr std::array<double, 19> bounds_ms = {
        0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000};
    std::array<counter, bounds_ms.size() + 1> buckets{}; // last one is +Inf
    counter sum_ns{};

    void observe(std::uint64_t ns);
};

enum class upstream_error_kind
{
    connect_refused,
    connect_timeout,
    connect_failed,
    tls_handshake,
    write_failed,
    first_byte_timeout,
    stream_idle_timeout,
    malformed,
    closed_early, // connection lost before or while reading the response
    pool_exhausted,
    client_disconnect, // the client went away; the upstream request was cancelled
    request_timeout,   // --request-timeout ran out while the upstream worked or streamed
    count_
};
std::string_view to_string(upstream_error_kind k);

struct provider_metrics
{
    std::array<counter, 600> requests_by_status{}; // index = status code
    histogram proxy_time;                          // time inside the proxy (excludes upstream wait)
    histogram upstream_time;                       // request sent -> response head received (plus connect)
    std::array<counter, static_cast<std::size_t>(upstream_error_kind::count_)> upstream_errors{};
    counter retries{};
    counter pool_idle{}; // gauges, kept up to date by the pool
    counter pool_busy{};
    counter pool_connects{};
};

struct worker_metrics
{
    explicit worker_metrics(std::size_t providers) : per_provider(providers) {}
    std::vector<provider_metrics> per_provider;
    counter open_client_connections{};
    counter accepted_connections{};
    counter rejected_connections{}; // over --max-connections
    counter retry_body_bytes{};     // gauge: request bodies held whole so they can be resent
};

// Prometheus text exposition of the sum over workers.
std::string render_metrics(std::span<const worker_metrics* const> workers,
                           std::span<const std::string> provider_names);

} // namespace proxy
