// The session: providers in turn, probe, sampling, load, results.
#include "bench/loadgen/runner.hpp"

#include "bench/loadgen/json_fields.hpp"
#include "bench/loadgen/report.hpp"
#include "bench/loadgen/result_table.hpp"
#include "bench/loadgen/targets.hpp"
#include "common/machine_load.hpp"
#include "common/process_census.hpp"
#include "common/providers.hpp"

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <string_view>
#include <thread>
#include <unistd.h>

namespace loadgen {
namespace {

using nlohmann::json;

std::vector<std::string> providers_of(const config& c)
{
    if (!c.url.empty())
        return {""};
    if (c.provider != "all")
        return {c.provider};
    std::vector<std::string> out;
    for (const auto& p : common::provider_table())
        out.emplace_back(p.name);
    return out;
}

run_plan plan_for(const config& c, const resolved_run& r)
{
    run_plan p;
    p.targets = r.targets;
    p.open_loop = c.open_loop();
    p.rate = c.rate;
    p.users = c.users;
    p.ramp_up = c.ramp_up ? c.ramp_up_duration : std::chrono::nanoseconds{};
    p.warmup = c.warmup;
    p.duration = c.duration;
    p.timeout = c.timeout;
    p.window = c.window;
    p.connections = c.connections;
    p.threads = c.threads;
    p.stream = c.stream;
    p.seed = c.seed;
    p.late_threshold = c.late_threshold;
    return p;
}

// The live progress line on a terminal: once a second, overwritten in place.
class progress_printer
{
public:
    progress_printer(progress& live, bool enabled) : live_(live)
    {
        if (enabled)
            thread_ = std::thread([this] { loop(); });
    }
    ~progress_printer()
    {
        if (!thread_.joinable())
            return;
        {
            std::lock_guard lock(m_);
            stop_ = true;
        }
        cv_.notify_all();
        thread_.join();
        std::fputs("\r\033[K", stdout);
        std::fflush(stdout);
    }

private:
    void loop()
    {
        auto started = std::chrono::steady_clock::now();
        std::uint64_t last_done = 0;
        std::unique_lock lock(m_);
        while (!cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stop_; })) {
            common::histogram h;
            {
                std::lock_guard l(live_.mutex);
                for (const auto& s : live_.snapshots)
                    h.merge(s);
            }
            auto done = live_.done.load();
            double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
            std::fprintf(
                stdout,
                "\r\033[K%6.1fs  %8llu req/s  in flight %5lld  p50 %8.3f ms  p99 %8.3f ms  errors %llu", t,
                static_cast<unsigned long long>(done - last_done),
                static_cast<long long>(live_.in_flight.load()), h.percentile_ns(50) / 1e6,
                h.percentile_ns(99) / 1e6, static_cast<unsigned long long>(live_.errors.load()));
            std::fflush(stdout);
            last_done = done;
        }
    }

    progress& live_;
    std::thread thread_;
    std::mutex m_;
    std::condition_variable cv_;
    bool stop_ = false;
};

// Each target's latency alone: -baseline requests one after another on one connection, before
// the load. None starts after baseline_time_limit, and each is given at most that long (or
// -timeout when shorter), so a target that hangs delays the run by 10 s at most. A hosted model
// answering in seconds gets fewer; a figure from fewer than 3 successes says too little and is
// left out.
//
// With a direct target the two are measured in the order candidate, direct, candidate (each
// candidate half with half the time limit): a server that is still warming up (Portkey's Node JIT,
// a cold upstream connection of the candidate) gets faster over these requests, and whichever
// side went first would take all of that. Split around the direct target's, the candidate's
// requests sit at the same mean time, so a steady warm-up weighs on both alike. Measured in the
// quick start before the split (candidate first): Portkey through the proxy 5.4 ms alone against
// 3.3 ms direct, while the two differed by 0.1 ms under load.
constexpr auto baseline_time_limit = std::chrono::seconds(5);
constexpr std::uint64_t min_baseline_successes = 3;

struct baseline_sample
{
    std::uint64_t sent = 0, ok = 0;
    common::histogram latency;
};

baseline_sample sequential_requests(const config& c, const target_endpoint& target, std::uint64_t requests,
                                    std::chrono::nanoseconds time_limit)
{
    run_plan p;
    p.targets = {target};
    p.open_loop = false;
    p.users = 1;
    p.requests_per_user = requests;
    p.connections = 1;
    p.threads = 1;
    p.duration = time_limit;
    p.timeout = std::min<std::chrono::nanoseconds>(c.timeout, baseline_time_limit);
    p.stream = c.stream;
    spdlog::debug("{}: baseline: {} sequential requests", target.label, requests);
    auto run = run_load(p, nullptr);
    const auto& st = run.rec.target(0);
    return {st.sent, st.ok, st.latency};
}

std::vector<json> measure_baselines(const config& c, const resolved_run& r)
{
    std::vector<json> out(r.targets.size(), json(nullptr));
    if (c.baseline == 0)
        return out;
    std::vector<baseline_sample> samples(r.targets.size());
    if (r.targets.size() == 2) {
        const auto first_half = (c.baseline + 1) / 2;
        samples[0] = sequential_requests(c, r.targets[0], first_half, baseline_time_limit / 2);
        samples[1] = sequential_requests(c, r.targets[1], c.baseline, baseline_time_limit);
        // A candidate that answered nothing in its first half would only spend the time again.
        if (samples[0].ok > 0 && c.baseline > first_half) {
            auto rest =
                sequential_requests(c, r.targets[0], c.baseline - first_half, baseline_time_limit / 2);
            samples[0].sent += rest.sent;
            samples[0].ok += rest.ok;
            samples[0].latency.merge(rest.latency);
        }
    } else {
        for (std::size_t t = 0; t < r.targets.size(); ++t)
            samples[t] = sequential_requests(c, r.targets[t], c.baseline, baseline_time_limit);
    }
    for (std::size_t t = 0; t < r.targets.size(); ++t) {
        const auto& st = samples[t];
        if (st.ok < min_baseline_successes) {
            spdlog::info("{}: baseline: {} of {} sequential requests succeeded, fewer than {}: no baseline "
                         "for it",
                         r.targets[t].label, st.ok, st.sent, min_baseline_successes);
            continue;
        }
        out[t] = baseline_json(st.sent, st.latency);
        spdlog::info("{}: baseline p50 {:.3f} ms over {} sequential requests", r.targets[t].label,
                     out[t]["p50_ms"].get<double>(), st.ok);
    }
    return out;
}

struct measured
{
    run_summary summary;
    json entry;
};

// One load run against resolved targets, with the servers sampled meanwhile.
measured measure(const config& c, const resolved_run& r, const std::vector<json>& baselines)
{
    std::vector<std::unique_ptr<common::process_sampler>> samplers;
    std::vector<pid_t> measured_pids{getpid()}; // what the census of other processes leaves out
    for (std::size_t i = 0; i < r.targets.size(); ++i) {
        auto pids = r.targets[i].endpoint.address().is_loopback() ? common::find_listening_pids(r.ports[i])
                                                                  : std::vector<pid_t>{};
        measured_pids.insert(measured_pids.end(), pids.begin(), pids.end());
        samplers.push_back(pids.empty() ? nullptr : std::make_unique<common::process_sampler>(pids));
        if (samplers.back())
            samplers.back()->start();
        else
            spdlog::info("no local process found listening on port {}: no server sampling for {}", r.ports[i],
                         r.targets[i].label);
    }
    progress live;
    run_output out;
    auto census_before = common::take_process_census();
    auto census_at = std::chrono::steady_clock::now();
    auto cpu_before = common::read_cpu_times();
    {
        progress_printer printer(live, isatty(STDOUT_FILENO) && !c.quiet && !c.json);
        out = run_load(plan_for(c, r), &live);
    }
    auto machine =
        common::machine_load_between(cpu_before, common::read_cpu_times(),
                                     static_cast<unsigned>(std::max(1L, sysconf(_SC_NPROCESSORS_ONLN))));
    auto others = common::other_processes_between(
        census_before, common::take_process_census(), measured_pids,
        std::chrono::duration<double>(std::chrono::steady_clock::now() - census_at).count(),
        sysconf(_SC_CLK_TCK));
    measured m;
    m.summary.key = r.key;
    m.summary.cfg = &c;
    m.summary.targets = r.targets;
    m.summary.out = std::move(out);
    m.summary.proxied = r.proxied;
    m.summary.baselines = baselines;
    m.summary.effective_model = r.model;
    m.summary.machine = machine;
    m.summary.other_processes = others;
    for (std::size_t i = 0; i < samplers.size(); ++i) {
        if (!samplers[i])
            continue;
        samplers[i]->stop();
        (i == 0 ? m.summary.server : m.summary.direct_server) = samplers[i]->summary();
    }
    m.entry = build_entry(m.summary);
    return m;
}

bool meets_slo(const config& c, const json& e)
{
    double err = 100.0 - e["success_rate"].get<double>();
    // Late sends already show in p99 (latency counts from the due time); the rate must also hold,
    // on each side in overhead mode.
    auto rate_held = [](const json& side, double target) {
        return side.value("achieved_rate", 0.0) >= 0.99 * target;
    };
    double target = e["target_rate"].get<double>();
    bool direct_ok = !e["direct"].is_object() || rate_held(e["direct"], target);
    return e["requests"].get<std::uint64_t>() > 0 && e["p99_latency_ms"].get<double>() <= c.slo_ms &&
           err < 0.1 && rate_held(e, target) && direct_ok;
}

// -find-max: doubles the rate from -rate until the SLO breaks, then bisects (6 steps).
measured find_max(const config& base, const resolved_run& r, const std::vector<json>& baselines, json& trials)
{
    config c = base;
    std::optional<measured> best;
    double next = base.rate, lo = 0, hi = 0;
    for (int step = 0; step < 20; ++step) {
        if (lo > 0 && hi > 0 && (hi - lo) / hi < 0.05)
            break;
        c.rate = hi == 0 ? next : (lo == 0 ? hi / 2 : (lo + hi) / 2);
        if (c.rate < 1)
            break;
        if (step > 0 && base.cooldown.count())
            std::this_thread::sleep_for(
                std::min<std::chrono::nanoseconds>(base.cooldown, std::chrono::seconds(1)));
        auto m = measure(c, r, baselines);
        bool ok = meets_slo(base, m.entry);
        trials.push_back(
            {{"rate", c.rate},
             {"achieved_rate", m.entry["achieved_rate"]},
             {"p99_ms", m.entry["p99_latency_ms"]},
             {"success_rate", m.entry["success_rate"]},
             {"succeeded", m.entry["succeeded"]},
             {"bench_cpu_percent", field(m.entry["load_generator"], "busiest_thread_cpu_percent")},
             {"ok", ok}});
        spdlog::info("find-max: {:g} req/s -> p99 {:.3f} ms, {:.2f}% ok: {}", c.rate,
                     m.entry["p99_latency_ms"].get<double>(), m.entry["success_rate"].get<double>(),
                     ok ? "within SLO" : "over");
        if (ok) {
            lo = c.rate;
            next = c.rate * 2;
            best = std::move(m);
        } else {
            hi = c.rate;
        }
    }
    if (!best)
        return {};
    best->entry["find_max"] = {{"max_rate", lo}, {"slo_ms", base.slo_ms}, {"trials", trials}};
    return std::move(*best);
}

// What a block's requests got instead of a success: "404 x12, drop timeout x3".
std::string outcomes(const json& block)
{
    std::string out;
    auto add = [&](const char* field, const char* prefix) {
        json counts = block.value(field, json::object()); // a named copy: items() of a temporary dangles
        for (const auto& [k, n] : counts.items())
            out += (out.empty() ? "" : ", ") + std::string(prefix) + k + " x" + n.dump();
    };
    add("status_code_counts", "");
    add("drop_reasons", "drop ");
    return out.empty() ? "no outcome recorded" : out;
}

// A 404 for every request to an API root ("http://host:port/v1") means -url was meant to name
// the endpoint itself.
std::string endpoint_hint(const json& block, std::string_view url)
{
    json counts = block.value("status_code_counts", json::object());
    if (counts.size() != 1 || !counts.contains("404"))
        return {};
    while (url.ends_with('/'))
        url.remove_suffix(1);
    auto scheme = url.find("://");
    bool root = url.ends_with("/v1") ||
                (scheme != std::string_view::npos && url.find('/', scheme + 3) == std::string_view::npos);
    if (!root)
        return {};
    return fmt::format("; -url names the endpoint itself, e.g. {}/chat/completions", url);
}

// Overhead mode whose direct target never answered 2xx (a missing key gives 401 from a hosted
// upstream): the outcomes it got instead ("401 x50, drop tls x2"), or "" when it had successes.
std::string failed_direct(const json& entry)
{
    json d = entry.value("direct", json());
    if (!d.is_object() || d.value("succeeded", std::uint64_t{0}) > 0)
        return {};
    return outcomes(d);
}

bool any_success(const json& trials)
{
    for (const auto& t : trials)
        if (t.value("succeeded", std::uint64_t{0}) > 0)
            return true;
    return false;
}

std::string describe_trials(const json& trials)
{
    std::string out;
    for (const auto& t : trials)
        out += fmt::format("{}{:g} req/s (p99 {:.3f} ms, {:.2f}% ok, achieved {:.1f} req/s)",
                           out.empty() ? "" : ", ", t["rate"].get<double>(), t["p99_ms"].get<double>(),
                           t["success_rate"].get<double>(), t["achieved_rate"].get<double>());
    return out;
}

} // namespace

session_result run_session(const config& c, const common::env_lookup& env, const std::string& prompt)
{
    session_result result;
    result.entries = json::object();
    auto providers = providers_of(c);
    for (std::size_t n = 0; n < providers.size(); ++n) {
        if (n > 0 && c.cooldown.count() > 0)
            std::this_thread::sleep_for(c.cooldown);
        auto rr = resolve_run(c, env, providers[n], prompt);
        if (auto* e = std::get_if<std::string>(&rr)) {
            std::fprintf(stderr, "bench: %s\n", e->c_str());
            result.exit_code = 2;
            continue;
        }
        auto& r = std::get<resolved_run>(rr);
        std::string unreachable;
        for (const auto& t : r.targets)
            if (auto why = probe(t, std::chrono::seconds(2)); !why.empty() && unreachable.empty())
                unreachable = why;
        if (!unreachable.empty()) {
            std::fprintf(stderr, "bench: %s: %s; nothing written for it\n", r.key.c_str(),
                         unreachable.c_str());
            result.exit_code = 2;
            continue;
        }
        spdlog::info("{}: {} {} for {}s against {}{}", r.key, c.open_loop() ? "open loop" : "closed loop",
                     c.open_loop() ? fmt::format("{} req/s", c.rate) : fmt::format("{} users", c.users),
                     std::chrono::duration<double>(c.duration).count(), r.targets[0].url,
                     r.targets.size() > 1 ? " alternating with direct " + r.targets[1].url : "");
        json trials = json::array();
        auto baselines = measure_baselines(c, r);
        auto m = c.find_max ? find_max(c, r, baselines, trials) : measure(c, r, baselines);
        if (c.find_max && m.entry.is_null() && any_success(trials)) {
            std::fprintf(stderr,
                         "bench: %s: find-max: no rate meets the SLO (p99 <= %g ms, < 0.1%% errors, rate "
                         "held within 1%%); tried %s; nothing written for it\n",
                         r.key.c_str(), c.slo_ms, describe_trials(trials).c_str());
            result.exit_code = 1;
            continue;
        }
        if (m.entry.is_null() || m.entry.value("succeeded", std::uint64_t{0}) == 0) {
            std::string why = m.entry.is_null() ? "no outcome recorded" : outcomes(m.entry);
            if (!m.entry.is_null() && !c.url.empty())
                why += endpoint_hint(m.entry, r.targets[0].url);
            std::fprintf(
                stderr, "bench: %s: no request succeeded against %s%s (%s); nothing written for it\n",
                r.key.c_str(), r.targets[0].url.c_str(), c.find_max ? " at any rate tried" : "", why.c_str());
            result.exit_code = 2;
            continue;
        }
        if (auto why = failed_direct(m.entry); !why.empty()) {
            std::fprintf(
                stderr,
                "bench: %s: no request to the direct target %s succeeded (%s); nothing written for it "
                "(-direct off measures the proxy alone)\n",
                r.key.c_str(), r.targets[1].url.c_str(), why.c_str());
            result.exit_code = 2;
            continue;
        }
        std::string error;
        if (!write_results(c.output, r.key, m.entry, error)) {
            std::fprintf(stderr, "bench: %s\n", error.c_str());
            result.exit_code = 1;
        }
        if (!c.quiet && !c.json)
            std::fputs(format_table(r.key, m.entry).c_str(), stdout);
        result.entries[r.key] = std::move(m.entry);
    }
    return result;
}

} // namespace loadgen
