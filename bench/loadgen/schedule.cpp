// Open-loop schedule.
#include "bench/loadgen/schedule.hpp"

#include <cmath>

namespace loadgen {

schedule::schedule(double rate, std::chrono::nanoseconds ramp_up)
    : rate_(rate), ramp_s_(std::chrono::duration<double>(ramp_up).count()), ramp_count_(rate * ramp_s_ / 2.0)
{
}

std::chrono::nanoseconds schedule::due(std::uint64_t i) const
{
    double n = static_cast<double>(i);
    double t;
    if (n < ramp_count_)
        t = std::sqrt(2.0 * ramp_s_ * n / rate_); // n(t) = rate t^2 / (2R)
    else
        t = ramp_s_ + (n - ramp_count_) / rate_;
    return std::chrono::nanoseconds(static_cast<std::int64_t>(std::llround(t * 1e9)));
}

std::uint64_t schedule::count_before(std::chrono::nanoseconds t) const
{
    double s = std::chrono::duration<double>(t).count();
    double n = s < ramp_s_ ? rate_ * s * s / (2.0 * ramp_s_) : ramp_count_ + (s - ramp_s_) * rate_;
    auto c = static_cast<std::uint64_t>(std::ceil(n - 1e-9));
    // Correct rounding at the edges so that due(c-1) < t <= due(c).
    while (c > 0 && due(c - 1) >= t)
        --c;
    while (due(c) < t)
        ++c;
    return c;
}

} // namespace loadgen
