// A compact JSON form of common::histogram for the many histograms results.json carries besides
// the main two (per-window pairs for the overhead bootstrap, service time, TTFT, gaps, errors):
// the non-empty buckets as one string of index deltas, about 4 bytes a bucket instead of the ~40
// that a pretty-printed [[index, count], ...] array takes. Lossless, so merges stay exact.
#pragma once

#include "common/histogram.hpp"

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace loadgen {

// {"sub_bucket_bits":9,"total":N,"min":ns,"max":ns,"sum":ns,"deltas":"D[xC],D[xC],..."}: D is the
// bucket index minus the previous non-empty one (the first is the index itself), C the count
// when it is not 1. An empty histogram has "deltas":"".
nlohmann::json to_compact_json(const common::histogram& h);

// Accepts exactly the form above (and checks it like histogram::from_json); null is an empty
// histogram, so optional figures can be written as null.
std::optional<common::histogram> from_compact_json(const nlohmann::json& j, std::string& error);

} // namespace loadgen
