// results.json entries, file update, merge and the table.
#include "bench/loadgen/report.hpp"

#include "bench/loadgen/overhead.hpp"

#include <cmath>
#include <ctime>
#include <fmt/format.h>
#include <fstream>
#include <sstream>

namespace loadgen {
namespace {

using nlohmann::json;

double ms(double ns)
{
    return ns / 1e6;
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

json percentile_curve(const common::histogram& h)
{
    json out = json::array();
    for (double q : curve_quantiles())
        out.push_back({q, round3(ms(h.percentile_ns(q)))});
    return out;
}

json timeline(const target_stats& s)
{
    json out = json::array();
    for (std::size_t i = 0; i < s.seconds.size(); ++i) {
        const auto& sec = s.seconds[i];
        out.push_back({{"t_s", i},
                       {"rps", sec.latency.count()},
                       {"p50_ms", round3(ms(sec.latency.percentile_ns(50)))},
                       {"p99_ms", round3(ms(sec.latency.percentile_ns(99)))},
                       {"errors", sec.errors}});
    }
    return out;
}

json stream_block(const target_stats& s, bool stream)
{
    if (!stream)
        return nullptr;
    double span_s = static_cast<double>(s.event_span_ns) / 1e9;
    return {{"ttft_ms", quick_stats(s.ttft)},
            {"gap_ms", quick_stats(s.gap)},
            {"total_ms", quick_stats(s.latency)},
            {"chunks_per_second", span_s > 0 ? round3(static_cast<double>(s.events) / span_s) : 0.0},
            {"chunks", s.events}};
}

json counts_json(const target_stats& s)
{
    json status = json::object();
    for (auto [code, n] : s.status)
        status[std::to_string(code)] = n;
    json drops = json::object();
    for (const auto& [why, n] : s.drops)
        drops[why] = n;
    return {{"status_code_counts", status}, {"drop_reasons", drops}};
}

// Every latency and count field of one target.
json target_fields(const target_stats& s, double seconds, bool stream)
{
    json j = latency_fields(s.latency);
    j["requests"] = s.sent;
    j["succeeded"] = s.ok;
    j["success_rate"] =
        s.sent ? round3(100.0 * static_cast<double>(s.ok) / static_cast<double>(s.sent)) : 0.0;
    j["throughput_rps"] = seconds > 0 ? round3(static_cast<double>(s.ok) / seconds) : 0.0;
    j["achieved_rate"] = seconds > 0 ? round3(static_cast<double>(s.sent) / seconds) : 0.0;
    j["late_sends"] = s.late_sends;
    j["service_time_ms"] = quick_stats(s.service);
    j.update(counts_json(s));
    j["timeline"] = timeline(s);
    j["stream"] = stream_block(s, stream);
    return j;
}

json interval_json(const interval& i)
{
    return {{"value", round3(i.value)}, {"ci_low", round3(i.ci_low)}, {"ci_high", round3(i.ci_high)}};
}

json overhead_json(const overhead_estimate& e)
{
    return {{"p50_ms", interval_json(e.p50)},   {"p90_ms", interval_json(e.p90)},
            {"p99_ms", interval_json(e.p99)},   {"p999_ms", interval_json(e.p999)},
            {"mean_ms", interval_json(e.mean)}, {"windows", e.windows}};
}

json overhead_block(const run_summary& s)
{
    if (s.targets.size() < 2)
        return nullptr;
    const auto& p = s.out.rec.target(0).windows;
    const auto& d = s.out.rec.target(1).windows;
    std::vector<window_pair> lat, ttft;
    // Windows 2k and 2k+1 form pair k, whichever target went first.
    for (const auto& [k, w] : p) {
        auto partner = k % 2 == 0 ? k + 1 : k - 1;
        auto it = d.find(partner);
        if (it == d.end())
            continue;
        lat.push_back({&w.latency, &it->second.latency});
        ttft.push_back({&w.ttft, &it->second.ttft});
    }
    auto e = bootstrap_overhead(lat, s.cfg->seed);
    if (!e)
        return nullptr;
    json j = overhead_json(*e);
    if (s.cfg->stream) {
        auto t = bootstrap_overhead(ttft, s.cfg->seed + 1);
        j["ttft_ms"] = t ? overhead_json(*t) : json(nullptr);
    }
    return j;
}

json memory_fields(const std::optional<common::process_usage>& u)
{
    if (!u)
        return {{"server_peak_memory_mb", nullptr},
                {"server_avg_memory_mb", nullptr},
                {"server_cpu_percent", nullptr}};
    return {
        {"server_peak_memory_mb", round3(u->peak_rss_mb)},
        {"server_avg_memory_mb", round3(u->avg_rss_mb)},
        {"server_cpu_percent", {{"avg", round3(u->cpu_percent_avg)}, {"peak", round3(u->cpu_percent_peak)}}},
        {"server_pid", u->pid},
        {"server_processes", u->processes}};
}

json config_json(const run_summary& s)
{
    const config& c = *s.cfg;
    json headers = json::array();
    for (const auto& [k, v] : c.headers)
        headers.push_back(k); // names only: values may carry keys
    return {{"provider", c.provider},
            {"url", c.url},
            {"direct", c.direct == "auto" || c.direct == "off" ? c.direct : "url"},
            {"rate", c.rate},
            {"users", c.users},
            {"duration_s", std::chrono::duration<double>(c.duration).count()},
            {"warmup_s", std::chrono::duration<double>(c.warmup).count()},
            {"timeout_s", std::chrono::duration<double>(c.timeout).count()},
            {"ramp_up", c.ramp_up},
            {"ramp_up_duration_s", std::chrono::duration<double>(c.ramp_up_duration).count()},
            {"connections", c.connections},
            {"threads", c.threads},
            {"window_s", std::chrono::duration<double>(c.window).count()},
            {"request_type", c.kind == request_kind::chat ? "chat" : "embedding"},
            {"model", s.effective_model},
            {"big_payload", c.big_payload},
            {"prompt_file", c.prompt_file},
            {"stream", c.stream},
            {"path", c.path},
            {"suffix", c.suffix},
            {"header_names", headers},
            {"ca_file", c.ca_file},
            {"seed", c.seed}};
}

} // namespace

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

json build_entry(const run_summary& s)
{
    const config& c = *s.cfg;
    const bool alternating = s.targets.size() > 1;
    // Each target gets half of the windows when alternating.
    double seconds = s.out.measured_s / static_cast<double>(s.targets.size());
    const auto& main = s.out.rec.target(0);
    json e = target_fields(main, seconds, c.stream);
    e["format_version"] = format_version;
    e["rate"] = c.open_loop() ? c.rate : 0.0;
    e["target_rate"] = c.open_loop() ? c.rate : 0.0;
    e["mode"] = c.open_loop() ? "open" : "closed";
    e["users"] = c.users;
    e["target"] = s.targets[0].url;
    e["timestamp"] = now_rfc3339();
    if (c.open_loop() && !alternating && main.sent > 1 && main.last_send_ns > main.first_send_ns) {
        // Requests over the span of the real sends (one interval added for the last one): a
        // generator that falls behind stretches the span and shows a lower rate.
        double span = static_cast<double>(main.last_send_ns - main.first_send_ns) / 1e9 + 1.0 / c.rate;
        e["achieved_rate"] = round3(static_cast<double>(main.sent) / std::max(span, s.out.measured_s));
    }
    if (alternating) // the rate offered over the whole run, both targets together
        e["achieved_rate"] =
            s.out.measured_s > 0
                ? round3(static_cast<double>(main.sent + s.out.rec.target(1).sent) / s.out.measured_s)
                : 0.0;
    e.update(memory_fields(s.server));
    e["histogram"] = main.latency.to_json();
    e["direct"] = nullptr;
    e["direct_histogram"] = nullptr;
    if (alternating) {
        const auto& d = s.out.rec.target(1);
        json dj = target_fields(d, seconds, c.stream);
        dj["target"] = s.targets[1].url;
        dj.update(memory_fields(s.direct_server));
        e["direct"] = dj;
        e["direct_histogram"] = d.latency.to_json();
    }
    e["overhead"] = overhead_block(s);
    e["proxy_server_timing_ms"] =
        main.server_timing.count() ? quick_stats(main.server_timing) : json(nullptr);
    e["proxy_process"] = nullptr;
    if (s.proxied && s.server)
        e["proxy_process"] = {{"pid", s.server->pid},
                              {"peak_memory_mb", round3(s.server->peak_rss_mb)},
                              {"avg_memory_mb", round3(s.server->avg_rss_mb)},
                              {"cpu_percent_avg", round3(s.server->cpu_percent_avg)}};
    e["config"] = config_json(s);
    return e;
}

std::string now_rfc3339()
{
    std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

bool write_results(const std::string& path, const std::string& key, const json& entry, std::string& error)
{
    json all = json::object();
    if (std::ifstream in(path); in) {
        std::stringstream text;
        text << in.rdbuf();
        if (!text.str().empty()) {
            all = json::parse(text.str(), nullptr, false);
            if (!all.is_object()) {
                error = path + " exists but is not a results object; not overwriting it";
                return false;
            }
        }
    }
    all[key] = entry;
    std::string tmp = path + ".tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << all.dump(2) << '\n';
        if (!out) {
            error = "cannot write " + tmp;
            return false;
        }
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        error = "cannot rename " + tmp + " to " + path;
        return false;
    }
    return true;
}

std::string format_table(const std::string& key, const json& e)
{
    auto num = [](const json& v) { return v.is_number() ? v.get<double>() : 0.0; };
    std::string out =
        fmt::format("{:<10} {:<7} {:>8} {:>8} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>6}\n", "target", "mode",
                    "requests", "ok%", "rps", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms", "late");
    auto row = [&](const std::string& name, const json& j) {
        out += fmt::format(
            "{:<10} {:<7} {:>8} {:>8.2f} {:>9.1f} {:>9.3f} {:>9.3f} {:>9.3f} {:>9.3f} {:>9.3f} {:>6}\n", name,
            e.value("mode", ""), j.value("requests", 0), num(j["success_rate"]), num(j["throughput_rps"]),
            num(j["p50_latency_ms"]), num(j["p90_latency_ms"]), num(j["p99_latency_ms"]),
            num(j["p999_latency_ms"]), num(j["max_latency_ms"]), j.value("late_sends", 0));
    };
    row(key, e);
    if (e.contains("direct") && e["direct"].is_object())
        row("  direct", e["direct"]);
    if (e.contains("overhead") && e["overhead"].is_object()) {
        const auto& o = e["overhead"];
        out += fmt::format("overhead (proxy - direct, 95% CI over {} window pairs):", o.value("windows", 0));
        for (auto k : {"p50_ms", "p90_ms", "p99_ms", "p999_ms", "mean_ms"})
            out += fmt::format(" {} {:.3f} [{:.3f}, {:.3f}]", k, num(o[k]["value"]), num(o[k]["ci_low"]),
                               num(o[k]["ci_high"]));
        out += "\n";
    }
    if (e.contains("stream") && e["stream"].is_object()) {
        const auto& s = e["stream"];
        out += fmt::format(
            "stream: ttft p50 {:.3f} ms p99 {:.3f} ms, gap p50 {:.3f} ms p99 {:.3f} ms, {:.1f} chunks/s\n",
            num(s["ttft_ms"]["p50"]), num(s["ttft_ms"]["p99"]), num(s["gap_ms"]["p50"]),
            num(s["gap_ms"]["p99"]), num(s["chunks_per_second"]));
    }
    if (e.contains("proxy_server_timing_ms") && e["proxy_server_timing_ms"].is_object())
        out += fmt::format("proxy Server-Timing: p50 {:.3f} ms p99 {:.3f} ms\n",
                           num(e["proxy_server_timing_ms"]["p50"]), num(e["proxy_server_timing_ms"]["p99"]));
    if (e.contains("find_max"))
        out += fmt::format(
            "find-max: highest rate within p99 <= {} ms and < 0.1% errors: {:.0f} req/s ({} trials)\n",
            num(e["find_max"]["slo_ms"]), num(e["find_max"]["max_rate"]), e["find_max"]["trials"].size());
    if (e["server_peak_memory_mb"].is_number())
        out += fmt::format("server (pid {}): RSS peak {:.1f} MiB avg {:.1f} MiB, CPU avg {:.1f}%\n",
                           e.value("server_pid", 0), num(e["server_peak_memory_mb"]),
                           num(e["server_avg_memory_mb"]), num(e["server_cpu_percent"]["avg"]));
    return out;
}

} // namespace loadgen
