// `bench merge`: results.json files from several runs (or machines) merged exactly, as one run
// holding all their requests would have written it. Pure: JSON in, JSON or one error out, and
// no Asio, so the fuzz project compiles it on its own.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace loadgen {

// Merges whole results files: same keys add up exactly (histograms bucket by bucket). A malformed
// file gives nullopt and a one-line `error` naming the entry and, where one is to blame, the field.
std::optional<nlohmann::json> merge_results(const std::vector<nlohmann::json>& files, std::string& error);

} // namespace loadgen
