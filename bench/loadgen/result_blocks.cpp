// Histogram-derived blocks of a results.json entry (see result_blocks.hpp).
#include "bench/loadgen/result_blocks.hpp"

#include "bench/loadgen/histogram_codec.hpp"
#include "bench/loadgen/json_fields.hpp"
#include "bench/loadgen/overhead.hpp"

#include <algorithm>
#include <cmath>

namespace loadgen {
namespace {

using nlohmann::json;

double ms(double ns)
{
    return ns / 1e6;
}

json percentile_curve(const common::histogram& h)
{
    json out = json::array();
    for (double q : curve_quantiles())
        out.push_back({q, round3(ms(h.percentile_ns(q)))});
    return out;
}

// Shares of a CPU, in percent: a tenth is as fine as /proc's clock ticks allow over seconds.
double round1(double v)
{
    return std::round(v * 10.0) / 10.0;
}

json interval_json(const interval& i)
{
    return {{"value", round3(i.value)}, {"ci_low", round3(i.ci_low)}, {"ci_high", round3(i.ci_high)}};
}

// A percentile's estimate also says how many requests of the smaller side lie beyond it: under
// min_tail_samples, it is one of the slowest few (overhead.hpp).
json percentile_json(const interval& i, std::uint64_t smaller_side, std::uint64_t per_mille)
{
    auto j = interval_json(i);
    j["tail_samples"] = tail_samples(smaller_side, per_mille);
    return j;
}

json overhead_json(const overhead_estimate& e)
{
    auto n = e.smaller_side;
    return {{"p50_ms", percentile_json(e.p50, n, p50_per_mille)},
            {"p90_ms", percentile_json(e.p90, n, p90_per_mille)},
            {"p99_ms", percentile_json(e.p99, n, p99_per_mille)},
            {"p999_ms", percentile_json(e.p999, n, p999_per_mille)},
            {"mean_ms", interval_json(e.mean)},
            {"windows", e.windows},
            {"smaller_side", n}};
}

constexpr const char* side_keys[] = {"service", "error_latency", "ttft", "gap", "server_timing"};

common::histogram side_histograms::*side_member(std::size_t i)
{
    static constexpr common::histogram side_histograms::*members[] = {
        &side_histograms::service, &side_histograms::error_latency, &side_histograms::ttft,
        &side_histograms::gap, &side_histograms::server_timing};
    return members[i];
}

constexpr const char* pair_keys[] = {"proxy", "direct", "proxy_ttft", "direct_ttft"};

common::histogram window_pair_data::*pair_member(std::size_t i)
{
    static constexpr common::histogram window_pair_data::*members[] = {
        &window_pair_data::proxy_latency, &window_pair_data::direct_latency, &window_pair_data::proxy_ttft,
        &window_pair_data::direct_ttft};
    return members[i];
}

} // namespace

void set_second_latency(json& second, const common::histogram& h)
{
    second["p50_ms"] = round3(ms(static_cast<double>(h.percentile_ns(50))));
    second["p99_ms"] = round3(ms(static_cast<double>(h.percentile_ns(99))));
    second["latency"] = to_compact_json(h);
}

double round3(double v)
{
    return std::round(v * 1000.0) / 1000.0;
}

json quick_stats(const common::histogram& h)
{
    return {{"p50", round3(ms(h.percentile_ns(50)))},
            {"p90", round3(ms(h.percentile_ns(90)))},
            {"p99", round3(ms(h.percentile_ns(99)))},
            {"mean", round3(ms(h.mean_ns()))}};
}

json baseline_json(std::uint64_t requests, const common::histogram& ok)
{
    if (ok.count() == 0)
        return nullptr;
    return {{"requests", requests},
            {"succeeded", ok.count()},
            {"p50_ms", round3(ms(ok.percentile_ns(50)))},
            {"min_ms", round3(ms(static_cast<double>(ok.min_ns())))},
            {"max_ms", round3(ms(static_cast<double>(ok.max_ns())))},
            {"latency", to_compact_json(ok)}};
}

std::vector<double> curve_quantiles()
{
    std::vector<double> q;
    for (int k = 0;; ++k) {
        double v = 100.0 * (1.0 - std::pow(2.0, -k / 3.0));
        if (v > 99.99)
            break;
        q.push_back(std::round(v * 1000.0) / 1000.0);
    }
    q.push_back(99.99);
    return q;
}

json latency_fields(const common::histogram& h)
{
    return {{"mean_latency_ms", round3(ms(h.mean_ns()))},
            {"p50_latency_ms", round3(ms(h.percentile_ns(50)))},
            {"p90_latency_ms", round3(ms(h.percentile_ns(90)))},
            {"p99_latency_ms", round3(ms(h.percentile_ns(99)))},
            {"p999_latency_ms", round3(ms(h.percentile_ns(99.9)))},
            {"min_latency_ms", round3(ms(static_cast<double>(h.min_ns())))},
            {"max_latency_ms", round3(ms(static_cast<double>(h.max_ns())))},
            {"percentiles", percentile_curve(h)}};
}

json histograms_json(const side_histograms& h)
{
    json out = json::object();
    for (std::size_t i = 0; i < std::size(side_keys); ++i)
        out[side_keys[i]] = to_compact_json(h.*side_member(i));
    return out;
}

std::optional<side_histograms> histograms_from_json(const json& j, std::string& error)
{
    if (!j.is_object()) {
        error = "\"histograms\" is not an object";
        return std::nullopt;
    }
    side_histograms out;
    for (std::size_t i = 0; i < std::size(side_keys); ++i) {
        auto h = from_compact_json(j.contains(side_keys[i]) ? j[side_keys[i]] : json(nullptr), error);
        if (!h) {
            error = std::string("\"histograms\".") + side_keys[i] + ": " + error;
            return std::nullopt;
        }
        out.*side_member(i) = std::move(*h);
    }
    return out;
}

json error_latency_json(const common::histogram& h)
{
    if (h.count() == 0)
        return nullptr;
    return {{"count", h.count()},
            {"p50_ms", round3(ms(h.percentile_ns(50)))},
            {"p90_ms", round3(ms(h.percentile_ns(90)))},
            {"p99_ms", round3(ms(h.percentile_ns(99)))},
            {"mean_ms", round3(ms(h.mean_ns()))},
            {"min_ms", round3(ms(static_cast<double>(h.min_ns())))},
            {"max_ms", round3(ms(static_cast<double>(h.max_ns())))}};
}

json stream_json(const common::histogram& ttft, const common::histogram& gap, const common::histogram& total,
                 std::uint64_t chunks, double chunk_span_s)
{
    return {
        {"ttft_ms", quick_stats(ttft)},
        {"gap_ms", quick_stats(gap)},
        {"total_ms", quick_stats(total)},
        {"chunks_per_second", chunk_span_s > 0 ? round3(static_cast<double>(chunks) / chunk_span_s) : 0.0},
        {"chunks", chunks},
        {"chunk_span_s", std::round(chunk_span_s * 1e6) / 1e6}};
}

json windows_json(const std::vector<window_pair_data>& pairs, bool stream)
{
    json list = json::array();
    for (const auto& p : pairs) {
        if (p.proxy_latency.count() == 0 || p.direct_latency.count() == 0)
            continue;
        json one = json::object();
        for (std::size_t i = 0; i < (stream ? 4u : 2u); ++i)
            one[pair_keys[i]] = to_compact_json(p.*pair_member(i));
        list.push_back(std::move(one));
    }
    return {{"pairs", std::move(list)}};
}

std::optional<std::vector<window_pair_data>> windows_from_json(const json& j, std::string& error)
{
    if (!j.is_object() || !j.contains("pairs") || !j["pairs"].is_array()) {
        error = "\"windows\" has no \"pairs\" array";
        return std::nullopt;
    }
    std::vector<window_pair_data> out;
    for (const auto& p : j["pairs"]) {
        window_pair_data d;
        for (std::size_t i = 0; i < std::size(pair_keys); ++i) {
            auto h = from_compact_json(
                p.is_object() && p.contains(pair_keys[i]) ? p[pair_keys[i]] : json(nullptr), error);
            if (!h) {
                error = std::string("\"windows\" pair ") + pair_keys[i] + ": " + error;
                return std::nullopt;
            }
            d.*pair_member(i) = std::move(*h);
        }
        out.push_back(std::move(d));
    }
    return out;
}

json load_generator_json(unsigned threads, const std::vector<double>& thread_cpu_percent)
{
    if (thread_cpu_percent.empty())
        return nullptr;
    double busiest = *std::max_element(thread_cpu_percent.begin(), thread_cpu_percent.end());
    return {{"threads", threads}, {"busiest_thread_cpu_percent", round1(busiest)}};
}

json merge_load_generator(const json& a, const json& b)
{
    auto threads = [](const json& j) { return field(j, "threads"); };
    auto busiest = [](const json& j) { return field(j, "busiest_thread_cpu_percent"); };
    if (!threads(a).is_number_unsigned() || !threads(b).is_number_unsigned() || !busiest(a).is_number() ||
        !busiest(b).is_number())
        return nullptr;
    return {{"threads", threads(a).get<std::uint64_t>() + threads(b).get<std::uint64_t>()},
            {"busiest_thread_cpu_percent", std::max(busiest(a).get<double>(), busiest(b).get<double>())}};
}

json machine_json(const std::optional<common::machine_load>& m,
                  const std::optional<common::other_processes_cpu>& others)
{
    if (!m)
        return nullptr;
    json other = nullptr;
    if (others) {
        json busiest = json::array();
        for (const auto& p : others->busiest)
            busiest.push_back({{"pid", p.pid}, {"name", p.name}, {"cpu_percent", round1(p.cpu_percent)}});
        other = {{"cpu_percent", round1(others->cpu_percent)}, {"busiest", std::move(busiest)}};
    }
    return {{"cpus", m->cpus},
            {"busy_percent", round1(m->busy_percent)},
            {"steal_percent", round1(m->steal_percent)},
            {"other_processes", std::move(other)}};
}

json merge_machine(const json& a, const json& b)
{
    json out = json::object();
    for (auto k : {"cpus", "busy_percent", "steal_percent"}) {
        const auto &x = field(a, k), &y = field(b, k);
        if (!x.is_number() || !y.is_number())
            return nullptr;
        out[k] = std::max(x.get<double>(), y.get<double>());
    }
    // The busier of the inputs' other processes, or the one input's that has them.
    const auto &x = field(a, "other_processes"), &y = field(b, "other_processes");
    bool has_x = field(x, "cpu_percent").is_number(), has_y = field(y, "cpu_percent").is_number();
    if (has_x && has_y)
        out["other_processes"] = number_field(y, "cpu_percent") > number_field(x, "cpu_percent") ? y : x;
    else
        out["other_processes"] = has_x ? x : has_y ? y : json(nullptr);
    return out;
}

json overhead_from_pairs(const std::vector<window_pair_data>& pairs, std::uint64_t seed, bool stream)
{
    std::vector<window_pair> lat, ttft;
    for (const auto& p : pairs) {
        lat.push_back({&p.proxy_latency, &p.direct_latency});
        ttft.push_back({&p.proxy_ttft, &p.direct_ttft});
    }
    auto e = bootstrap_overhead(lat, seed);
    if (!e)
        return nullptr;
    json j = overhead_json(*e);
    if (stream) {
        auto t = bootstrap_overhead(ttft, seed + 1);
        j["ttft_ms"] = t ? overhead_json(*t) : json(nullptr);
    }
    return j;
}

} // namespace loadgen
