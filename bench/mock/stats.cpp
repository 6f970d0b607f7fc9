// /stats rendering and reset.
#include "bench/mock/stats.hpp"

#include <fmt/format.h>

namespace mock {

stats_registry::stats_registry(unsigned workers)
{
    for (unsigned i = 0; i < workers; ++i)
        workers_.push_back(std::make_unique<worker_stats>());
}

std::string stats_registry::to_json() const
{
    std::uint64_t total = 0;
    std::uint64_t accepted = 0;
    std::int64_t open = 0;
    std::string routes;
    for (std::size_t r = 0; r < route_count; ++r) {
        std::string statuses;
        for (unsigned s = 0; s < worker_stats::max_status; ++s) {
            std::uint64_t n = 0;
            for (const auto& w : workers_)
                n += w->by_status_[r][s].load(std::memory_order_relaxed);
            if (n == 0)
                continue;
            total += n;
            fmt::format_to(std::back_inserter(statuses), "{}\"{}\":{}", statuses.empty() ? "" : ",", s, n);
        }
        if (!statuses.empty())
            fmt::format_to(std::back_inserter(routes), "{}\"{}\":{{{}}}", routes.empty() ? "" : ",",
                           route_name(static_cast<route>(r)), statuses);
    }
    for (const auto& w : workers_) {
        accepted += w->accepted_.load(std::memory_order_relaxed);
        open += w->open_.load(std::memory_order_relaxed);
    }
    return fmt::format(
        R"({{"requests_total":{},"requests":{{{}}},"open_connections":{},"accepted_connections":{}}})", total,
        routes, open, accepted);
}

void stats_registry::reset()
{
    for (auto& w : workers_) {
        for (auto& row : w->by_status_)
            for (auto& c : row)
                c.store(0, std::memory_order_relaxed);
        w->accepted_.store(0, std::memory_order_relaxed);
    }
}

} // namespace mock
