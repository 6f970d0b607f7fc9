// `bench merge`: combines results files from several runs (or machines). Counts add up, and every
// histogram merges bucket by bucket, so each figure derived from one (latency percentiles,
// service time, error latency, stream TTFT/gaps/total, Server-Timing) is that of the union of
// all requests. The overhead is recomputed by the same bootstrap over the window pairs of all
// inputs. Figures that cannot be combined exactly are marked absent, never averaged.
#include "bench/loadgen/merge.hpp"

#include "bench/loadgen/histogram_codec.hpp"
#include "bench/loadgen/json_fields.hpp"
#include "bench/loadgen/result_blocks.hpp"
#include "bench/loadgen/result_notes.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace loadgen {
namespace {

using nlohmann::json;

// A malformed results file found mid-merge: merge_results turns it into its error.
struct malformed_field : std::runtime_error
{
    using std::runtime_error::runtime_error;
};

// A count (requests, errors, a version...): `fallback` when absent or null; a non-negative
// integer otherwise. nlohmann's value<uint64_t>() would convert -3.5 or 1e300 (undefined
// behaviour) and throw on a string; the merge stops with the field's name instead.
std::uint64_t count(const json& j, const char* k, std::uint64_t fallback = 0)
{
    if (!j.is_object() || !j.contains(k) || j[k].is_null())
        return fallback;
    const auto& v = j[k];
    // Parsed text gives unsigned numbers; an entry built in memory (build_entry) holds signed ones.
    if (v.is_number_unsigned() || (v.is_number_integer() && v.get<std::int64_t>() >= 0))
        return v.get<std::uint64_t>();
    throw malformed_field(std::string("\"") + k + "\" is not a non-negative integer");
}

// Status or drop-reason counts of both sides, key by key. Every value of both is read, so a
// count only one side has is checked too: a merged file must merge again.
json add_counts(const json& a, const json& b)
{
    json out = json::object();
    for (const auto* side : {&a, &b})
        if (side->is_object())
            for (const auto& item : side->items())
                out[item.key()] = count(out, item.key().c_str()) + count(*side, item.key().c_str());
    return out;
}

// Seconds with the same t_s add up: rates and errors add, and the per-second latency
// histograms (results since the timeline carried them) merge, so p50/p99 are those of the union.
// A second where either input has no histogram (older files) keeps the worse of the two
// percentiles, which is then only a bound, and says so in "latency": null.
std::optional<json> merge_timeline(const json& a, const json& b, std::string& error)
{
    std::map<std::uint64_t, json> by_t;
    for (const auto* tl : {&a, &b}) {
        if (!tl->is_array())
            continue;
        for (const auto& p : *tl) {
            if (!p.is_object())
                throw malformed_field("a timeline second is not an object");
            auto t = count(p, "t_s");
            auto& slot = by_t[t];
            if (slot.is_null()) {
                // A second only one input has is kept as it is, but read all the same: a merged
                // entry must be one that merges again, whichever seconds the inputs share.
                static_cast<void>(count(p, "errors")); // throws malformed_field for a bad count
                if (const auto& l = field(p, "latency"); !l.is_null() && !from_compact_json(l, error)) {
                    error = "timeline second " + std::to_string(t) + ": " + error;
                    return std::nullopt;
                }
                slot = p;
                continue;
            }
            slot["rps"] = round3(number_field(slot, "rps") + number_field(p, "rps"));
            slot["errors"] = count(slot, "errors") + count(p, "errors");
            bool exact = slot.contains("latency") && !slot["latency"].is_null() && p.contains("latency") &&
                         !p["latency"].is_null();
            if (!exact) {
                slot["p50_ms"] = std::max(number_field(slot, "p50_ms"), number_field(p, "p50_ms"));
                slot["p99_ms"] = std::max(number_field(slot, "p99_ms"), number_field(p, "p99_ms"));
                slot["latency"] = nullptr;
                continue;
            }
            auto x = from_compact_json(slot["latency"], error);
            auto y = from_compact_json(p["latency"], error);
            if (!x || !y) {
                error = "timeline second " + std::to_string(t) + ": " + error;
                return std::nullopt;
            }
            x->merge(*y);
            set_second_latency(slot, *x);
        }
    }
    json out = json::array();
    for (auto& [t, p] : by_t)
        out.push_back(p);
    return out;
}

// Chunks and their span of a "stream" block; files without "chunk_span_s" give it back from
// the rate (rounded, so close but not exact).
std::pair<std::uint64_t, double> stream_chunks(const json& s)
{
    auto chunks = count(s, "chunks");
    if (s.contains("chunk_span_s") && s["chunk_span_s"].is_number())
        return {chunks, s["chunk_span_s"].get<double>()};
    double cps = number_field(s, "chunks_per_second");
    return {chunks, cps > 0 ? static_cast<double>(chunks) / cps : 0.0};
}

// The figures of a block derived from its stored "histograms" (format 2): service time, error
// latency, stream. Without them (format 1) they cannot be merged and are set absent.
bool merge_side_histograms(json& a, const json& b, const common::histogram& latency, std::string& error)
{
    if (!a.contains("histograms") || !b.contains("histograms")) {
        // One side's histograms alone describe only its requests, and they were not read.
        a.erase("histograms");
        a["service_time_ms"] = nullptr;
        a["stream"] = nullptr;
        a["merge_note"] = "service time and stream figures need the per-side histograms of format 2";
        return true;
    }
    auto x = histograms_from_json(a["histograms"], error);
    auto y = histograms_from_json(b["histograms"], error);
    if (!x || !y)
        return false;
    for (auto m : {&side_histograms::service, &side_histograms::error_latency, &side_histograms::ttft,
                   &side_histograms::gap, &side_histograms::server_timing})
        ((*x).*m).merge((*y).*m);
    a["histograms"] = histograms_json(*x);
    a["service_time_ms"] = quick_stats(x->service);
    a["error_latency"] = error_latency_json(x->error_latency);
    if (a["stream"].is_object() && b.contains("stream") && b["stream"].is_object()) {
        auto [ca, sa] = stream_chunks(a["stream"]);
        auto [cb, sb] = stream_chunks(b["stream"]);
        a["stream"] = stream_json(x->ttft, x->gap, latency, ca + cb, sa + sb);
    } else {
        a["stream"] = nullptr; // a streamed run merged with a plain one
    }
    return true;
}

// The "baseline" blocks of one side in two runs: their histograms merge, so the merged p50 is that
// of all the sequential requests. When one run has none (-baseline 0, older files) the merged side
// has none either: one run's baseline does not stand for the union.
std::optional<json> merge_baseline(const json& a, const json& b, std::string& error)
{
    for (const auto* side : {&a, &b})
        if (!side->is_null() && !side->is_object())
            throw malformed_field("\"baseline\" is not an object");
    if (!a.is_object() || !b.is_object())
        return json(nullptr);
    auto x = from_compact_json(field(a, "latency"), error);
    auto y = from_compact_json(field(b, "latency"), error);
    if (!x || !y) {
        error = "baseline: " + error;
        return std::nullopt;
    }
    x->merge(*y);
    auto requests = count(a, "requests") + count(b, "requests");
    return baseline_json(std::max(requests, x->count()), *x);
}

// Merges the counting and latency fields of two target blocks; `ha`/`hb` are their histograms.
std::optional<json> merge_block(json a, const json& b, const json& ha, const json& hb, json& merged_hist,
                                std::string& error)
{
    auto x = common::histogram::from_json(ha, error);
    auto y = common::histogram::from_json(hb, error);
    if (!x || !y)
        return std::nullopt;
    x->merge(*y);
    merged_hist = x->to_json();
    auto requests = count(a, "requests") + count(b, "requests");
    auto ok_of = [](const json& j) {
        return j.contains("succeeded")
                   ? count(j, "succeeded")
                   : static_cast<std::uint64_t>(
                         std::llround(number_field(j, "success_rate") * number_field(j, "requests") / 100.0));
    };
    auto ok = ok_of(a) + ok_of(b);
    a.update(latency_fields(*x));
    a["requests"] = requests;
    a["succeeded"] = ok;
    a["success_rate"] =
        requests ? std::round(100000.0 * static_cast<double>(ok) / static_cast<double>(requests)) / 1000.0
                 : 0.0;
    // The inputs ran side by side (several machines): their rates add up.
    for (auto k : {"throughput_rps", "achieved_rate"})
        a[k] = round3(number_field(a, k) + number_field(b, k));
    if (a.contains("measured_s"))
        a["measured_s"] = std::max(number_field(a, "measured_s"), number_field(b, "measured_s"));
    a["late_sends"] = count(a, "late_sends") + count(b, "late_sends");
    a["status_code_counts"] = add_counts(a["status_code_counts"], field(b, "status_code_counts"));
    a["drop_reasons"] = add_counts(a["drop_reasons"], field(b, "drop_reasons"));
    auto timeline = merge_timeline(a["timeline"], field(b, "timeline"), error);
    if (!timeline)
        return std::nullopt;
    a["timeline"] = std::move(*timeline);
    auto baseline = merge_baseline(field(a, "baseline"), field(b, "baseline"), error);
    if (!baseline)
        return std::nullopt;
    a["baseline"] = std::move(*baseline);
    if (!merge_side_histograms(a, b, *x, error))
        return std::nullopt;
    return a;
}

// The overhead of the merged entry: the same bootstrap as one run, over the window pairs of
// both inputs. Without window data (format 1, or a side without direct) it is absent, with a note.
bool merge_overhead(json& out, const json& a, const json& b, std::string& error)
{
    out["overhead"] = nullptr;
    out["windows"] = nullptr;
    out.erase("overhead_note");
    if (!out["direct"].is_object())
        return true;
    if (!a.contains("windows") || !a["windows"].is_object() || !b.contains("windows") ||
        !b["windows"].is_object()) {
        out["overhead_note"] = "overhead not recomputed: an input has no per-window data (format_version 1)";
        return true;
    }
    auto wa = windows_from_json(a["windows"], error);
    auto wb = windows_from_json(b["windows"], error);
    if (!wa || !wb)
        return false;
    wa->insert(wa->end(), std::make_move_iterator(wb->begin()), std::make_move_iterator(wb->end()));
    bool stream = out["stream"].is_object();
    std::uint64_t seed = a.contains("config") && a["config"].is_object() ? count(a["config"], "seed", 1) : 1;
    out["windows"] = windows_json(*wa, stream);
    out["overhead"] = overhead_from_pairs(*wa, seed, stream);
    return true;
}

std::optional<json> merge_entries(json a, const json& b, std::string& error)
{
    auto va = count(a, "format_version"), vb = count(b, "format_version");
    if (va != vb) {
        error = "format_version " + std::to_string(va) + " and " + std::to_string(vb) +
                " cannot be merged (written by different bench versions): re-run with one version";
        return std::nullopt;
    }
    if (va < 1 || va > static_cast<std::uint64_t>(format_version)) {
        error = "format_version " + std::to_string(va) + " is not supported (this bench writes " +
                std::to_string(format_version) + ")";
        return std::nullopt;
    }
    json hist;
    auto m = merge_block(a, b, a["histogram"], b["histogram"], hist, error);
    if (!m)
        return std::nullopt;
    json out = *m;
    out["histogram"] = hist;
    for (auto k : {"rate", "target_rate"})
        out[k] = number_field(a, k) + number_field(b, k);
    out["timestamp"] = std::max(a.value("timestamp", ""), b.value("timestamp", ""));
    out["server_peak_memory_mb"] =
        std::max(number_field(a, "server_peak_memory_mb"), number_field(b, "server_peak_memory_mb"));
    if (a["direct"].is_object() && field(b, "direct").is_object() && a["direct_histogram"].is_object() &&
        field(b, "direct_histogram").is_object()) {
        json dh;
        auto d = merge_block(a["direct"], field(b, "direct"), a["direct_histogram"],
                             field(b, "direct_histogram"), dh, error);
        if (!d)
            return std::nullopt;
        out["direct"] = *d;
        out["direct_histogram"] = dh;
    } else {
        out["direct"] = nullptr;
        out["direct_histogram"] = nullptr;
    }
    if (!merge_overhead(out, a, b, error))
        return std::nullopt;
    if (out.contains("histograms")) {
        std::string ignored;
        auto h = histograms_from_json(out["histograms"], ignored);
        out["proxy_server_timing_ms"] =
            h && h->server_timing.count() ? quick_stats(h->server_timing) : json(nullptr);
    } else {
        out["proxy_server_timing_ms"] = nullptr;
    }
    out["load_generator"] = merge_load_generator(field(a, "load_generator"), field(b, "load_generator"));
    out["machine"] = merge_machine(field(a, "machine"), field(b, "machine"));
    out.erase("find_max"); // a search's trials belong to one run
    out["merged_from"] = count(a, "merged_from", 1) + count(b, "merged_from", 1);
    out["notes"] = result_notes(out); // of the union: two thin intervals may make one that is not
    return out;
}

} // namespace

std::optional<json> merge_results(const std::vector<json>& files, std::string& error)
{
    json out = json::object();
    int version = -1;    // every entry of every input must have the same format
    std::string current; // the entry being read, for an error thrown while reading it
    try {
        for (const auto& f : files) {
            if (!f.is_object()) {
                error = "not a results object";
                return std::nullopt;
            }
            for (auto& [key, entry] : f.items()) {
                current = key;
                if (!entry.is_object() || !entry.contains("histogram") || !entry["histogram"].is_object()) {
                    error = "entry '" + key + "' has no histogram (written by another tool?)";
                    return std::nullopt;
                }
                auto v = static_cast<int>(std::min<std::uint64_t>(count(entry, "format_version"), 1u << 30));
                if (version >= 0 && v != version) {
                    error = "entry '" + key + "' has format_version " + std::to_string(v) +
                            " where another has " + std::to_string(version) +
                            ": files written by different bench versions cannot be merged; re-run with one "
                            "version";
                    return std::nullopt;
                }
                version = v;
                if (!out.contains(key)) {
                    out[key] = entry;
                    continue;
                }
                auto m = merge_entries(out[key], entry, error);
                if (!m) {
                    error = "entry '" + key + "': " + error;
                    return std::nullopt;
                }
                out[key] = *m;
            }
        }
    } catch (const std::exception& e) { // malformed_field, or nlohmann's type errors
        error = "entry '" + current + "': " + e.what() + " (not a results.json bench wrote?)";
        return std::nullopt;
    }
    return out;
}

} // namespace loadgen
