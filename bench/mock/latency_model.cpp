// Latency model: fixed + jitter, or piecewise-linear inverse CDF through given percentiles.
#include "bench/mock/latency_model.hpp"

#include "common/units.hpp"

#include <algorithm>
#include <array>
#include <string>

namespace mock {

std::optional<latency_percentiles> parse_latency_dist(std::string_view text)
{
    std::array<std::chrono::nanoseconds, 3> v{};
    for (std::size_t i = 0; i < 3; ++i) {
        auto colon = text.find(':');
        if ((i < 2) != (colon != std::string_view::npos))
            return std::nullopt;
        auto part = text.substr(0, colon);
        auto d = common::parse_duration(part, common::bare_unit::milliseconds);
        if (!d)
            return std::nullopt;
        v[i] = *d;
        if (i > 0 && v[i] < v[i - 1])
            return std::nullopt;
        if (colon != std::string_view::npos)
            text.remove_prefix(colon + 1);
    }
    return latency_percentiles{v[0], v[1], v[2]};
}

std::chrono::nanoseconds latency_model::sample(std::mt19937_64& rng) const
{
    using ns = std::chrono::nanoseconds;
    if (spec_.dist) {
        const auto& d = *spec_.dist;
        const double p50 = static_cast<double>(d.p50.count());
        const double p90 = static_cast<double>(d.p90.count());
        const double p99 = static_cast<double>(d.p99.count());
        const std::array<double, 5> q{0.0, 0.5, 0.9, 0.99, 1.0};
        const std::array<double, 5> x{std::max(0.0, p50 - (p90 - p50)), p50, p90, p99, p99 + (p99 - p90)};
        const double u = std::uniform_real_distribution<double>(0.0, 1.0)(rng);
        std::size_t i = 1;
        while (i < q.size() - 1 && u > q[i])
            ++i;
        const double t = (u - q[i - 1]) / (q[i] - q[i - 1]);
        return ns(static_cast<ns::rep>(x[i - 1] + t * (x[i] - x[i - 1])));
    }
    if (spec_.jitter.count() <= 0)
        return spec_.fixed;
    auto extra = std::uniform_int_distribution<ns::rep>(0, spec_.jitter.count() - 1)(rng);
    return spec_.fixed + ns(extra);
}

bool latency_model::is_zero() const
{
    if (spec_.dist)
        return spec_.dist->p99.count() == 0;
    return spec_.fixed.count() == 0 && spec_.jitter.count() == 0;
}

} // namespace mock
