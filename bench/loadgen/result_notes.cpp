// Notes on a results entry: thin intervals, differences outside the proxy, saturated servers.
#include "bench/loadgen/result_notes.hpp"

#include "bench/loadgen/json_fields.hpp"
#include "bench/loadgen/overhead.hpp"
#include "common/logging.hpp"
#include "common/process_census.hpp"
#include "common/units.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace loadgen {
namespace {

using nlohmann::json;

// A single-threaded process past this share of a core is near its limit: queueing grows steeply
// towards a whole core, and one that shares its core with another busy process gets less than
// the whole of it (LiteLLM, saturated, 89% beside a fuzzing run). Used for bench's own worker
// threads and for the servers without a baseline.
constexpr double near_a_whole_core_percent = 80.0;

// bench itself near a whole core: a worker thread that busy answers late to what it reads and
// sends late what is due, so every latency it records includes time spent waiting for bench.
void load_generator_note(const json& e, std::vector<std::string>& out)
{
    const auto& lg = field(e, "load_generator");
    const auto& busiest = field(lg, "busiest_thread_cpu_percent");
    if (!busiest.is_number() || busiest.get<double>() < near_a_whole_core_percent)
        return;
    double late = number_field(e, "late_sends") + number_field(field(e, "direct"), "late_sends");
    double threads = number_field(lg, "threads");
    out.push_back(fmt::format(
        "bench's busiest worker thread used {:.0f}% of a CPU core over the measured phase ({:.0f} worker "
        "thread{}): near its limit, bench answers late to what it reads and sends late what is due ({:.0f} "
        "late sends), so the latencies here include time spent waiting for bench itself; give it more "
        "-threads, a core of its own (taskset), or a lower -rate",
        busiest.get<double>(), threads, threads == 1 ? "" : "s", late));
}

// The machine itself: time the hypervisor withheld (steal) stalls every process at random
// moments, and CPUs busy nearly all the time make bench, the candidate and its upstream wait for
// each other. Either reaches every latency here, and neither is the candidate's doing.
void machine_note(const json& e, std::vector<std::string>& out)
{
    const auto& m = field(e, "machine");
    const auto &steal = field(m, "steal_percent"), &busy = field(m, "busy_percent");
    if (steal.is_number() && steal.get<double>() >= 5.0)
        out.push_back(
            fmt::format("the hypervisor withheld {:.1f}% of this machine's CPU time during the run "
                        "(steal): every process here waited for a physical CPU at moments of the "
                        "neighbours' choosing, and the latencies include those waits; figures from "
                        "such a machine move from run to run: repeat it, or measure on one without steal",
                        steal.get<double>()));
    if (busy.is_number() && busy.get<double>() >= 90.0)
        out.push_back(
            fmt::format("this machine's {:.0f} CPUs were {:.0f}% busy during the run: bench, the "
                        "servers and any other work on the machine competed for them, and the "
                        "latencies include that wait; measure on an otherwise idle machine, pin the "
                        "processes apart (taskset), or lower -rate",
                        number_field(m, "cpus"), busy.get<double>()));
    const auto& others = field(m, "other_processes");
    const auto& others_cpu = field(others, "cpu_percent");
    if (others_cpu.is_number() && others_cpu.get<double>() >= other_processes_note_percent) {
        auto busiest = busiest_other_processes(others);
        out.push_back(
            fmt::format("processes other than bench and the servers it sampled used {:.0f}% of a CPU core "
                        "during the run{}: they competed with bench and the servers for the CPUs, and the "
                        "latencies include that wait. An upstream behind a measured server (a gateway's "
                        "provider) counts among them, as bench only samples the processes on its targets' "
                        "ports; anything else, stop it or measure on another machine",
                        others_cpu.get<double>(), busiest.empty() ? "" : " (the busiest: " + busiest + ")"));
    }
}

// -find-max: the lowest rate over the SLO bounds the rate found. When bench's busiest worker
// thread was near a whole core in that trial, the bound may be bench's own, not the target's.
void find_max_note(const json& e, std::vector<std::string>& out)
{
    const auto& trials = field(field(e, "find_max"), "trials");
    if (!trials.is_array())
        return;
    const json* bound = nullptr;
    for (const auto& t : trials) {
        const auto& ok = field(t, "ok");
        if (ok.is_boolean() && !ok.get<bool>() && field(t, "rate").is_number() &&
            (!bound || number_field(t, "rate") < number_field(*bound, "rate")))
            bound = &t;
    }
    if (!bound || !field(*bound, "bench_cpu_percent").is_number() ||
        number_field(*bound, "bench_cpu_percent") < near_a_whole_core_percent)
        return;
    out.push_back(
        fmt::format("find-max: in the lowest trial over the SLO ({:g} req/s), bench's busiest worker "
                    "thread used {:.0f}% of a CPU core: the highest rate found may be bench's limit, "
                    "not the target's; give bench more -threads or a core of its own and search again",
                    number_field(*bound, "rate"), number_field(*bound, "bench_cpu_percent")));
}

void overhead_notes(const json& e, std::vector<std::string>& out)
{
    const auto& o = field(e, "overhead");
    if (!o.is_object())
        return;
    auto pairs = number_field(o, "windows");
    if (field(o, "windows").is_number() && pairs < static_cast<double>(min_pairs_for_interval))
        out.push_back(
            fmt::format("{:.0f} window pairs are too few for a 95% interval (it needs {}): run longer, "
                        "or give a shorter -window",
                        pairs, min_pairs_for_interval));
    const auto& timing = field(e, "proxy_server_timing_ms");
    const auto& p50 = field(o, "p50_ms");
    if (!timing.is_object() || !p50.is_object())
        return;
    // A loopback hop and the scheduling of one more process on a shared machine stay well below this.
    constexpr double slack_ms = 1.0;
    double own = number_field(timing, "p99");
    if (number_field(p50, "ci_low") <= own + slack_ms && number_field(p50, "ci_high") >= -slack_ms)
        return;
    const auto& direct = field(e, "direct");
    out.push_back(
        fmt::format("the overhead p50 ({:+.3f} ms) is not the proxy's own time (Server-Timing p50 "
                    "{:.3f} ms, p99 {:.3f} ms): the difference arose outside the proxy, most often in "
                    "an upstream whose latency changed between windows (direct p50 {:.3f} ms, p99 "
                    "{:.3f} ms; one past its capacity queues); a lower -rate or a longer run tells "
                    "them apart",
                    number_field(p50, "value"), number_field(timing, "p50"), own,
                    number_field(direct, "p50_latency_ms"), number_field(direct, "p99_latency_ms")));
}

// Tail percentiles of too few requests: with fewer than min_tail_samples beyond it, a percentile
// is one of the slowest few requests and its interval only their spread. The count is the
// overhead's smaller side over its window pairs (a last window without its pair is not in it), or,
// without an overhead (or in a file from before it had one), the smaller side's successes.
void tail_note(const json& e, std::vector<std::string>& out)
{
    const auto& o = field(e, "overhead");
    const auto& direct = field(e, "direct");
    const bool overhead = field(o, "smaller_side").is_number();
    double n = overhead ? number_field(o, "smaller_side") : number_field(e, "succeeded");
    if (!overhead && direct.is_object())
        n = std::min(n, number_field(direct, "succeeded"));
    // Past 10,000 nothing is thin; the bound also keeps a hand-edited count inside uint64_t.
    if (!(n >= 1) || n >= 1e9)
        return;
    struct level
    {
        const char* name;
        std::uint64_t per_mille;
    };
    static constexpr level levels[] = {
        {"p90", p90_per_mille}, {"p99", p99_per_mille}, {"p99.9", p999_per_mille}};
    auto count = static_cast<std::uint64_t>(n);
    std::vector<std::string> names, beyond, needs;
    for (const auto& l : levels) {
        auto k = tail_samples(count, l.per_mille);
        if (k >= min_tail_samples)
            continue;
        names.push_back(l.name);
        beyond.push_back(fmt::format("{} beyond {}", k, l.name));
        needs.push_back(
            fmt::format("{} requests for {}", common::format_count(steady_count(l.per_mille)), l.name));
    }
    if (names.empty())
        return;
    auto join = [](const std::vector<std::string>& v) {
        std::string s;
        for (std::size_t i = 0; i < v.size(); ++i)
            s += (i == 0 ? "" : i + 1 == v.size() ? " and " : ", ") + v[i];
        return s;
    };
    const bool one = names.size() == 1;
    std::string what = one ? "that figure" : "these figures";
    if (overhead)
        what += one ? " and its interval" : " and their intervals";
    what += one && !overhead ? " shows" : " show";
    out.push_back(fmt::format("{} {} on too few requests: {} successes{} leave {}, and a steady percentile "
                              "needs about {} beyond it ({}); {} the slowest few requests: run longer "
                              "or at a higher -rate",
                              join(names), one ? "rests" : "rest", count,
                              overhead             ? " (the smaller side, over the window pairs)"
                              : direct.is_object() ? " (the smaller side)"
                                                   : "",
                              join(beyond), min_tail_samples, join(needs), what));
}

// A side whose median under load rose far above its median alone (the "baseline": sequential
// requests before the load) waited in a queue for most of it: its latency here says how loaded it
// was, not what a request costs, and an overhead taken against it mostly measures how that queue
// moved between windows. Twice, plus 1 ms: far beyond what ten samples of a steady server vary by.
// Whatever queued (a single-threaded server at its core's limit, a pool of workers, a rate limiter),
// the comparison with itself alone shows it.
bool queued(const json& side)
{
    const auto& baseline = field(side, "baseline");
    return baseline.is_object() &&
           number_field(side, "p50_latency_ms") > 2.0 * number_field(baseline, "p50_ms") + 1.0;
}

// The direct target of an overhead run is the candidate's upstream: the candidate's requests wait
// in its queue too, so its note speaks for both sides. The candidate's process may be idle meanwhile
// (a proxy in front of a saturated LiteLLM used 1% of a core), and the CPU figure shows where the
// queue is not. When only the candidate's side queued, `behind` is the direct target: its
// process's CPU says whether the queue was most likely there (LiteLLM's worker at 88% of a core,
// its p50 1.2x its alone figure, while the proxy's side measured 2.2x).
void queue_note(const json& side, const char* what, const json* behind, bool upstream,
                std::vector<std::string>& out)
{
    const auto& baseline = field(side, "baseline");
    double p50 = number_field(side, "p50_latency_ms"), alone = number_field(baseline, "p50_ms");
    const auto& cpu = field(side, "server_cpu_percent");
    std::string busy = cpu.is_object()
                           ? fmt::format(", its process (pid {:.0f}) using {:.0f}% of a CPU core",
                                         number_field(side, "server_pid"), number_field(cpu, "avg"))
                           : std::string();
    const json* behind_cpu = behind ? &field(*behind, "server_cpu_percent") : nullptr;
    bool behind_busy = false;
    if (behind_cpu && behind_cpu->is_object()) {
        double percent = number_field(*behind_cpu, "avg");
        double pid = number_field(*behind, "server_pid");
        behind_busy = percent >= near_a_whole_core_percent;
        busy +=
            busy.empty()
                ? fmt::format(", its upstream's process (the direct target, pid {:.0f}) using {:.0f}% of a "
                              "CPU core",
                              pid, percent)
                : fmt::format(" and its upstream's (the direct target, pid {:.0f}) {:.0f}%", pid, percent);
    }
    out.push_back(fmt::format(
        "the {}'s p50 under load ({:.3f} ms) was {:.1f}x its p50 alone ({:.3f} ms over {:.0f} sequential "
        "requests before the load){}: at this rate {}; a lower -rate measures it closer to unloaded",
        what, p50, p50 / std::max(alone, 0.001), alone, number_field(baseline, "succeeded"), busy,
        upstream      ? "requests queue there, and the latencies of both sides here are mostly waiting (the "
                        "candidate's requests reach it too)"
        : behind_busy ? "its requests queue, most likely at its upstream, which was near a whole core, "
                        "and its latency here is mostly waiting"
                      : "its requests queue (in it or behind it), and its latency here is mostly waiting"));
}

// Without a baseline (-baseline 0, or files from before it): a server that used a whole core while
// its median latency rose far above its fastest answer is most likely past its capacity.
// Single-threaded servers (LiteLLM's Python worker, Portkey's Node) reach this at rates a Go or
// C++ one does not: on this project's two-core machine, LiteLLM in front of mock-llm at 50 req/s
// (the quick start). Near a whole core (near_a_whole_core_percent), not at it.
void saturation_note(const json& side, const char* what, std::vector<std::string>& out)
{
    const auto& cpu = field(side, "server_cpu_percent");
    if (!cpu.is_object())
        return;
    double busy = number_field(cpu, "avg"), p50 = number_field(side, "p50_latency_ms"),
           fastest = number_field(side, "min_latency_ms");
    if (busy < near_a_whole_core_percent || p50 <= 1.5 * fastest + 1.0)
        return;
    out.push_back(
        fmt::format("the {} (pid {:.0f}) used {:.0f}% of a CPU core on average while its p50 ({:.3f} ms) "
                    "was far above its fastest answer ({:.3f} ms): it is likely past its capacity at "
                    "this rate, and its latency here is mostly its queue; a lower -rate measures it "
                    "unloaded",
                    what, number_field(side, "server_pid"), busy, p50, fastest));
}

// A side with a baseline is judged by it alone; one without falls back on the CPU heuristic.
// `behind`: the direct target, for the candidate's side of an overhead run.
void load_note(const json& side, const char* what, const json* behind, std::vector<std::string>& out)
{
    if (!field(side, "baseline").is_object())
        saturation_note(side, what, out);
    else if (queued(side))
        queue_note(side, what, behind, false, out);
}

} // namespace

std::string busiest_other_processes(const json& other_processes)
{
    std::string out;
    const auto& busiest = field(other_processes, "busiest");
    if (!busiest.is_array())
        return out;
    std::size_t listed = 0;
    for (const auto& p : busiest) {
        const auto &name = field(p, "name"), &pid = field(p, "pid"), &cpu = field(p, "cpu_percent");
        if (!name.is_string() || !pid.is_number_integer() || !cpu.is_number())
            continue;
        if (listed++ == common::busiest_kept) // a hand-edited file may list any number
            break;
        out += fmt::format("{}{} (pid {}) {:.1f}%", out.empty() ? "" : ", ",
                           common::printable_line(name.get<std::string>()), pid.get<std::int64_t>(),
                           cpu.get<double>());
    }
    return out;
}

std::vector<std::string> result_notes(const json& entry, tail_notes tails)
{
    std::vector<std::string> out;
    load_generator_note(entry, out);
    find_max_note(entry, out);
    machine_note(entry, out);
    overhead_notes(entry, out);
    if (tails == tail_notes::include)
        tail_note(entry, out);
    // A queue at the direct target (the candidate's upstream) explains the candidate's latency
    // too: its note says so, alone. Otherwise one note per side that queued or looks saturated.
    const auto& direct = field(entry, "direct");
    if (direct.is_object() && queued(direct)) {
        queue_note(direct, "direct target", nullptr, true, out);
        return out;
    }
    load_note(entry, "server", direct.is_object() ? &direct : nullptr, out);
    load_note(direct, "direct target", nullptr, out);
    return out;
}

} // namespace loadgen
