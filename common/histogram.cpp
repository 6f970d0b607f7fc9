// Log-linear histogram.
#include "common/histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <nlohmann/json.hpp>

namespace common {
namespace {

constexpr unsigned bits = histogram::sub_bucket_bits;
constexpr std::uint64_t linear_limit = std::uint64_t{1} << (bits + 1); // exact below (1024 ns)

double midpoint(std::uint32_t index)
{
    auto lo = histogram::bucket_low(index);
    auto hi = histogram::bucket_high(index);
    return hi - lo <= 1 ? static_cast<double>(lo)
                        : (static_cast<double>(lo) + static_cast<double>(hi - 1)) / 2.0;
}

std::uint64_t rank_for(double q, std::uint64_t total)
{
    auto r = static_cast<std::uint64_t>(std::ceil(q / 100.0 * static_cast<double>(total)));
    return std::clamp<std::uint64_t>(r, 1, total);
}

} // namespace

std::uint32_t histogram::index_of(std::uint64_t v)
{
    if (v > max_trackable)
        v = max_trackable;
    if (v < linear_limit)
        return static_cast<std::uint32_t>(v);
    unsigned e = 63u - static_cast<unsigned>(std::countl_zero(v)); // >= bits + 1
    unsigned shift = e - bits;
    auto sub = static_cast<std::uint32_t>(v >> shift); // in [512, 1024)
    return static_cast<std::uint32_t>(linear_limit + (e - bits - 1) * (1u << bits) + (sub - (1u << bits)));
}

std::uint64_t histogram::bucket_low(std::uint32_t index)
{
    if (index < linear_limit)
        return index;
    std::uint32_t rel = index - static_cast<std::uint32_t>(linear_limit);
    unsigned e = rel / (1u << bits) + bits + 1;
    std::uint64_t sub = (1u << bits) + rel % (1u << bits);
    return sub << (e - bits);
}

std::uint64_t histogram::bucket_high(std::uint32_t index)
{
    if (index < linear_limit)
        return std::uint64_t{index} + 1;
    std::uint32_t rel = index - static_cast<std::uint32_t>(linear_limit);
    unsigned e = rel / (1u << bits) + bits + 1;
    return bucket_low(index) + (std::uint64_t{1} << (e - bits));
}

std::uint32_t histogram::bucket_count()
{
    return index_of(max_trackable) + 1;
}

void histogram::record(std::uint64_t v, std::uint64_t n)
{
    if (n == 0)
        return;
    auto idx = index_of(v);
    if (idx >= counts_.size())
        counts_.resize(idx + 1, 0);
    counts_[idx] += n;
    min_ = total_ ? std::min(min_, v) : v;
    max_ = std::max(max_, v);
    total_ += n;
    sum_ += v * n;
}

void histogram::add_bucket(std::uint32_t index, std::uint64_t n)
{
    if (index >= counts_.size())
        counts_.resize(index + 1, 0);
    counts_[index] += n;
    total_ += n;
}

void histogram::merge(const histogram& o)
{
    if (o.total_ == 0)
        return;
    if (o.counts_.size() > counts_.size())
        counts_.resize(o.counts_.size(), 0);
    for (std::size_t i = 0; i < o.counts_.size(); ++i)
        counts_[i] += o.counts_[i];
    min_ = total_ ? std::min(min_, o.min_) : o.min_;
    max_ = std::max(max_, o.max_);
    total_ += o.total_;
    sum_ += o.sum_;
}

void histogram::clear()
{
    *this = histogram{};
}

double percentile_of_counts(const std::vector<std::uint64_t>& counts, std::uint64_t total, double q)
{
    if (total == 0)
        return 0.0;
    auto rank = rank_for(q, total);
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < counts.size(); ++i) {
        seen += counts[i];
        if (seen >= rank)
            return midpoint(static_cast<std::uint32_t>(i));
    }
    return counts.empty() ? 0.0 : midpoint(static_cast<std::uint32_t>(counts.size() - 1));
}

double histogram::percentile_ns(double q) const
{
    if (total_ == 0)
        return 0.0;
    if (q <= 0)
        return static_cast<double>(min_);
    if (q >= 100)
        return static_cast<double>(max_);
    double v = percentile_of_counts(counts_, total_, q);
    return std::clamp(v, static_cast<double>(min_), static_cast<double>(max_));
}

std::vector<std::pair<std::uint32_t, std::uint64_t>> histogram::sparse() const
{
    std::vector<std::pair<std::uint32_t, std::uint64_t>> out;
    for (std::size_t i = 0; i < counts_.size(); ++i)
        if (counts_[i])
            out.emplace_back(static_cast<std::uint32_t>(i), counts_[i]);
    return out;
}

nlohmann::json histogram::to_json() const
{
    nlohmann::json buckets = nlohmann::json::array();
    for (auto [i, n] : sparse())
        buckets.push_back({i, n});
    return {
        {"unit", "ns"}, {"sub_bucket_bits", bits},      {"total", total_}, {"min", min_ns()}, {"max", max_},
        {"sum", sum_},  {"buckets", std::move(buckets)}};
}

std::optional<histogram> histogram::from_json(const nlohmann::json& j, std::string& error)
{
    auto fail = [&](std::string m) -> std::optional<histogram> {
        error = "histogram: " + std::move(m);
        return std::nullopt;
    };
    if (!j.is_object())
        return fail("not an object");
    for (auto key : {"unit", "sub_bucket_bits", "total", "min", "max", "sum", "buckets"})
        if (!j.contains(key))
            return fail(std::string("missing \"") + key + "\"");
    if (j["unit"] != "ns" || j["sub_bucket_bits"] != bits)
        return fail("unsupported encoding (need unit ns, sub_bucket_bits " + std::to_string(bits) + ")");
    // Numbers that are not unsigned integers (a float, a negative, a string) would be converted
    // silently or throw in get<>(): refused here instead.
    for (auto key : {"total", "min", "max", "sum"})
        if (!j[key].is_number_unsigned())
            return fail(std::string("\"") + key + "\" is not a non-negative integer");
    if (!j["buckets"].is_array())
        return fail("\"buckets\" is not an array");
    histogram h;
    const auto limit = bucket_count();
    for (const auto& b : j["buckets"]) {
        if (!b.is_array() || b.size() != 2 || !b[0].is_number_unsigned() || !b[1].is_number_unsigned())
            return fail("bad bucket entry");
        auto idx = b[0].get<std::uint64_t>();
        if (idx >= limit)
            return fail("bucket index out of range");
        auto n = b[1].get<std::uint64_t>();
        if (h.total_ + n < h.total_)
            return fail("bucket counts overflow");
        h.add_bucket(static_cast<std::uint32_t>(idx), n);
    }
    if (h.total_ != j["total"].get<std::uint64_t>())
        return fail("bucket counts do not add up to total");
    h.min_ = j["min"].get<std::uint64_t>();
    h.max_ = j["max"].get<std::uint64_t>();
    h.sum_ = j["sum"].get<std::uint64_t>();
    // min and max are exact values that record() put in the lowest and the highest non-empty
    // bucket; percentiles are clamped to them, so they must agree with the buckets.
    if (h.total_ == 0) {
        if (h.min_ != 0 || h.max_ != 0 || h.sum_ != 0)
            return fail("an empty histogram with a min, max or sum");
        return h;
    }
    auto first = std::find_if(h.counts_.begin(), h.counts_.end(), [](std::uint64_t c) { return c != 0; });
    auto last = std::find_if(h.counts_.rbegin(), h.counts_.rend(), [](std::uint64_t c) { return c != 0; });
    if (index_of(h.min_) != static_cast<std::uint32_t>(first - h.counts_.begin()) ||
        index_of(h.max_) != static_cast<std::uint32_t>(h.counts_.rend() - last - 1))
        return fail("min or max outside the lowest or highest non-empty bucket");
    return h;
}

} // namespace common
