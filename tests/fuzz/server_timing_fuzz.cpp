// bench's Server-Timing parser: any header value gives -1 or a finite duration in [0, 1e9] ms
// (the recorder turns it into integer nanoseconds), and the metric name never matches by prefix.
#include "bench/loadgen/server_timing.hpp"
#include "tests/fuzz/fuzz_support.hpp"

#include <cmath>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    fuzz::input in(data, size);
    const auto v = in.rest();
    const double ms = loadgen::parse_server_timing(v);
    fuzz::require(ms == -1 || (std::isfinite(ms) && ms >= 0 && ms <= 1e9),
                  "-1 or a finite duration in range");
    if (ms >= 0)
        fuzz::require(v.find("proxy") != std::string_view::npos, "a duration comes from the proxy metric");
    return 0;
}
