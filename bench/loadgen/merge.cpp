// `bench merge`: combines results files from several runs (or machines). Counts add up, and the
// latency histograms merge bucket by bucket, so the percentiles are those of the union of all
// requests. Figures that cannot be combined exactly (the overhead bootstrap needs the windows)
// are dropped rather than averaged.
#include "bench/loadgen/report.hpp"

#include <algorithm>
#include <cmath>

namespace loadgen {
namespace {

using nlohmann::json;

double num(const json& j, const char* k)
{
    return j.contains(k) && j[k].is_number() ? j[k].get<double>() : 0.0;
}

json add_counts(const json& a, const json& b)
{
    json out = a.is_object() ? a : json::object();
    if (b.is_object())
        for (auto& [k, v] : b.items())
            out[k] = out.value(k, std::uint64_t{0}) + v.get<std::uint64_t>();
    return out;
}

json merge_timeline(const json& a, const json& b)
{
    std::map<std::uint64_t, json> by_t;
    for (const auto* tl : {&a, &b}) {
        if (!tl->is_array())
            continue;
        for (const auto& p : *tl) {
            auto t = p.value("t_s", std::uint64_t{0});
            auto& slot = by_t[t];
            if (slot.is_null()) {
                slot = p;
                continue;
            }
            // Rates and errors add; per-second percentiles of the union are not recoverable,
            // so the worse of the two is kept.
            slot["rps"] = slot.value("rps", std::uint64_t{0}) + p.value("rps", std::uint64_t{0});
            slot["errors"] = slot.value("errors", std::uint64_t{0}) + p.value("errors", std::uint64_t{0});
            slot["p50_ms"] = std::max(num(slot, "p50_ms"), num(p, "p50_ms"));
            slot["p99_ms"] = std::max(num(slot, "p99_ms"), num(p, "p99_ms"));
        }
    }
    json out = json::array();
    for (auto& [t, p] : by_t)
        out.push_back(p);
    return out;
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
    auto requests = a.value("requests", std::uint64_t{0}) + b.value("requests", std::uint64_t{0});
    auto ok_of = [](const json& j) {
        return j.contains("succeeded") ? j["succeeded"].get<std::uint64_t>()
                                       : static_cast<std::uint64_t>(std::llround(num(j, "success_rate") *
                                                                                 num(j, "requests") / 100.0));
    };
    auto ok = ok_of(a) + ok_of(b);
    a.update(latency_fields(*x));
    a["requests"] = requests;
    a["succeeded"] = ok;
    a["success_rate"] = requests ? std::round(100000.0 * static_cast<double>(ok) / static_cast<double>(requests)) / 1000.0 : 0.0;
    for (auto k : {"throughput_rps", "achieved_rate"})
        a[k] = num(a, k) + num(b, k);
    a["late_sends"] = a.value("late_sends", std::uint64_t{0}) + b.value("late_sends", std::uint64_t{0});
    a["status_code_counts"] = add_counts(a["status_code_counts"], b["status_code_counts"]);
    a["drop_reasons"] = add_counts(a["drop_reasons"], b["drop_reasons"]);
    a["timeline"] = merge_timeline(a["timeline"], b["timeline"]);
    a["stream"] = nullptr; // stream percentiles are not stored as histograms
    return a;
}

std::optional<json> merge_entries(json a, const json& b, std::string& error)
{
    if (a.value("format_version", 0) != format_version || b.value("format_version", 0) != format_version) {
        error = "format_version differs from " + std::to_string(format_version);
        return std::nullopt;
    }
    json hist;
    auto m = merge_block(a, b, a["histogram"], b["histogram"], hist, error);
    if (!m)
        return std::nullopt;
    json out = *m;
    out["histogram"] = hist;
    for (auto k : {"rate", "target_rate"})
        out[k] = num(a, k) + num(b, k);
    out["timestamp"] = std::max(a.value("timestamp", ""), b.value("timestamp", ""));
    out["server_peak_memory_mb"] = std::max(num(a, "server_peak_memory_mb"), num(b, "server_peak_memory_mb"));
    if (a["direct"].is_object() && b["direct"].is_object() && a["direct_histogram"].is_object() &&
        b["direct_histogram"].is_object()) {
        json dh;
        auto d = merge_block(a["direct"], b["direct"], a["direct_histogram"], b["direct_histogram"], dh, error);
        if (!d)
            return std::nullopt;
        out["direct"] = *d;
        out["direct_histogram"] = dh;
    } else {
        out["direct"] = nullptr;
        out["direct_histogram"] = nullptr;
    }
    out["overhead"] = nullptr; // needs the per-window data of each run
    out["merged_from"] = a.value("merged_from", 1) + b.value("merged_from", 1);
    return out;
}

} // namespace

std::optional<json> merge_results(const std::vector<json>& files, std::string& error)
{
    json out = json::object();
    for (const auto& f : files) {
        if (!f.is_object()) {
            error = "not a results object";
            return std::nullopt;
        }
        for (auto& [key, entry] : f.items()) {
            if (!entry.is_object() || !entry.contains("histogram") || !entry["histogram"].is_object()) {
                error = "entry '" + key + "' has no histogram (written by another tool?)";
                return std::nullopt;
            }
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
    return out;
}

} // namespace loadgen
