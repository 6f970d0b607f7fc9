// The open-loop send schedule (sans-I/O): request i is due at start + i/rate, or, with a ramp-up
// of R seconds, the rate climbs linearly from 0 to `rate` over R, then holds.
#pragma once

#include <chrono>
#include <cstdint>

namespace loadgen {

class schedule
{
public:
    schedule(double rate, std::chrono::nanoseconds ramp_up = {});

    // Offset of request i from the start of the run.
    std::chrono::nanoseconds due(std::uint64_t i) const;
    // Number of requests due strictly before offset t.
    std::uint64_t count_before(std::chrono::nanoseconds t) const;
    double rate() const { return rate_; }

private:
    double rate_;       // req/s once ramped up
    double ramp_s_;     // ramp-up length, seconds
    double ramp_count_; // requests sent during the ramp: rate * R / 2
};

} // namespace loadgen
