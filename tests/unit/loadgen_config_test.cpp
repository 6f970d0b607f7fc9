// Unit tests: bench's command line in every accepted style, and the rejections.
#include "bench/loadgen/config.hpp"

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using loadgen::config;
using loadgen::parse_args;

namespace {

config ok(std::vector<std::string> args)
{
    auto r = parse_args(args);
    if (auto* e = std::get_if<std::string>(&r))
        FAIL("unexpected error: " << *e);
    return std::get<config>(r);
}

std::string bad(std::vector<std::string> args)
{
    auto r = parse_args(args);
    REQUIRE(std::holds_alternative<std::string>(r));
    return std::get<std::string>(r);
}

} // namespace

TEST_CASE("defaults: mock, open loop at 100 req/s for 10 s", "[unit][loadgen][config]")
{
    auto c = ok({});
    CHECK(c.provider == "mock");
    CHECK(c.rate == 100);
    CHECK(c.open_loop());
    CHECK(c.duration == 10s);
    CHECK(c.path == "chat/completions");
    CHECK(c.output == "results.json");
}

TEST_CASE("one or two dashes, '=' or a space", "[unit][loadgen][config]")
{
    for (auto args : std::vector<std::vector<std::string>>{
             {"-rate", "500", "-duration", "30", "-provider", "bifrost"},
             {"--rate", "500", "--duration", "30s", "--provider", "Bifrost"},
             {"-rate=500", "-duration=30s", "--provider=bifrost"},
             {"--rate=500", "-duration", "0.5m", "-provider", "BIFROST"}}) {
        auto c = ok(args);
        CHECK(c.rate == 500);
        CHECK(c.duration == 30s);
        CHECK(c.provider == "bifrost");
    }
}

TEST_CASE("durations in plain seconds or with units, and counts with k", "[unit][loadgen][config]")
{
    auto c = ok({"-duration", "250ms", "-timeout", "2", "-warmup", "1.5s", "-cooldown", "0", "-rate", "2k"});
    CHECK(c.duration == 250ms);
    CHECK(c.timeout == 2s);
    CHECK(c.warmup == 1500ms);
    CHECK(c.cooldown == 0s);
    CHECK(c.rate == 2000);
    CHECK(ok({"-slo", "50", "-find-max"}).slo_ms == 50);
    CHECK(ok({"-slo=1.5s", "-find-max"}).slo_ms == 1500);
}

TEST_CASE("boolean flags alone or with a value", "[unit][loadgen][config]")
{
    auto c = ok({"-stream", "-big-payload", "--json", "-quiet=true", "-debug=false"});
    CHECK(c.stream);
    CHECK(c.big_payload);
    CHECK(c.json);
    CHECK(c.quiet);
    CHECK_FALSE(c.debug);
    CHECK(ok({"-debug"}).log_level == "debug");
    CHECK(ok({"-ramp-up", "-ramp-up-duration", "2", "-duration", "5"}).ramp_up_duration == 2s);
}

TEST_CASE("providers, aliases and the all keyword", "[unit][loadgen][config]")
{
    CHECK(ok({"-provider", "llmlite"}).provider == "litellm");
    CHECK(ok({"-provider", "LiteLLM"}).provider == "litellm");
    CHECK(ok({"-provider", "all"}).provider == "all");
    CHECK(ok({"-provider", "mock"}).provider == "mock");
    CHECK(bad({"-provider", "nginx"}).find("unknown provider") != std::string::npos);
}

TEST_CASE("new flags: url, direct, headers, connections, users, seed", "[unit][loadgen][config]")
{
    auto c = ok({"-url", "http://127.0.0.1:9/v1/x", "-direct", "http://127.0.0.1:8/v1/x", "-header", "X-A: 1",
                 "-header", "Authorization:Bearer k", "-connections", "64", "-seed", "7", "-threads", "2"});
    CHECK(c.provider.empty());
    CHECK(c.url == "http://127.0.0.1:9/v1/x");
    CHECK(c.direct == "http://127.0.0.1:8/v1/x");
    REQUIRE(c.headers.size() == 2);
    CHECK(c.headers[0] == std::pair<std::string, std::string>{"X-A", "1"});
    CHECK(c.headers[1] == std::pair<std::string, std::string>{"Authorization", "Bearer k"});
    CHECK(c.connections == 64);
    CHECK(c.seed == 7);
    CHECK(ok({"-url", "http://h/x"}).direct == "off");
    auto u = ok({"-users", "8", "-request-type", "embedding"});
    CHECK_FALSE(u.open_loop());
    CHECK(u.users == 8);
    CHECK(u.path == "embeddings");
}

TEST_CASE("bad values get one clear line", "[unit][loadgen][config]")
{
    CHECK(bad({"-rate", "fast"}).find("-rate") != std::string::npos);
    CHECK(bad({"-rate", "0"}).find("-rate") != std::string::npos);
    CHECK(bad({"-rate", "-5"}).find("-rate") != std::string::npos);
    CHECK(bad({"-duration", "ten"}).find("-duration") != std::string::npos);
    CHECK(bad({"-duration", "0"}).find("-duration") != std::string::npos);
    CHECK(bad({"-users", "1.5"}).find("-users") != std::string::npos);
    CHECK(bad({"-connections", "0"}).find("-connections") != std::string::npos);
    CHECK(bad({"-request-type", "image"}).find("-request-type") != std::string::npos);
    CHECK(bad({"-header", "novalue"}).find("-header") != std::string::npos);
    CHECK(bad({"-header", "X A: 1"}).find("header name") != std::string::npos);
    CHECK(bad({"-header", "X-A: 1\r\nX-B: 2"}).find("control") != std::string::npos);
    CHECK(bad({"-header", std::string("X-A: a\0b", 9)}).find("control") != std::string::npos);
    CHECK(bad({"-header", "X-A: \x7f"}).find("control") != std::string::npos);
    CHECK(bad({"-nope"}).find("unknown flag") != std::string::npos);
    CHECK(bad({"-rate"}).find("needs a value") != std::string::npos);
    CHECK(bad({"stray"}).find("unexpected argument") != std::string::npos);
    CHECK(bad({"-rate", "1", "-rate", "2"}).find("twice") != std::string::npos);
    CHECK(bad({"-stream=maybe"}).find("-stream") != std::string::npos);
    CHECK(bad({"-log-level", "loud"}).find("-log-level") != std::string::npos);
    for (const auto& e : {bad({"-rate", "x"}), bad({"-provider", "x"})})
        CHECK(e.find('\n') == std::string::npos);
}

TEST_CASE("conflicting flags are rejected", "[unit][loadgen][config]")
{
    CHECK(bad({"-rate", "10", "-users", "2"}).find("conflict") != std::string::npos);
    CHECK(bad({"-url", "http://h/x", "-provider", "bifrost"}).find("conflict") != std::string::npos);
    CHECK(bad({"-stream", "-request-type", "embedding"}).find("conflict") != std::string::npos);
    CHECK(bad({"-find-max"}).find("-slo") != std::string::npos);
    CHECK(bad({"-find-max", "-slo", "10", "-users", "3"}).find("-users") != std::string::npos);
    CHECK(bad({"-slo", "10"}).find("-find-max") != std::string::npos);
    CHECK(bad({"-prompt-file", "p.txt", "-big-payload"}).find("conflict") != std::string::npos);
    CHECK(bad({"-provider", "mock", "-direct", "http://h:1/v1"}).find("-direct") != std::string::npos);
    CHECK(bad({"-provider", "all", "-direct", "http://h:1/v1"}).find("-direct") != std::string::npos);
    CHECK(bad({"-ramp-up", "-ramp-up-duration", "20", "-duration", "10"}).find("-ramp-up-duration") !=
          std::string::npos);
}

TEST_CASE("the help flag is reported to the caller", "[unit][loadgen][config]")
{
    CHECK(bad({"-help"}) == "help");
    CHECK(bad({"--help"}) == "help");
    CHECK_FALSE(loadgen::usage().empty());
}

TEST_CASE("late threshold flag: default 1 ms, any duration, zero allowed", "[unit][loadgen][config]")
{
    CHECK(ok({}).late_threshold == 1ms);
    CHECK(ok({"-late-threshold", "250us"}).late_threshold == 250us);
    CHECK(ok({"--late-threshold=0.01"}).late_threshold == 10ms);
    CHECK(ok({"-late-threshold", "0"}).late_threshold == 0ms);
    CHECK(bad({"-late-threshold", "soon"}).find("-late-threshold") != std::string::npos);
}

TEST_CASE("window: ten pairs per run by default, within 100 ms and 1 s, or as given",
          "[unit][loadgen][config]")
{
    // A 5 s run in 1 s windows had two window pairs, whose "95% interval" is only their span: the
    // quick start printed +134 ms [+101, +134] of overhead for a proxy whose own time was 0.013 ms.
    CHECK(ok({}).window == 500ms); // the default 10 s
    CHECK(ok({"-duration", "5s"}).window == 250ms);
    CHECK(ok({"-duration", "20s"}).window == 1s);
    CHECK(ok({"-duration", "300s"}).window == 1s);
    CHECK(ok({"-duration", "1s"}).window == 100ms);
    CHECK(ok({"-duration", "5s", "-window", "1s"}).window == 1s);
    CHECK(ok({"-window", "50ms", "-duration", "5s"}).window == 50ms); // in either order
    CHECK(loadgen::default_window(2s) / 100ms == 1);
}

TEST_CASE("baseline: ten sequential requests by default, 0 turns it off, bad counts refused",
          "[unit][loadgen][config]")
{
    CHECK(ok({}).baseline == 10);
    CHECK(ok({"-baseline", "0"}).baseline == 0);
    CHECK(ok({"--baseline=25"}).baseline == 25);
    CHECK(ok({"-baseline", "1000"}).baseline == 1000);
    CHECK(bad({"-baseline", "1001"}) == "-baseline: '1001' is not a whole number between 0 and 1000");
    CHECK(bad({"-baseline", "-1"}).find("-baseline") != std::string::npos);
    CHECK(bad({"-baseline", "ten"}).find("-baseline") != std::string::npos);
}
