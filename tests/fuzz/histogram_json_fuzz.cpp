// The histograms bench reads back from results.json (`bench merge`, `bench report`): both forms,
// the bucket list (common::histogram::from_json) and the compact deltas (from_compact_json).
// Whatever the file holds, reading gives an error message or a histogram that is consistent
// (min <= every percentile <= max, percentiles rising with q) and that writes back to the same
// histogram; nothing crashes or loops.
#include "bench/loadgen/histogram_codec.hpp"
#include "common/histogram.hpp"
#include "tests/fuzz/fuzz_support.hpp"

#include <nlohmann/json.hpp>

namespace {

void check(const common::histogram& h)
{
    if (h.count() == 0)
        return;
    fuzz::require(h.min_ns() <= h.max_ns(), "min <= max");
    double last = 0;
    for (double q : {0.0, 1.0, 50.0, 90.0, 99.0, 99.9, 100.0}) {
        double v = h.percentile_ns(q);
        fuzz::require(v >= static_cast<double>(h.min_ns()) && v <= static_cast<double>(h.max_ns()),
                      "a percentile lies within [min, max]");
        fuzz::require(v >= last, "percentiles rise with q");
        last = v;
    }
    std::string err;
    auto again = common::histogram::from_json(h.to_json(), err);
    fuzz::require(again && *again == h, "the bucket form reads back to the same histogram");
    auto compact = loadgen::from_compact_json(loadgen::to_compact_json(h), err);
    fuzz::require(compact && *compact == h, "the compact form reads back to the same histogram");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    fuzz::input in(data, size);
    const bool compact = in.flag();
    auto j = nlohmann::json::parse(in.rest(), nullptr, false);
    if (j.is_discarded())
        return 0;
    std::string err;
    auto h = compact ? loadgen::from_compact_json(j, err) : common::histogram::from_json(j, err);
    if (!h) {
        fuzz::require(!err.empty(), "a refused histogram says why");
        return 0;
    }
    check(*h);
    return 0;
}
