// The comparison `run-servers.sh` prints after a run (`bench summary results.json`): one row per
// entry, direct against the candidate in success rate, p50 and p99 (a direct side whose requests
// failed shows beside the candidate's), and the overhead with its 95% interval; then each entry's
// notes. Sans-I/O: a results file in, text out; any field may be missing or of
// another type.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace loadgen {

// A p99 with fewer than min_tail_samples requests beyond it (a side's successes, or the
// overhead's tail_samples) is starred, and one legend line under the table replaces the entries'
// notes on thin tails; their other notes follow, prefixed with the entry's key.
std::string format_summary(const nlohmann::json& results);

} // namespace loadgen
