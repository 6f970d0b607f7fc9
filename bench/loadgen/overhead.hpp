// Overhead of the proxy per percentile, with a 95% bootstrap confidence interval over windows
// (sans-I/O). Proxy and direct alternate in windows of ~1 s; window pairs are the resampling
// unit, so slow drifts of the machine affect both sides of a pair alike.
#pragma once

#include "common/histogram.hpp"

#include <cstdint>
#include <optional>
#include <vector>

namespace loadgen {

struct interval
{
    double value = 0;   // point estimate on all windows, ms
    double ci_low = 0;  // 2.5th percentile of the bootstrap distribution, ms
    double ci_high = 0; // 97.5th percentile, ms
};

struct overhead_estimate
{
    interval p50, p90, p99, p999, mean;
    std::size_t windows = 0;        // window pairs used
    std::uint64_t smaller_side = 0; // successes of the side with fewer, over those pairs
};

// A percentile is read from the requests around it: with few beyond it, it is one of the slowest
// few, and resampling them gives intervals that are only their spread (the bootstrap is known to
// fail for extreme order statistics). Ten beyond it is the rule bench flags percentiles by: 100
// requests for p90, 1,000 for p99, 10,000 for p99.9.
constexpr std::uint64_t min_tail_samples = 10;

// The share of requests beyond each percentile bench reports, per mille.
constexpr std::uint64_t p50_per_mille = 500, p90_per_mille = 100, p99_per_mille = 10, p999_per_mille = 1;

// The requests a percentile needs for min_tail_samples beyond it (p99, per_mille 10: 1,000).
constexpr std::uint64_t steady_count(std::uint64_t per_mille)
{
    return min_tail_samples * 1000 / per_mille;
}

// How many of n samples lie beyond the percentile whose share beyond it is per_mille/1000
// (p90: 100, p99: 10, p99.9: 1), rounded down.
constexpr std::uint64_t tail_samples(std::uint64_t n, std::uint64_t per_mille)
{
    return n / 1000 * per_mille + n % 1000 * per_mille / 1000;
}

// The fewest window pairs whose bootstrap gives an interval worth its name. With n pairs a
// resample is one of C(2n-1, n) multisets: 3 for two pairs, whose "95% interval" is then just
// the span of the pairs, and often excludes 0 by chance. bench's default -window gives this many.
constexpr std::size_t min_pairs_for_interval = 10;

struct window_pair
{
    const common::histogram* proxy;
    const common::histogram* direct;
};

// Pairs without samples on either side are skipped; nullopt when no pair is left.
std::optional<overhead_estimate> bootstrap_overhead(const std::vector<window_pair>& pairs, std::uint64_t seed,
                                                    int iterations = 1000);

// The q-th percentile (0..100) of `values` with linear interpolation; sorts a copy.
double quantile(std::vector<double> values, double q);

} // namespace loadgen
