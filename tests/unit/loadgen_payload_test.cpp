// Unit tests: request bytes built into a reused buffer (digits patched in place) are exactly those
// of a fresh build, and the Content-Length always matches the body.
#include "bench/loadgen/config.hpp"
#include "bench/loadgen/payload.hpp"

#include <catch2/catch.hpp>

using loadgen::request_buffer;
using loadgen::request_builder;

namespace {

std::string fresh(const request_builder& b, std::uint64_t i, std::uint64_t ms)
{
    std::string out;
    b.build(i, ms, out);
    return out;
}

void check_length(const std::string& req)
{
    auto head_end = req.find("\r\n\r\n");
    REQUIRE(head_end != std::string::npos);
    auto at = req.find("Content-Length: ");
    REQUIRE(at != std::string::npos);
    auto len = std::stoull(req.substr(at + 16));
    CHECK(len == req.size() - head_end - 4);
}

} // namespace

TEST_CASE("a reused request buffer gives the bytes of a fresh build", "[unit][loadgen][payload]")
{
    loadgen::config c;
    request_builder a(c, "hello", "gpt-4o-mini", "127.0.0.1:1", "/v1/chat/completions", {{"X-K", "v"}});
    request_builder b(c, "other prompt", "m", "h:2", "/x", {});
    request_buffer buf;
    // Same digit count (patched), a longer index (rebuilt), a new millisecond, another builder.
    std::vector<std::tuple<const request_builder*, std::uint64_t, std::uint64_t>> steps = {
        {&a, 7, 1700000000123},        {&a, 8, 1700000000123},  {&a, 9, 1700000000124},
        {&a, 10, 1700000000124},       {&a, 11, 1700000000999}, {&b, 12, 1700000000999},
        {&a, 13, 1700000001000},       {&a, 99999, 5},          {&a, 1, 1700000001000},
        {&a, 4294967296ULL * 3 + 1, 1}};
    for (auto [builder, i, ms] : steps) {
        builder->build(i, ms, buf);
        INFO("index " << i << " ms " << ms);
        CHECK(buf.bytes == fresh(*builder, i, ms));
        check_length(buf.bytes);
        CHECK(buf.bytes.find(std::to_string(i) + "@" + std::to_string(ms)) != std::string::npos);
    }
}
