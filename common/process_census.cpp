// /proc/PID/stat, read for every process, and the CPU of the ones a run did not measure.
#include "common/process_census.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <dirent.h>
#include <fstream>
#include <iterator>
#include <unordered_set>

namespace common {
namespace {

constexpr std::uint64_t pf_kthread = 0x00200000; // include/linux/sched.h

// Field numbers of proc(5), counted from 1 (pid) and 2 (comm).
constexpr int flags_field = 9, utime_field = 14, stime_field = 15, cutime_field = 16, cstime_field = 17,
              starttime_field = 22, rss_field = 24;

// Not printable_line (logging.hpp): that keeps bytes over 0x7f, which need not be UTF-8, and the
// names go into results.json, which nlohmann writes only from valid UTF-8.
std::string printable(std::string_view s)
{
    std::string out(s);
    for (auto& c : out)
        if (c < 0x20 || c > 0x7e)
            c = '?';
    return out;
}

} // namespace

std::optional<process_stat> parse_process_stat(std::string_view text)
{
    // "PID (COMM) STATE ...": the name may hold spaces and parentheses, so it ends at the last ')'.
    auto open = text.find(" (");
    auto close = text.rfind(')');
    if (open == std::string_view::npos || close == std::string_view::npos || close < open + 2)
        return std::nullopt;
    process_stat p;
    long pid = 0;
    auto [pid_end, pid_ec] = std::from_chars(text.data(), text.data() + open, pid);
    if (pid_ec != std::errc() || pid_end != text.data() + open || pid <= 0)
        return std::nullopt;
    p.pid = static_cast<pid_t>(pid);
    p.name = printable(text.substr(open + 2, close - open - 2));

    std::string_view rest = text.substr(close + 1);
    std::array<std::uint64_t, rss_field + 1> v{}; // numeric fields by number; 3 (state) is a letter
    int field = 3;
    while (field <= rss_field) {
        while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\n'))
            rest.remove_prefix(1);
        auto end = rest.find_first_of(" \n");
        auto token = rest.substr(0, end);
        if (token.empty())
            return std::nullopt;
        if (field != 3) {
            // Signed fields (priority, nice, cutime...) are never negative among the ones kept;
            // a '-' there fails the parse like any other non-number.
            auto [p_end, ec] = std::from_chars(token.data(), token.data() + token.size(), v[field]);
            bool kept = field == flags_field || field == utime_field || field == stime_field ||
                        field == cutime_field || field == cstime_field || field == starttime_field ||
                        field == rss_field;
            if (kept && (ec != std::errc() || p_end != token.data() + token.size()))
                return std::nullopt;
        }
        rest.remove_prefix(token.size());
        ++field;
    }
    p.cpu_ticks = v[utime_field] + v[stime_field];
    p.reaped_ticks = v[cutime_field] + v[cstime_field];
    p.start_ticks = v[starttime_field];
    p.rss_pages = v[rss_field];
    p.kernel_thread = (v[flags_field] & pf_kthread) != 0;
    return p;
}

std::optional<process_stat> read_process_stat(pid_t pid)
{
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    if (!in)
        return std::nullopt;
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return parse_process_stat(text);
}

std::vector<pid_t> list_pids()
{
    std::vector<pid_t> out;
    DIR* d = opendir("/proc");
    if (!d)
        return out;
    while (auto* e = readdir(d)) {
        long pid = 0;
        std::string_view name(e->d_name);
        auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), pid);
        if (ec == std::errc() && end == name.data() + name.size() && pid > 0)
            out.push_back(static_cast<pid_t>(pid));
    }
    closedir(d);
    std::sort(out.begin(), out.end());
    return out;
}

process_census take_process_census()
{
    process_census out;
    for (auto pid : list_pids()) // sorted, so the census is too
        // A process that ends between the listing and the read is simply not in this census.
        if (auto p = read_process_stat(pid))
            out.push_back(std::move(*p));
    return out;
}

std::optional<other_processes_cpu> other_processes_between(const process_census& before,
                                                           const process_census& after,
                                                           std::span<const pid_t> excluded, double seconds,
                                                           long ticks_per_second)
{
    if (!(seconds > 0) || ticks_per_second <= 0 || before.empty() || after.empty())
        return std::nullopt;
    std::unordered_set<pid_t> skip(excluded.begin(), excluded.end());
    auto percent = [&](std::uint64_t ticks) {
        return 100.0 * static_cast<double>(ticks) / static_cast<double>(ticks_per_second) / seconds;
    };
    other_processes_cpu out;
    std::uint64_t total = 0;
    std::vector<process_cpu> each;
    auto earlier = before.begin();
    for (const auto& p : after) {
        if (p.kernel_thread || skip.contains(p.pid))
            continue;
        earlier = std::lower_bound(earlier, before.end(), p.pid,
                                   [](const process_stat& q, pid_t pid) { return q.pid < pid; });
        std::uint64_t used = p.cpu_ticks + p.reaped_ticks;
        if (earlier != before.end() && earlier->pid == p.pid && earlier->start_ticks == p.start_ticks) {
            // Counters only grow; a smaller one would be a reading error, not negative work.
            auto then = earlier->cpu_ticks + earlier->reaped_ticks;
            used = used > then ? used - then : 0;
        }
        if (used == 0)
            continue;
        total += used;
        each.push_back({p.pid, p.name, percent(used)});
    }
    out.cpu_percent = percent(total);
    auto kept = std::min(each.size(), busiest_kept);
    std::partial_sort(each.begin(), each.begin() + static_cast<std::ptrdiff_t>(kept), each.end(),
                      [](const auto& a, const auto& b) {
                          return a.cpu_percent > b.cpu_percent ||
                                 (a.cpu_percent == b.cpu_percent && a.pid < b.pid);
                      });
    each.resize(kept);
    out.busiest = std::move(each);
    return out;
}

} // namespace common
