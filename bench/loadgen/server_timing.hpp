// The Server-Timing response header (W3C Server Timing): bench reads the proxy's own time from
// "proxy;dur=<ms>" to split a request's latency between the proxy and its upstream. Pure, no I/O.
#pragma once

#include <string_view>

namespace loadgen {

// The first `dur` of the metric named `metric` in a Server-Timing value, in milliseconds; -1 when
// the metric or its `dur` is absent or malformed. A malformed duration (not a number, negative,
// infinite, NaN, or over 10^9 ms) counts as absent: a gateway's bad header must not become a
// number in bench's results.
double parse_server_timing(std::string_view value, std::string_view metric = "proxy");

} // namespace loadgen
