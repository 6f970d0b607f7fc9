// Unit tests: duration, size and count parsing.
#include "common/units.hpp"

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using common::parse_count;
using common::parse_duration;
using common::parse_size;

TEST_CASE("durations with units", "[unit][units]")
{
    CHECK(parse_duration("30s") == 30s);
    CHECK(parse_duration("250ms") == 250ms);
    CHECK(parse_duration("1.5s") == 1500ms);
    CHECK(parse_duration("100us") == 100us);
    CHECK(parse_duration("100\xC2\xB5s") == 100us);
    CHECK(parse_duration("7ns") == 7ns);
    CHECK(parse_duration("2m") == 120s);
    CHECK(parse_duration("1h") == 3600s);
    CHECK(parse_duration(" 5s ") == 5s);
    CHECK(parse_duration("0") == 0s);
}

TEST_CASE("bare durations take the caller's unit", "[unit][units]")
{
    CHECK(parse_duration("10") == 10s);
    CHECK(parse_duration("10", common::bare_unit::milliseconds) == 10ms);
    CHECK(parse_duration("0.5") == 500ms);
}

TEST_CASE("bad durations are rejected", "[unit][units]")
{
    for (auto bad : {"", "s", "-1s", "abc", "10 parsecs", "1.2.3s", "1e3s", "nan", "inf", "99999999999h"})
        CHECK_FALSE(parse_duration(bad).has_value());
}

TEST_CASE("sizes", "[unit][units]")
{
    CHECK(parse_size("512") == 512u);
    CHECK(parse_size("10k") == 10000u);
    CHECK(parse_size("10KB") == 10000u);
    CHECK(parse_size("1KiB") == 1024u);
    CHECK(parse_size("1MiB") == 1048576u);
    CHECK(parse_size("1.5MiB") == 1572864u);
    CHECK(parse_size("2M") == 2000000u);
    CHECK(parse_size("1GiB") == 1073741824u);
    for (auto bad : {"", "k", "-5", "1.5", "10x", "0.1B"})
        CHECK_FALSE(parse_size(bad).has_value());
}

TEST_CASE("counts", "[unit][units]")
{
    CHECK(parse_count("250") == 250.0);
    CHECK(parse_count("2k") == 2000.0);
    CHECK(parse_count("1.5M") == 1500000.0);
    CHECK(parse_count("0.5") == 0.5);
    CHECK_FALSE(parse_count("2x").has_value());
    CHECK_FALSE(parse_count("").has_value());
}

TEST_CASE("durations format readably", "[unit][units]")
{
    CHECK(common::format_duration(500ns) == "500ns");
    CHECK(common::format_duration(1500ns) == "1.5us");
    CHECK(common::format_duration(2500us) == "2.5ms");
    CHECK(common::format_duration(3s) == "3s");
    CHECK(common::format_duration(999s) == "999s");
    CHECK(common::format_duration(99992s) == "99992s"); // not "9.999e+04s", which does not parse
    CHECK(common::parse_duration(common::format_duration(std::chrono::hours(24 * 365))) ==
          std::chrono::hours(24 * 365));
}

TEST_CASE("format_count groups thousands")
{
    CHECK(common::format_count(0) == "0");
    CHECK(common::format_count(999) == "999");
    CHECK(common::format_count(1000) == "1,000");
    CHECK(common::format_count(10000) == "10,000");
    CHECK(common::format_count(123456789) == "123,456,789");
    CHECK(common::format_count(UINT64_MAX) == "18,446,744,073,709,551,615");
}
