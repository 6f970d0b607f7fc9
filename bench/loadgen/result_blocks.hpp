// The parts of a results.json entry that are computed from histograms, shared by a run
// (build_entry) and by `bench merge`, so that a merged file is computed exactly as one run
// holding all the requests would have been: latency fields, stream figures, error latency,
// the overhead estimate from window pairs, and the stored histograms those need.
#pragma once

#include "common/histogram.hpp"
#include "common/machine_load.hpp"
#include "common/process_census.hpp"

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace loadgen {

// results.json's format, in every entry. 2: per-side rates over each side's own windows,
// error_latency, stored histograms and windows.
inline constexpr int format_version = 2;

double round3(double v);

// The latency fields of one second of the "timeline": p50_ms, p99_ms, and the histogram itself
// in compact form ("latency"), from which `bench merge` recomputes the two exactly.
void set_second_latency(nlohmann::json& second, const common::histogram& h);

// {"p50","p90","p99","mean"} in ms.
nlohmann::json quick_stats(const common::histogram& h);

// The ~40 quantiles of the "percentiles" curve: 0, then 100 (1 - 2^(-k/3)) up to 99.99.
std::vector<double> curve_quantiles();

// mean/p50/p90/p99/p999/min/max_latency_ms and "percentiles" of a latency histogram.
nlohmann::json latency_fields(const common::histogram& h);

// The histograms of one side besides its latency, as stored under "histograms".
struct side_histograms
{
    common::histogram service, error_latency, ttft, gap, server_timing;
};
nlohmann::json histograms_json(const side_histograms& h);
std::optional<side_histograms> histograms_from_json(const nlohmann::json& j, std::string& error);

// null when no non-2xx response was timed, else {count, p50_ms, p90_ms, p99_ms, mean_ms, min_ms, max_ms}.
nlohmann::json error_latency_json(const common::histogram& h);

// The "stream" block: TTFT, gaps and total time (the latency histogram) of streamed successes;
// `chunks` data events spread over `chunk_span_s` (sum over requests of last - first event).
nlohmann::json stream_json(const common::histogram& ttft, const common::histogram& gap,
                           const common::histogram& total, std::uint64_t chunks, double chunk_span_s);

// The "baseline" block of one side: its latency alone, from -baseline sequential requests on one
// connection before the load. {"requests", "succeeded" (ok's count), "p50_ms", "min_ms", "max_ms",
// "latency" (ok, compact: `bench merge` merges it)}, where `ok` holds the successes' latencies;
// null when no request succeeded, so that no figure stands for nothing.
nlohmann::json baseline_json(std::uint64_t requests, const common::histogram& ok);

// The "load_generator" block: bench's own worker threads over the measured phase, {"threads",
// "busiest_thread_cpu_percent"} (% of one core); null when no thread measured it (a load that
// ended in its warm-up). A worker near a whole core delays what it sends and reads, and its
// latencies include that delay.
nlohmann::json load_generator_json(unsigned threads, const std::vector<double>& thread_cpu_percent);
// Runs side by side (bench merge): the threads add up and the busiest is the busier of the two;
// null unless both inputs have the block with numbers in it.
nlohmann::json merge_load_generator(const nlohmann::json& a, const nlohmann::json& b);

// The "machine" block: all CPUs over the load, {"cpus", "busy_percent", "steal_percent",
// "other_processes"}; null when /proc/stat could not be read. "other_processes" is
// {"cpu_percent", "busiest": [{"pid", "name", "cpu_percent"}...]} (% of one core), the processes
// other than bench and the servers it sampled (process_census.hpp), or null when /proc could not
// be read for them.
nlohmann::json machine_json(const std::optional<common::machine_load>& m,
                            const std::optional<common::other_processes_cpu>& others);
// Runs on several machines (bench merge): the busiest and the most stolen of them, and the inputs'
// busier "other_processes", since each reaches the merged latencies; null unless both inputs have
// the block with numbers in it.
nlohmann::json merge_machine(const nlohmann::json& a, const nlohmann::json& b);

// One alternation window pair (proxy window and direct window) as the bootstrap needs it.
struct window_pair_data
{
    common::histogram proxy_latency, direct_latency, proxy_ttft, direct_ttft;
};

// "windows": {"pairs": [{"proxy":..., "direct":..., "proxy_ttft":..., "direct_ttft":...}, ...]}
// (compact histograms; the TTFT ones only with streams). Pairs without a success on either side
// are left out: the bootstrap skips them anyway.
nlohmann::json windows_json(const std::vector<window_pair_data>& pairs, bool stream);
std::optional<std::vector<window_pair_data>> windows_from_json(const nlohmann::json& j, std::string& error);

// The "overhead" block from window pairs (bootstrap with `seed`), with "ttft_ms" for streams;
// null when no pair has successes on both sides.
nlohmann::json overhead_from_pairs(const std::vector<window_pair_data>& pairs, std::uint64_t seed,
                                   bool stream);

} // namespace loadgen
