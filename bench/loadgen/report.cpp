// results.json entries and the file update.
#include "bench/loadgen/report.hpp"

#include "bench/loadgen/result_notes.hpp"

#include <cmath>
#include <ctime>
#include <fstream>
#include <sstream>

namespace loadgen {
namespace {

using nlohmann::json;

// Seconds of the measured phase [from_s, to_s) (offsets from the measure start) that belong to
// target t's alternation windows.
double side_seconds(const run_summary& s, std::size_t t, double from_s, double to_s)
{
    using std::chrono::duration_cast;
    using std::chrono::nanoseconds;
    const config& c = *s.cfg;
    auto at = [&](double x) {
        return c.warmup + duration_cast<nanoseconds>(std::chrono::duration<double>(x));
    };
    return target_seconds(at(from_s), at(to_s), c.window, t, s.targets.size(), c.seed);
}

// Per second of the measured phase; rps is the successes of that second over the time this
// side had in it (its windows, and a last partial second), so alternation does not halve it.
// Each second carries its latency histogram (compact form), so that `bench merge` recomputes
// the per-second percentiles of the union exactly.
json timeline(const run_summary& s, std::size_t t)
{
    const auto& st = s.out.rec.target(t);
    json out = json::array();
    for (std::size_t i = 0; i < st.seconds.size(); ++i) {
        const auto& sec = st.seconds[i];
        double from = static_cast<double>(i);
        double share = side_seconds(s, t, from, std::min(from + 1.0, s.out.measured_s));
        auto n = static_cast<double>(sec.latency.count());
        json second = {{"t_s", i}, {"rps", share > 0 ? round3(n / share) : n}, {"errors", sec.errors}};
        set_second_latency(second, sec.latency);
        out.push_back(std::move(second));
    }
    return out;
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

// Requests per second of real sending. Open loop: requests over the span of their real send
// times (one interval added for the last one), per window in overhead mode, but never over
// less than the time the side was given: a generator that falls behind stretches the spans
// and shows a lower rate.
double achieved_rate(const run_summary& s, std::size_t t, double side_s)
{
    const config& c = *s.cfg;
    const auto& st = s.out.rec.target(t);
    if (side_s <= 0)
        return 0;
    double span = 0;
    auto add = [&](std::int64_t first, std::int64_t last) {
        if (first >= 0)
            span += static_cast<double>(last - first) / 1e9 + 1.0 / c.rate;
    };
    if (c.open_loop() && s.targets.size() > 1)
        for (const auto& [k, w] : st.windows)
            add(w.first_send_ns, w.last_send_ns);
    else if (c.open_loop())
        add(st.first_send_ns, st.last_send_ns);
    return round3(static_cast<double>(st.sent) / std::max(span, side_s));
}

// Every latency and count field of one target (one side in overhead mode).
json target_fields(const run_summary& s, std::size_t t)
{
    const auto& st = s.out.rec.target(t);
    double side_s = side_seconds(s, t, 0, s.out.measured_s);
    json j = latency_fields(st.latency);
    j["requests"] = st.sent;
    j["succeeded"] = st.ok;
    j["success_rate"] =
        st.sent ? round3(100.0 * static_cast<double>(st.ok) / static_cast<double>(st.sent)) : 0.0;
    j["measured_s"] = round3(side_s);
    j["throughput_rps"] = side_s > 0 ? round3(static_cast<double>(st.ok) / side_s) : 0.0;
    j["achieved_rate"] = achieved_rate(s, t, side_s);
    j["late_sends"] = st.late_sends;
    j["service_time_ms"] = quick_stats(st.service);
    j["error_latency"] = error_latency_json(st.error_latency);
    j.update(counts_json(st));
    j["timeline"] = timeline(s, t);
    j["stream"] = s.cfg->stream ? stream_json(st.ttft, st.gap, st.latency, st.events,
                                              static_cast<double>(st.event_span_ns) / 1e9)
                                : json(nullptr);
    j["histograms"] = histograms_json({st.service, st.error_latency, st.ttft, st.gap, st.server_timing});
    return j;
}

// Windows 2k and 2k+1 form pair k, whichever target went first.
std::vector<window_pair_data> window_pairs(const run_summary& s)
{
    std::vector<window_pair_data> out;
    if (s.targets.size() < 2)
        return out;
    const auto& p = s.out.rec.target(0).windows;
    const auto& d = s.out.rec.target(1).windows;
    for (const auto& [k, w] : p) {
        auto it = d.find(k % 2 == 0 ? k + 1 : k - 1);
        if (it != d.end())
            out.push_back({w.latency, it->second.latency, w.ttft, it->second.ttft});
    }
    return out;
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
            {"late_threshold_ms", std::chrono::duration<double, std::milli>(c.late_threshold).count()},
            {"baseline_requests", c.baseline},
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

json build_entry(const run_summary& s)
{
    const config& c = *s.cfg;
    const bool alternating = s.targets.size() > 1;
    const auto& main = s.out.rec.target(0);
    // Every rate of a side is over the time that side's windows covered (all of the measured
    // phase with one target): in overhead mode each side reports the rate it was offered.
    json e = target_fields(s, 0);
    e["format_version"] = format_version;
    e["rate"] = c.open_loop() ? c.rate : 0.0;
    e["target_rate"] = c.open_loop() ? c.rate : 0.0;
    e["mode"] = c.open_loop() ? "open" : "closed";
    e["users"] = c.users;
    e["target"] = s.targets[0].url;
    e["timestamp"] = now_rfc3339();
    e.update(memory_fields(s.server));
    auto baseline = [&s](std::size_t t) { return t < s.baselines.size() ? s.baselines[t] : json(nullptr); };
    e["baseline"] = baseline(0);
    e["histogram"] = main.latency.to_json();
    e["direct"] = nullptr;
    e["direct_histogram"] = nullptr;
    e["windows"] = nullptr;
    e["overhead"] = nullptr;
    if (alternating) {
        const auto& d = s.out.rec.target(1);
        json dj = target_fields(s, 1);
        dj["target"] = s.targets[1].url;
        dj.update(memory_fields(s.direct_server));
        dj["baseline"] = baseline(1);
        e["direct"] = dj;
        e["direct_histogram"] = d.latency.to_json();
        auto pairs = window_pairs(s);
        e["windows"] = windows_json(pairs, c.stream);
        e["overhead"] = overhead_from_pairs(pairs, c.seed, c.stream);
    }
    e["proxy_server_timing_ms"] =
        main.server_timing.count() ? quick_stats(main.server_timing) : json(nullptr);
    e["proxy_process"] = nullptr;
    if (s.proxied && s.server)
        e["proxy_process"] = {{"pid", s.server->pid},
                              {"peak_memory_mb", round3(s.server->peak_rss_mb)},
                              {"avg_memory_mb", round3(s.server->avg_rss_mb)},
                              {"cpu_percent_avg", round3(s.server->cpu_percent_avg)}};
    e["load_generator"] = load_generator_json(s.cfg->threads, s.out.thread_cpu_percent);
    e["machine"] = machine_json(s.machine, s.other_processes);
    e["config"] = config_json(s);
    e["notes"] = result_notes(e);
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

} // namespace loadgen
