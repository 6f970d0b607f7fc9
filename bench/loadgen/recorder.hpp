// What one worker records for each target (proxy, direct): histograms, counts by outcome, a
// per-second timeline and per-window histograms for the overhead bootstrap. Worker-local while
// the run lasts (no locks); merged after the threads are joined.
#pragma once

#include "bench/loadgen/connection.hpp"
#include "common/histogram.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace loadgen {

struct second_stats
{
    common::histogram latency; // successful requests due in this second
    std::uint64_t errors = 0;  // dropped or non-2xx
};

struct window_stats
{
    common::histogram latency;       // successes
    common::histogram ttft;          // successes with SSE events
    std::uint64_t sent = 0;          // measured requests due in this window (every outcome)
    std::int64_t first_send_ns = -1; // real send times, relative to the measure start (-1: none)
    std::int64_t last_send_ns = -1;
};

struct target_stats
{
    common::histogram latency;                  // ns; open loop: from the intended send time (CO corrected)
    common::histogram service;                  // ns; from the real send
    common::histogram ttft;                     // ns; first SSE data event, same origin as latency
    common::histogram gap;                      // ns; between SSE data events
    common::histogram server_timing;            // ns; the proxy's Server-Timing figure
    common::histogram error_latency;            // ns; non-2xx responses, same origin as latency
    std::uint64_t events = 0;                   // SSE data events of measured requests
    std::uint64_t event_span_ns = 0;            // sum over requests of (last event - first event)
    std::uint64_t sent = 0;                     // measured requests (every outcome)
    std::uint64_t ok = 0;                       // 2xx
    std::uint64_t late_sends = 0;               // sent more than the late threshold after their due time
    std::int64_t first_send_ns = -1;            // real send times of the measured requests, relative to
    std::int64_t last_send_ns = -1;             //   the measure start (-1: none); give the achieved rate
    std::map<unsigned, std::uint64_t> status;   // by HTTP status
    std::map<std::string, std::uint64_t> drops; // no response: timeout, connect, reset, ...
    std::vector<second_stats> seconds;          // index: whole seconds since the measure start
    std::map<std::uint32_t, window_stats> windows; // index: alternation window since the run start

    void merge(const target_stats& o);
};

class recorder
{
public:
    recorder() : targets_(2) {}
    explicit recorder(std::size_t targets) : targets_(targets) {}

    // `due` is the intended send time (the real send time in closed loop).
    void record(std::size_t target, const exchange_result& r, clock::time_point due,
                clock::time_point measure_start, std::uint32_t window);
    void count_late(std::size_t target) { ++targets_[target].late_sends; }

    target_stats& target(std::size_t i) { return targets_[i]; }
    const target_stats& target(std::size_t i) const { return targets_[i]; }
    std::size_t size() const { return targets_.size(); }
    void merge(const recorder& o);

private:
    std::vector<target_stats> targets_;
};

} // namespace loadgen
