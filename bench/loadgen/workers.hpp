// The load: worker threads, each with its own io_context (concurrency hint 1), driving the
// open-loop schedule or closed-loop users against one or two targets (proxy and direct,
// alternating in windows). Workers share only the immutable plan; each records into its own
// recorder, merged after join.
#pragma once

#include "bench/loadgen/payload.hpp"
#include "bench/loadgen/recorder.hpp"
#include "bench/loadgen/tls.hpp"

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace loadgen {

struct target_endpoint
{
    std::string label; // "proxy", "direct", "mock", "url"
    std::string url;   // for reports
    net::ip::tcp::endpoint endpoint;
    std::shared_ptr<const request_builder> builder;
    std::shared_ptr<const tls_client> tls; // HTTPS targets; null for plain HTTP
};

struct run_plan
{
    std::vector<target_endpoint> targets; // 1, or 2 in overhead mode (0 = proxy, 1 = direct)
    bool open_loop = true;
    double rate = 0;
    unsigned users = 0;
    std::uint64_t requests_per_user = 0; // closed loop: each user stops after this many (0 = at the end)
    std::chrono::nanoseconds ramp_up{};  // 0 = none
    std::chrono::nanoseconds warmup{};
    std::chrono::nanoseconds duration{};
    std::chrono::nanoseconds timeout{};
    std::chrono::nanoseconds window{std::chrono::seconds(1)};
    unsigned connections = 256;
    unsigned threads = 1;
    bool stream = false;
    std::uint64_t seed = 1;
    std::chrono::nanoseconds late_threshold{std::chrono::milliseconds(1)}; // open loop: a later send is late
};

// Live counters for the progress line; written by the workers, read by main's printer thread.
struct progress
{
    std::atomic<std::uint64_t> done{0};
    std::atomic<std::uint64_t> errors{0};
    std::atomic<std::int64_t> in_flight{0};
    std::mutex mutex;
    std::vector<common::histogram> snapshots; // per worker, target 0 latency, refreshed each second
};

struct run_output
{
    recorder rec;
    double measured_s = 0;                  // length of the measure phase
    std::vector<double> thread_cpu_percent; // per worker thread, over the measured phase
};

// Which target window k belongs to: pairs of windows, the order inside each pair drawn from the
// seed so that neither target always goes first.
std::size_t window_target(std::uint32_t k, std::size_t targets, std::uint64_t seed);

// Seconds of [from, to) (offsets from the run start, where window 0 begins) that belong to
// target t's windows: the time that side was given, the denominator of its rates. All of
// [from, to) with a single target.
double target_seconds(std::chrono::nanoseconds from, std::chrono::nanoseconds to,
                      std::chrono::nanoseconds window, std::size_t t, std::size_t targets,
                      std::uint64_t seed);

run_output run_load(const run_plan& plan, progress* live);

} // namespace loadgen
