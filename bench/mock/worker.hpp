// One mock-llm worker: a thread's io_context plus the state its sessions use without locks
// (RNG, latency model, failure plan, its own counters). Workers share only `shared_state`.
#pragma once

#include "bench/mock/config.hpp"
#include "bench/mock/failure_plan.hpp"
#include "bench/mock/latency_model.hpp"
#include "bench/mock/stats.hpp"

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <random>

namespace boost::asio::ssl {
class context;
}

namespace mock {

// Immutable after start, except the atomics.
struct shared_state
{
    const mock::config& config;
    stats_registry& stats;
    std::atomic<std::uint64_t> model_requests{0}; // sequence for --stall-every (only used then)
    boost::asio::ssl::context* tls = nullptr;     // set when serving HTTPS
};

struct worker
{
    worker(shared_state& s, unsigned i, std::uint64_t seed)
        : shared(s), index(i), stats(s.stats.worker(i)), rng(seed), latency(s.config.latency),
          plan(s.config.failures, s.config.key_rules, s.config.stall_every, s.config.stall_for)
    {}

    shared_state& shared;
    unsigned index;
    worker_stats& stats;
    std::mt19937_64 rng;
    latency_model latency;
    failure_plan plan;
    std::uint64_t ids = 0; // answer id counter
    // Last member: destroyed first, so sessions still alive at shutdown see the rest intact.
    // Only this worker's thread ever touches it (server::stop() goes through a pipe), so Asio's
    // internal locking is switched off: it cost ~3% of a small request.
    boost::asio::io_context ioc{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE};
};

} // namespace mock
