// How busy the whole machine was during a run, from /proc/stat (Linux): the share of all CPUs'
// time spent working, and the share the hypervisor withheld ("steal": the virtual CPU was ready
// to run but waited for a physical one). Both reach every latency measured on the machine.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace common {

// The aggregate "cpu" line of /proc/stat, in clock ticks.
struct cpu_times
{
    std::uint64_t total = 0; // user nice system idle iowait irq softirq steal (guest is in user)
    std::uint64_t idle = 0;  // idle + iowait
    std::uint64_t steal = 0;
    bool ok = false;
};

// Parses the text of /proc/stat (its first "cpu " line); ok is false when it is not there.
cpu_times parse_cpu_times(std::string_view proc_stat);
cpu_times read_cpu_times();

struct machine_load
{
    unsigned cpus = 0;        // online CPUs
    double busy_percent = 0;  // of all CPUs' time: neither idle nor stolen
    double steal_percent = 0; // of all CPUs' time: withheld by the hypervisor
};

// Between two readings; nullopt when either failed or no time passed.
std::optional<machine_load> machine_load_between(const cpu_times& before, const cpu_times& after,
                                                 unsigned cpus);

} // namespace common
