// Request counters of mock-llm. Each worker owns one `worker_stats` and is its only writer
// (relaxed atomics, no locks on the hot path); /stats sums every worker's block.
#pragma once

#include "bench/mock/routes.hpp"

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace mock {

class worker_stats
{
public:
    static constexpr unsigned max_status = 600; // status 0 = no HTTP answer (reset, hang)

    void count(route r, unsigned status)
    {
        by_status_[static_cast<std::size_t>(r)][status < max_status ? status : 0].fetch_add(
            1, std::memory_order_relaxed);
    }
    void connection_opened()
    {
        accepted_.fetch_add(1, std::memory_order_relaxed);
        open_.fetch_add(1, std::memory_order_relaxed);
    }
    void connection_closed() { open_.fetch_sub(1, std::memory_order_relaxed); }

private:
    friend class stats_registry;
    std::array<std::array<std::atomic<std::uint64_t>, max_status>, route_count> by_status_{};
    std::atomic<std::uint64_t> accepted_{0};
    std::atomic<std::int64_t> open_{0};
};

class stats_registry
{
public:
    explicit stats_registry(unsigned workers);
    worker_stats& worker(unsigned i) { return *workers_[i]; }

    // {"requests_total":N,"requests":{"<route>":{"<status>":N}},"open_connections":N,"accepted_connections":N}
    std::string to_json() const;
    // Zeroes request and accepted-connection counts (open connections is a gauge, kept).
    void reset();

private:
    std::vector<std::unique_ptr<worker_stats>> workers_;
};

} // namespace mock
