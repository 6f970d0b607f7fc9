// bench's Server-Timing parser: the proxy's own time is read from it, so a malformed header must
// read as absent, never as a number.
#include "bench/loadgen/server_timing.hpp"

#include <catch2/catch.hpp>

using loadgen::parse_server_timing;

TEST_CASE("server timing: the proxy metric's dur", "[loadgen][unit]")
{
    CHECK(parse_server_timing("proxy;dur=1.25") == Approx(1.25));
    CHECK(parse_server_timing("proxy;dur=0") == 0.0);
    CHECK(parse_server_timing("db;dur=53, proxy;dur=0.031") == Approx(0.031));
    CHECK(parse_server_timing("proxy ; desc=\"a, b; c\" ; DUR = 2.5") == Approx(2.5));
    CHECK(parse_server_timing("proxy;dur=\"7\"") == Approx(7));
    CHECK(parse_server_timing("proxy;dur=3;dur=4") == Approx(3)); // the first one counts
    CHECK(parse_server_timing("edge;dur=9", "edge") == Approx(9));
}

TEST_CASE("server timing: absent or malformed reads as -1", "[loadgen][unit]")
{
    for (const char* v :
         {"", "proxy", "proxy;desc=x", "db;dur=5", "proxyx;dur=5", "xproxy;dur=5", "proxy;desc=\"dur=5\"",
          "proxy;dur=", "proxy;dur=abc", "proxy;dur=1.5ms", "proxy;dur=-1", "proxy;dur=nan", "proxy;dur=inf",
          "proxy;dur=infinity", "proxy;dur=1e300", "proxy;dur=1e10", "proxy;dur=\"5", "proxy dur=5",
          "db;=5, proxy;dur=5"}) {
        INFO(v);
        CHECK(parse_server_timing(v) == -1);
    }
}
