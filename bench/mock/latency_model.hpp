// Latency model of mock-llm: a fixed delay plus uniform jitter, or a distribution given by its
// percentiles (p50:p90:p99). Sans-I/O: the caller owns the RNG, so a seed gives a repeatable run.
#pragma once

#include <chrono>
#include <optional>
#include <random>
#include <string_view>

namespace mock {

struct latency_percentiles
{
    std::chrono::nanoseconds p50{0};
    std::chrono::nanoseconds p90{0};
    std::chrono::nanoseconds p99{0};
};

struct latency_spec
{
    std::chrono::nanoseconds fixed{0};       // base delay
    std::chrono::nanoseconds jitter{0};      // + uniform [0, jitter)
    std::optional<latency_percentiles> dist; // when set, replaces fixed + jitter
};

// "50ms:120ms:400ms" (bare numbers are milliseconds); values must not decrease.
std::optional<latency_percentiles> parse_latency_dist(std::string_view text);

class latency_model
{
public:
    explicit latency_model(latency_spec spec) : spec_(spec) {}

    // One delay. With a distribution, the inverse CDF is piecewise linear through
    // (0, p50 - (p90 - p50)), (0.5, p50), (0.9, p90), (0.99, p99), (1, p99 + (p99 - p90)),
    // so the sampled p50/p90/p99 match the given ones.
    std::chrono::nanoseconds sample(std::mt19937_64& rng) const;

    // True when every sample is zero (the hot path then skips timers).
    bool is_zero() const;

private:
    latency_spec spec_;
};

} // namespace mock
