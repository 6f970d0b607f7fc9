// Compact histogram encoding: delta-coded bucket indexes in one string.
#include "bench/loadgen/histogram_codec.hpp"

#include <charconv>

namespace loadgen {

nlohmann::json to_compact_json(const common::histogram& h)
{
    std::string deltas;
    std::uint32_t previous = 0;
    for (auto [index, count] : h.sparse()) {
        if (!deltas.empty())
            deltas += ',';
        deltas += std::to_string(index - previous);
        if (count != 1)
            deltas += 'x' + std::to_string(count);
        previous = index;
    }
    return {{"sub_bucket_bits", common::histogram::sub_bucket_bits},
            {"total", h.count()},
            {"min", h.min_ns()},
            {"max", h.max_ns()},
            {"sum", h.sum_ns()},
            {"deltas", std::move(deltas)}};
}

std::optional<common::histogram> from_compact_json(const nlohmann::json& j, std::string& error)
{
    if (j.is_null())
        return common::histogram{};
    if (!j.is_object() || !j.contains("deltas") || !j["deltas"].is_string()) {
        error = "histogram: not a compact histogram (no \"deltas\" string)";
        return std::nullopt;
    }
    nlohmann::json full = j;
    full.erase("deltas");
    full["unit"] = "ns";
    auto& buckets = full["buckets"] = nlohmann::json::array();
    const auto& text = j["deltas"].get_ref<const std::string&>();
    const char* p = text.data();
    const char* end = p + text.size();
    std::uint64_t index = 0;
    while (p < end) {
        std::uint64_t delta = 0, count = 1;
        auto r = std::from_chars(p, end, delta);
        if (r.ec != std::errc{}) {
            error = "histogram: bad \"deltas\" entry";
            return std::nullopt;
        }
        p = r.ptr;
        if (p < end && *p == 'x') {
            r = std::from_chars(p + 1, end, count);
            if (r.ec != std::errc{}) {
                error = "histogram: bad count in \"deltas\"";
                return std::nullopt;
            }
            p = r.ptr;
        }
        if (p < end && *p++ != ',') {
            error = "histogram: bad separator in \"deltas\"";
            return std::nullopt;
        }
        index += delta;
        if (index > common::histogram::bucket_count()) {
            error = "histogram: bucket index out of range";
            return std::nullopt;
        }
        buckets.push_back({index, count});
    }
    return common::histogram::from_json(full, error);
}

} // namespace loadgen
