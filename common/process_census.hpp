// Every process's CPU time, read twice around a run, says which processes other than the ones a
// benchmark measures competed with it for the CPUs (a compile, a test suite, a browser), and how
// much. The machine's busy share (machine_load.hpp) cannot say it: /proc/stat counts by CPU, not by
// process, and its figures do not add up with the processes' own. In a 4 s run of bench against
// mock-llm at 5,000 req/s (2026-11-27), the machine's CPUs were busy for 228 ticks (78 of them
// softirq), while bench used 189 and mock-llm 129 by their own counts.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace common {

// The fields of one /proc/PID/stat that bench uses.
struct process_stat
{
    pid_t pid = 0;
    std::string name;               // comm (at most 15 bytes), bytes outside printable ASCII as '?'
    std::uint64_t start_ticks = 0;  // starttime: tells a reused pid from the process that had it
    std::uint64_t cpu_ticks = 0;    // utime + stime
    std::uint64_t reaped_ticks = 0; // cutime + cstime: the children it waited for
    std::uint64_t rss_pages = 0;
    bool kernel_thread = false; // PF_KTHREAD
};

// Parses the text of /proc/PID/stat; nullopt when a field is missing or not a number.
std::optional<process_stat> parse_process_stat(std::string_view text);
std::optional<process_stat> read_process_stat(pid_t pid);

// The pids of every process /proc shows, sorted.
std::vector<pid_t> list_pids();

// Every process /proc shows, sorted by pid.
using process_census = std::vector<process_stat>;
process_census take_process_census();

struct process_cpu
{
    pid_t pid = 0;
    std::string name;
    double cpu_percent = 0; // 100 = one core busy
};

struct other_processes_cpu
{
    double cpu_percent = 0;           // all of them together, 100 = one core busy
    std::vector<process_cpu> busiest; // up to busiest_kept, the busiest first
};
inline constexpr std::size_t busiest_kept = 3;

// The CPU that processes other than `excluded` used between two censuses taken `seconds` apart,
// with `ticks_per_second` from sysconf(_SC_CLK_TCK).
// - A process in both counts what it used in between, and what the children it waited for in
//   between used (a compiler driver's short-lived compilers, a shell's commands).
// - A process only in the second (same pid and start time) started in between: all of its time.
// - A process only in the first ended in between: uncounted, unless a process in both waited for
//   it (then with its whole life, which may reach back before the first census).
// - Kernel threads are left out: their work (softirqs, writeback) is done for every process, the
//   measured ones included.
// nullopt when no time passed or either census is empty.
std::optional<other_processes_cpu> other_processes_between(const process_census& before,
                                                           const process_census& after,
                                                           std::span<const pid_t> excluded, double seconds,
                                                           long ticks_per_second);

} // namespace common
