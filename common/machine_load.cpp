// The machine's CPU time from /proc/stat (see machine_load.hpp).
#include "common/machine_load.hpp"

#include <array>
#include <charconv>
#include <fstream>
#include <iterator>
#include <string>

namespace common {

cpu_times parse_cpu_times(std::string_view text)
{
    cpu_times t;
    std::string_view line = text.substr(0, text.find('\n'));
    if (!line.starts_with("cpu "))
        return t;
    line.remove_prefix(4);
    // user nice system idle iowait irq softirq steal; older kernels stop before steal.
    std::array<std::uint64_t, 8> v{};
    std::size_t n = 0;
    while (n < v.size()) {
        while (!line.empty() && line.front() == ' ')
            line.remove_prefix(1);
        if (line.empty())
            break;
        auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), v[n]);
        if (ec != std::errc() || (end != line.data() + line.size() && *end != ' '))
            return t;
        line.remove_prefix(static_cast<std::size_t>(end - line.data()));
        ++n;
    }
    if (n < 4)
        return t;
    for (auto x : v)
        t.total += x;
    t.idle = v[3] + v[4];
    t.steal = v[7];
    t.ok = true;
    return t;
}

cpu_times read_cpu_times()
{
    std::ifstream in("/proc/stat");
    std::string line;
    std::getline(in, line);
    return parse_cpu_times(line);
}

std::optional<machine_load> machine_load_between(const cpu_times& before, const cpu_times& after,
                                                 unsigned cpus)
{
    if (!before.ok || !after.ok || after.total <= before.total || after.idle < before.idle ||
        after.steal < before.steal)
        return std::nullopt;
    auto total = static_cast<double>(after.total - before.total);
    auto idle = static_cast<double>(after.idle - before.idle),
         steal = static_cast<double>(after.steal - before.steal);
    if (idle + steal > total)
        return std::nullopt;
    return machine_load{cpus, 100.0 * (total - idle - steal) / total, 100.0 * steal / total};
}

} // namespace common
