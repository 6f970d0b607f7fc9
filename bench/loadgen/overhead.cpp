// Bootstrap over window pairs.
#include "bench/loadgen/overhead.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <random>

namespace loadgen {
namespace {

constexpr std::array<double, 4> levels = {50.0, 90.0, 99.0, 99.9};

// The resampled windows of one side merged into one dense array. Percentiles are clamped to the
// exact min and max like histogram::percentile_ns, so that the point estimate over all pairs is
// exactly the difference of the pooled histograms' percentiles.
struct side
{
    std::vector<std::uint64_t> counts;
    std::uint64_t total = 0;
    double sum_ns = 0;
    std::uint64_t min_ns = 0, max_ns = 0;

    void add(const common::histogram& h, const std::vector<std::pair<std::uint32_t, std::uint64_t>>& sparse)
    {
        for (auto [i, n] : sparse) {
            if (i >= counts.size())
                counts.resize(i + 1, 0);
            counts[i] += n;
        }
        if (h.count() > 0) {
            min_ns = total == 0 ? h.min_ns() : std::min(min_ns, h.min_ns());
            max_ns = std::max(max_ns, h.max_ns());
        }
        total += h.count();
        sum_ns += h.mean_ns() * static_cast<double>(h.count());
    }
    void clear()
    {
        std::fill(counts.begin(), counts.end(), 0);
        total = 0;
        sum_ns = 0;
        min_ns = max_ns = 0;
    }
    double at(double q) const
    {
        return std::clamp(common::percentile_of_counts(counts, total, q), static_cast<double>(min_ns),
                          static_cast<double>(max_ns));
    }
    double mean() const { return total ? sum_ns / static_cast<double>(total) : 0; }
};

} // namespace

double quantile(std::vector<double> v, double q)
{
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    double pos = q / 100.0 * static_cast<double>(v.size() - 1);
    auto lo = static_cast<std::size_t>(std::floor(pos));
    auto hi = std::min(lo + 1, v.size() - 1);
    return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
}

std::optional<overhead_estimate> bootstrap_overhead(const std::vector<window_pair>& all, std::uint64_t seed,
                                                    int iterations)
{
    std::vector<window_pair> pairs;
    for (auto p : all)
        if (p.proxy && p.direct && p.proxy->count() > 0 && p.direct->count() > 0)
            pairs.push_back(p);
    if (pairs.empty())
        return std::nullopt;
    std::vector<std::vector<std::pair<std::uint32_t, std::uint64_t>>> sp, sd;
    for (auto p : pairs) {
        sp.push_back(p.proxy->sparse());
        sd.push_back(p.direct->sparse());
    }
    // One resample: merge the chosen pairs, return the five differences in ms.
    side a, b;
    auto diffs = [&](const std::vector<std::size_t>& chosen) {
        a.clear();
        b.clear();
        for (auto i : chosen) {
            a.add(*pairs[i].proxy, sp[i]);
            b.add(*pairs[i].direct, sd[i]);
        }
        std::array<double, 5> d{};
        for (std::size_t l = 0; l < levels.size(); ++l)
            d[l] = (a.at(levels[l]) - b.at(levels[l])) / 1e6;
        d[4] = (a.mean() - b.mean()) / 1e6;
        return d;
    };
    std::vector<std::size_t> chosen(pairs.size());
    for (std::size_t i = 0; i < chosen.size(); ++i)
        chosen[i] = i;
    auto point = diffs(chosen);
    const auto smaller_side = std::min(a.total, b.total);

    std::mt19937_64 rng(seed);
    std::uniform_int_distribution<std::size_t> pick(0, pairs.size() - 1);
    std::array<std::vector<double>, 5> samples;
    for (int it = 0; it < iterations; ++it) {
        for (auto& c : chosen)
            c = pick(rng);
        auto d = diffs(chosen);
        for (std::size_t k = 0; k < 5; ++k)
            samples[k].push_back(d[k]);
    }
    auto make = [&](std::size_t k) {
        return interval{point[k], quantile(samples[k], 2.5), quantile(samples[k], 97.5)};
    };
    return overhead_estimate{make(0), make(1), make(2), make(3), make(4), pairs.size(), smaller_side};
}

} // namespace loadgen
