// The comparison table across a results file's entries (see result_summary.hpp).
#include "bench/loadgen/result_summary.hpp"

#include "bench/loadgen/json_fields.hpp"
#include "bench/loadgen/overhead.hpp"
#include "bench/loadgen/result_notes.hpp"
#include "common/logging.hpp"
#include "common/units.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <vector>

namespace loadgen {
namespace {

using nlohmann::json;

std::string ms(const json& j, const char* k)
{
    return fixed_or_dash(j, k, 3);
}

std::string percent(const json& j, const char* k)
{
    return fixed_or_dash(j, k, 2);
}

// A side's p99 from fewer than 1,000 successes: one of its slowest few requests.
bool thin_p99(const json& side)
{
    const auto& n = field(side, "succeeded");
    return n.is_number() && n.get<double>() >= 0 &&
           tail_samples(static_cast<std::uint64_t>(std::min(n.get<double>(), 1e18)), p99_per_mille) <
               min_tail_samples;
}

std::string side_p99(const json& side, bool& marked)
{
    std::string out = ms(side, "p99_latency_ms");
    if (side.is_object() && out != "-" && thin_p99(side)) {
        out += '*';
        marked = true;
    }
    return out;
}

std::string overhead_cell(const json& e, const char* k, bool& marked)
{
    const auto& o = field(field(e, "overhead"), k);
    const auto &value = field(o, "value"), &low = field(o, "ci_low"), &high = field(o, "ci_high");
    if (!value.is_number())
        return "-";
    std::string out = fmt::format("{:+.3f}", value.get<double>());
    if (low.is_number() && high.is_number())
        out += fmt::format(" [{:+.3f}, {:+.3f}]", low.get<double>(), high.get<double>());
    const auto& beyond = field(o, "tail_samples");
    if (beyond.is_number() && beyond.get<double>() < static_cast<double>(min_tail_samples)) {
        out += '*';
        marked = true;
    }
    return out;
}

void trim_right(std::string& line)
{
    line.erase(line.find_last_not_of(' ') + 1);
}

} // namespace

std::string format_summary(const json& results)
{
    std::size_t width = 11; // "provider", and the five providers' names
    for (const auto& [key, entry] : results.items())
        width = std::max(width, common::printable_line(key).size() + 1);
    auto line = [&](const std::string& name, const std::string& dok, const std::string& pok,
                    const std::string& dp50, const std::string& pp50, const std::string& dp99,
                    const std::string& pp99, const std::string& o50, const std::string& o99) {
        auto l = fmt::format("{:<{}} {:>10} {:>9} {:>10} {:>10} {:>11} {:>11}  {:<28} {}", name, width, dok,
                             pok, dp50, pp50, dp99, pp99, o50, o99);
        trim_right(l);
        return l + "\n";
    };
    std::string out = line("provider", "direct ok%", "proxy ok%", "direct p50", "proxy p50", "direct p99",
                           "proxy p99", "overhead p50 ms [95% CI]", "overhead p99 ms [95% CI]");
    bool any_marked = false;
    std::string notes;
    for (const auto& [key, e] : results.items()) {
        auto name = common::printable_line(key);
        if (!e.is_object()) {
            out += fmt::format("{:<{}} not a results entry ({})\n", name, width, e.type_name());
            continue;
        }
        const auto& direct = field(e, "direct");
        bool marked = false;
        auto dp99 = side_p99(direct, marked), pp99 = side_p99(e, marked);
        auto o50 = overhead_cell(e, "p50_ms", marked), o99 = overhead_cell(e, "p99_ms", marked);
        out += line(name, percent(direct, "success_rate"), percent(e, "success_rate"),
                    ms(direct, "p50_latency_ms"), ms(e, "p50_latency_ms"), dp99, pp99, o50, o99);
        // A starred entry's note on thin tails would repeat the legend; the other notes stay.
        for (const auto& n : result_notes(e, marked ? tail_notes::leave_out : tail_notes::include))
            notes += fmt::format("note ({}): {}\n", name, n);
        any_marked |= marked;
    }
    out += "latencies in ms; 'direct' = the upstream without the proxy\n";
    if (any_marked)
        out += fmt::format(
            "* from fewer than {} requests a side: p99 is among the slowest few, not a steady figure; "
            "a longer -duration or a higher -rate gives one\n",
            common::format_count(steady_count(p99_per_mille)));
    return out + notes;
}

} // namespace loadgen
