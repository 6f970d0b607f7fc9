// The stdout table of a results entry (see result_table.hpp).
#include "bench/loadgen/result_table.hpp"

#include "bench/loadgen/json_fields.hpp"
#include "bench/loadgen/result_notes.hpp"

#include <fmt/format.h>

namespace loadgen {

using nlohmann::json;

std::string format_table(const std::string& key, const json& e)
{
    // Every field through field()/number_field(): `bench report` prints files that may be
    // hand-edited or written by another tool, where any field may be missing or of another type.
    // A figure the entry lacks prints as "-", never as 0.
    auto num = [](const json& j, const char* k, int decimals = 3) { return fixed_or_dash(j, k, decimals); };
    auto general = [](const json& j, const char* k) {
        const auto& v = field(j, k);
        return v.is_number() ? fmt::format("{:g}", v.get<double>()) : std::string("-");
    };
    auto count = [&](const json& j, const char* k) { return num(j, k, 0); };
    auto object = [](const json& j, const char* k) -> const json* {
        const auto& v = field(j, k);
        return v.is_object() ? &v : nullptr;
    };
    std::string out =
        fmt::format("{:<10} {:<7} {:>8} {:>8} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>6}\n", "target", "mode",
                    "requests", "ok%", "rps", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms", "late");
    const json* direct = object(e, "direct");
    // A row for the target, then one for the direct target in overhead mode.
    auto each_side = [&](const auto& row) {
        row(key, e);
        if (direct)
            row("  direct", *direct);
    };
    const auto& mode = field(e, "mode");
    auto row = [&](const std::string& name, const json& j) {
        out += fmt::format("{:<10} {:<7} {:>8} {:>8} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>6}\n", name,
                           mode.is_string() ? mode.get<std::string>() : "", count(j, "requests"),
                           num(j, "success_rate", 2), num(j, "throughput_rps", 1), num(j, "p50_latency_ms"),
                           num(j, "p90_latency_ms"), num(j, "p99_latency_ms"), num(j, "p999_latency_ms"),
                           num(j, "max_latency_ms"), count(j, "late_sends"));
    };
    each_side(row);
    // Latency columns are those of 2xx responses; non-2xx responses are timed apart.
    auto error_row = [&](const std::string& name, const json& j) {
        const json* x = object(j, "error_latency");
        if (!x)
            return;
        out += fmt::format("{:<10} non-2xx: {} responses, latency p50 {} p90 {} p99 {} mean {} "
                           "max {} ms (not in the columns above)\n",
                           name, count(*x, "count"), num(*x, "p50_ms"), num(*x, "p90_ms"), num(*x, "p99_ms"),
                           num(*x, "mean_ms"), num(*x, "max_ms"));
    };
    each_side(error_row);
    // Requests without a response, by reason, so that a low ok% says why.
    auto drop_row = [&](const std::string& name, const json& j) {
        const json* drops = object(j, "drop_reasons");
        if (!drops || drops->empty())
            return;
        double total = 0;
        std::string reasons;
        for (const auto& [reason, n] : drops->items()) {
            total += n.is_number() ? n.get<double>() : 0;
            reasons +=
                fmt::format("{}{} {}", reasons.empty() ? "" : ", ", reason, count(*drops, reason.c_str()));
        }
        out += fmt::format("{:<10} no response: {:.0f} ({})\n", name, total, reasons);
        if (drops->contains("unsent"))
            out +=
                fmt::format("{:<10} unsent: every connection was busy past -timeout when these were due: the "
                            "target is past its capacity (lower -rate or raise -connections)\n",
                            "");
    };
    each_side(drop_row);
    // Each side's latency alone, the reference its p50 under load is read against.
    auto baseline_row = [&](const std::string& name, const json& j) {
        const json* b = object(j, "baseline");
        if (!b)
            return;
        out += fmt::format("{:<10} alone: p50 {} ms (min {}, max {}) over {} sequential requests "
                           "before the load\n",
                           name, num(*b, "p50_ms"), num(*b, "min_ms"), num(*b, "max_ms"),
                           count(*b, "succeeded"));
    };
    each_side(baseline_row);
    if (const json* o = object(e, "overhead")) {
        out += fmt::format("overhead (proxy - direct, 95% CI over {} window pairs):", count(*o, "windows"));
        for (auto k : {"p50_ms", "p90_ms", "p99_ms", "p999_ms", "mean_ms"}) {
            const auto& est = field(*o, k);
            out +=
                fmt::format(" {} {} [{}, {}]", k, num(est, "value"), num(est, "ci_low"), num(est, "ci_high"));
        }
        out += "\n";
    }
    if (const json* s = object(e, "stream")) {
        out += fmt::format("stream: ttft p50 {} ms p99 {} ms, gap p50 {} ms p99 {} ms, {} chunks/s\n",
                           num(field(*s, "ttft_ms"), "p50"), num(field(*s, "ttft_ms"), "p99"),
                           num(field(*s, "gap_ms"), "p50"), num(field(*s, "gap_ms"), "p99"),
                           num(*s, "chunks_per_second", 1));
    }
    if (const json* st = object(e, "proxy_server_timing_ms"))
        out += fmt::format("proxy Server-Timing: p50 {} ms p99 {} ms\n", num(*st, "p50"), num(*st, "p99"));
    if (const json* fm = object(e, "find_max")) {
        const auto& trials = field(*fm, "trials");
        out += fmt::format(
            "find-max: highest rate within p99 <= {} ms and < 0.1% errors: {} req/s ({} trials)\n",
            general(*fm, "slo_ms"), general(*fm, "max_rate"), trials.is_array() ? trials.size() : 0);
    }
    // The process on each side's port: in overhead mode the direct target's is the candidate's
    // upstream, where a queue that the candidate's latency shows usually is.
    auto server_row = [&](const std::string& name, const json& j) {
        if (!field(j, "server_peak_memory_mb").is_number())
            return;
        out += fmt::format("{} (pid {}): RSS peak {} MiB avg {} MiB, CPU avg {}%\n", name,
                           count(j, "server_pid"), num(j, "server_peak_memory_mb", 1),
                           num(j, "server_avg_memory_mb", 1), num(field(j, "server_cpu_percent"), "avg", 1));
    };
    server_row("server", e);
    if (direct)
        server_row("  direct server", *direct);
    if (const json* lg = object(e, "load_generator"))
        out += fmt::format("load generator: {} worker thread{}, the busiest at {}% of a CPU core\n",
                           count(*lg, "threads"), number_field(*lg, "threads") == 1 ? "" : "s",
                           num(*lg, "busiest_thread_cpu_percent", 1));
    if (const json* m = object(e, "machine")) {
        out += fmt::format("machine: {} CPUs, {}% busy, {}% stolen by the hypervisor over the run\n",
                           count(*m, "cpus"), num(*m, "busy_percent", 1), num(*m, "steal_percent", 1));
        if (const json* others = object(*m, "other_processes")) {
            auto busiest = busiest_other_processes(*others);
            out += fmt::format("other processes: {}% of a CPU core{}\n", num(*others, "cpu_percent", 1),
                               busiest.empty() ? "" : ", the busiest " + busiest);
        }
    }
    for (const auto& note : result_notes(e))
        out += "note: " + note + "\n";
    return out;
}

} // namespace loadgen
