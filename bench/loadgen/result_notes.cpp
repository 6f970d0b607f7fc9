// Notes on a results entry: thin intervals, differences outside the proxy, saturated servers.
#include "bench/loadgen/result_notes.hpp"

#include "bench/loadgen/json_fields.hpp"
#include "bench/loadgen/overhead.hpp"

#include <fmt/format.h>

namespace loadgen {
namespace {

using nlohmann::json;

void overhead_notes(const json& e, std::vector<std::string>& out)
{
    const auto& o = field(e, "overhead");
    if (!o.is_object())
        return;
    auto pairs = number_field(o, "windows");
    if (pairs < static_cast<double>(min_pairs_for_interval))
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

// A server that used a whole core while its median latency rose far above its fastest answer is
// most likely past its capacity: its latency here is mostly time in its own queue. Single-threaded
// servers (LiteLLM's Python worker, Portkey's Node) reach this at rates a Go or C++ one does not:
// on this project's two-core machine, LiteLLM in front of mock-llm at 50 req/s (the quick start).
// 80%, not 100%: a saturated single-threaded server that shares its core with another busy process
// gets less than the whole core (LiteLLM, saturated, 89% beside a fuzzing run).
void saturation_note(const json& side, const char* what, std::vector<std::string>& out)
{
    const auto& cpu = field(side, "server_cpu_percent");
    if (!cpu.is_object())
        return;
    double busy = number_field(cpu, "avg"), p50 = number_field(side, "p50_latency_ms"),
           fastest = number_field(side, "min_latency_ms");
    if (busy < 80.0 || p50 <= 1.5 * fastest + 1.0)
        return;
    out.push_back(
        fmt::format("the {} (pid {:.0f}) used {:.0f}% of a CPU core on average while its p50 ({:.3f} ms) "
                    "was far above its fastest answer ({:.3f} ms): it is likely past its capacity at "
                    "this rate, and its latency here is mostly its queue; a lower -rate measures it "
                    "unloaded",
                    what, number_field(side, "server_pid"), busy, p50, fastest));
}

} // namespace

std::vector<std::string> result_notes(const json& entry)
{
    std::vector<std::string> out;
    overhead_notes(entry, out);
    saturation_note(entry, "server", out);
    saturation_note(field(entry, "direct"), "direct target", out);
    return out;
}

} // namespace loadgen
