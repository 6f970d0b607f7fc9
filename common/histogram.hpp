// Log-linear (HDR-style) latency histogram: values in nanoseconds, 512 linear sub-buckets per
// power of two, so a bucket is at most 0.2% of its values wide (a value is known to within 0.1%
// at the midpoint) from 1 ns up to 2^40 ns (~18 minutes); larger values are clamped into the top
// bucket (max stays exact). The fine buckets matter for overhead: at 20 ms a bucket is 39 us.
// Mergeable (bucket-wise sums) and serialisable exactly to JSON, so runs on several machines
// combine into the histogram one run would have produced.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

namespace common {

class histogram
{
public:
    static constexpr unsigned sub_bucket_bits = 9; // 512 per octave: bucket width <= 0.2% of the value
    static constexpr std::uint64_t max_trackable = (std::uint64_t{1} << 40) - 1; // ns

    void record(std::uint64_t value_ns, std::uint64_t n = 1);
    void merge(const histogram& other);
    void clear();

    std::uint64_t count() const { return total_; }
    std::uint64_t min_ns() const { return total_ ? min_ : 0; }
    std::uint64_t max_ns() const { return max_; }
    std::uint64_t sum_ns() const { return sum_; }
    double mean_ns() const { return total_ ? static_cast<double>(sum_) / static_cast<double>(total_) : 0.0; }
    // q in [0, 100]: the value at or below which q percent of the recorded values fall
    // (bucket midpoint, clamped to the exact min and max). 0 when empty.
    double percentile_ns(double q) const;

    // {"unit":"ns","sub_bucket_bits":9,"total":N,"min":..,"max":..,"sum":..,"buckets":[[index,count],...]}
    // with only the non-empty buckets. from_json accepts exactly this and reports what is wrong.
    nlohmann::json to_json() const;
    static std::optional<histogram> from_json(const nlohmann::json& j, std::string& error);

    // Sparse view for resampling: (bucket index, count) of the non-empty buckets.
    std::vector<std::pair<std::uint32_t, std::uint64_t>> sparse() const;
    void add_bucket(std::uint32_t index, std::uint64_t n); // count only; min/max/sum untouched

    static std::uint32_t index_of(std::uint64_t value_ns);
    static std::uint64_t bucket_low(std::uint32_t index);
    static std::uint64_t bucket_high(std::uint32_t index); // exclusive
    static std::uint32_t bucket_count();

    bool operator==(const histogram&) const = default;

private:
    std::vector<std::uint64_t> counts_; // grown on demand up to the highest index used
    std::uint64_t total_ = 0;
    std::uint64_t min_ = 0;
    std::uint64_t max_ = 0;
    std::uint64_t sum_ = 0; // ns; overflows only after ~584 years of summed latency
};

// Percentile of the buckets in `counts` (a dense array indexed like histogram buckets):
// used by the bootstrap, which merges resampled windows into one dense array.
double percentile_of_counts(const std::vector<std::uint64_t>& counts, std::uint64_t total, double q);

} // namespace common
