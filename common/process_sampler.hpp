// Process sampling from /proc (Linux): finds the process listening on a TCP port and samples its
// resident memory and CPU use on a background thread (every 200 ms by default).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace common {

// The pids of the processes holding a listening socket on `port` (IPv4 or IPv6), found through
// /proc/net/tcp{,6} (socket inode) and /proc/*/fd; empty when none is visible to us. Servers
// with a master and workers (nginx) list them all.
std::vector<pid_t> find_listening_pids(std::uint16_t port);

struct process_reading
{
    std::uint64_t rss_bytes = 0;
    std::uint64_t cpu_ticks = 0; // utime + stime, in clock ticks
    bool ok = false;
};
process_reading read_process(pid_t pid);

struct process_usage
{
    pid_t pid = 0;            // the first (lowest) pid sampled
    std::size_t processes = 0; // how many processes are summed
    std::size_t samples = 0;
    double peak_rss_mb = 0;   // MiB
    double avg_rss_mb = 0;    // MiB
    double cpu_percent_avg = 0; // 100 = one core busy
    double cpu_percent_peak = 0; // highest over one sampling interval
};

// Samples a group of processes (their RSS and CPU summed) from start() to stop().
// Thread-safe summary().
class process_sampler
{
public:
    explicit process_sampler(std::vector<pid_t> pids, std::chrono::milliseconds interval = std::chrono::milliseconds(200));
    ~process_sampler();
    process_sampler(const process_sampler&) = delete;
    process_sampler& operator=(const process_sampler&) = delete;

    void start();
    void stop();
    process_usage summary() const;

private:
    void loop();
    void take_sample();

    std::vector<pid_t> pids_;
    std::chrono::milliseconds interval_;
    std::thread thread_;
    std::atomic<bool> stop_{false};
    mutable std::mutex mutex_;
    process_usage usage_;
    double rss_sum_mb_ = 0;
    std::uint64_t first_ticks_ = 0;
    std::uint64_t last_ticks_ = 0;
    std::chrono::steady_clock::time_point first_at_{};
    std::chrono::steady_clock::time_point last_at_{};
};

} // namespace common
