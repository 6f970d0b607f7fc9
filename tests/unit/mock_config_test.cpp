// mock-llm configuration: every flag form, environment and .env fallbacks, precedence, errors.
#include "bench/mock/config.hpp"
#include "common/dotenv.hpp"

#include <catch2/catch.hpp>

using namespace std::chrono_literals;

namespace {

mock::parse_result parse(std::vector<std::string> args, std::map<std::string, std::string> file = {},
                         std::vector<std::pair<std::string, std::string>> env = {})
{
    common::env_lookup lookup(std::move(file));
    for (auto& [k, v] : env)
        lookup.set_override(k, v);
    return mock::parse_args(args, lookup);
}

} // namespace

TEST_CASE("mock config defaults", "[unit]")
{
    auto r = parse({});
    REQUIRE(r.config);
    const auto& c = *r.config;
    CHECK(c.port == 8000);
    CHECK(c.bind == "127.0.0.1");
    CHECK(c.threads == 1);
    CHECK(c.chunks == 8);
    CHECK(c.embedding_dim == 1536);
    CHECK(c.latency.fixed == 0ns);
    CHECK_FALSE(c.ttft);
    CHECK(c.failures.total() == 0);
    CHECK(c.max_body == 16u * 1024 * 1024);
    CHECK(c.log_level == "info");
}

TEST_CASE("mock config flag forms: --x v, --x=v, switches", "[unit]")
{
    auto r = parse({"--port",
                    "0",
                    "--threads=3",
                    "--latency",
                    "50",
                    "--jitter=10ms",
                    "--ttft",
                    "1.5s",
                    "--token-gap",
                    "20ms",
                    "--chunks",
                    "4",
                    "--tokens-per-chunk=2",
                    "--big-payload",
                    "--embedding-dim",
                    "8",
                    "--retry-after",
                    "7",
                    "--seed",
                    "42",
                    "--stall-every",
                    "10",
                    "--stall-for",
                    "500ms",
                    "--max-body",
                    "1MiB",
                    "--log-level",
                    "debug",
                    "--bind",
                    "0.0.0.0"});
    REQUIRE(r.config);
    const auto& c = *r.config;
    CHECK(c.port == 0);
    CHECK(c.threads == 3);
    CHECK(c.latency.fixed == 50ms); // bare numbers are milliseconds
    CHECK(c.latency.jitter == 10ms);
    CHECK(*c.ttft == 1500ms);
    CHECK(c.token_gap == 20ms);
    CHECK(c.chunks == 4);
    CHECK(c.tokens_per_chunk == 2);
    CHECK(c.big_payload);
    CHECK(c.embedding_dim == 8);
    CHECK(c.retry_after_s == 7);
    CHECK(*c.seed == 42);
    CHECK(c.stall_every == 10);
    CHECK(c.stall_for == 500ms);
    CHECK(c.max_body == 1024 * 1024);
    CHECK(c.log_level == "debug");
    CHECK(c.bind == "0.0.0.0");
}

TEST_CASE("mock config failure percentages and key rules", "[unit]")
{
    auto r = parse({"--fail-500", "1", "--fail-429=2.5", "--fail-503", "3%", "--fail-reset", "4",
                    "--fail-hang", "5", "--fail-cut", "6", "--fail-malformed", "7", "--key-rule", "k1=429",
                    "--key-rule", "k2=latency:50ms"});
    REQUIRE(r.config);
    const auto& f = r.config->failures;
    CHECK(f[mock::failure_kind::http500] == 1);
    CHECK(f[mock::failure_kind::http429] == 2.5);
    CHECK(f[mock::failure_kind::http503] == 3);
    CHECK(f[mock::failure_kind::reset] == 4);
    CHECK(f[mock::failure_kind::hang] == 5);
    CHECK(f[mock::failure_kind::cut] == 6);
    CHECK(f[mock::failure_kind::malformed] == 7);
    REQUIRE(r.config->key_rules.size() == 2);
    CHECK(r.config->key_rules[0].key == "k1");
    CHECK(*r.config->key_rules[0].fail == mock::failure_kind::http429);
    CHECK(*r.config->key_rules[1].latency == 50ms);
}

TEST_CASE("mock config latency distribution", "[unit]")
{
    auto r = parse({"--latency-dist", "10ms:20ms:50ms"});
    REQUIRE(r.config);
    REQUIRE(r.config->latency.dist);
    CHECK(r.config->latency.dist->p50 == 10ms);
    CHECK(r.config->latency.dist->p90 == 20ms);
    CHECK(r.config->latency.dist->p99 == 50ms);
    CHECK_FALSE(parse({"--latency-dist", "50:20:10"}).config); // decreasing
    CHECK_FALSE(parse({"--latency-dist", "10:20"}).config);
}

TEST_CASE("mock config environment, .env and precedence", "[unit]")
{
    // .env only
    auto r = parse({}, {{"MOCK_PORT", "9001"}, {"MOCK_CHUNKS", "3"}});
    REQUIRE(r.config);
    CHECK(r.config->port == 9001);
    CHECK(r.config->chunks == 3);
    // environment wins over .env, flag wins over both
    r = parse({"--chunks", "5"}, {{"MOCK_PORT", "9001"}, {"MOCK_CHUNKS", "3"}},
              {{"MOCK_PORT", "9002"}, {"MOCK_CHUNKS", "4"}});
    REQUIRE(r.config);
    CHECK(r.config->port == 9002);
    CHECK(r.config->chunks == 5);
    // every variable form
    r = parse({}, {},
              {{"MOCK_BIND", "::1"},
               {"MOCK_THREADS", "2"},
               {"MOCK_LATENCY", "5ms"},
               {"MOCK_JITTER", "1ms"},
               {"MOCK_LATENCY_DIST", "1:2:3"},
               {"MOCK_TTFT", "7ms"},
               {"MOCK_TOKEN_GAP", "3ms"},
               {"MOCK_TOKENS_PER_CHUNK", "2"},
               {"MOCK_BIG_PAYLOAD", "true"},
               {"MOCK_EMBEDDING_DIM", "16"},
               {"MOCK_FAIL_500", "1"},
               {"MOCK_FAIL_429", "1"},
               {"MOCK_FAIL_503", "1"},
               {"MOCK_FAIL_RESET", "1"},
               {"MOCK_FAIL_HANG", "1"},
               {"MOCK_FAIL_CUT", "1"},
               {"MOCK_FAIL_MALFORMED", "1"},
               {"MOCK_RETRY_AFTER", "3"},
               {"MOCK_SEED", "9"},
               {"MOCK_KEY_RULES", "a=500;b=latency:10ms;c=hang"},
               {"MOCK_STALL_EVERY", "4"},
               {"MOCK_STALL_FOR", "1s"},
               {"MOCK_MAX_BODY", "2k"},
               {"MOCK_LOG_LEVEL", "warn"}});
    REQUIRE(r.config);
    const auto& c = *r.config;
    CHECK(c.bind == "::1");
    CHECK(c.threads == 2);
    CHECK(c.latency.fixed == 5ms);
    CHECK(c.latency.jitter == 1ms);
    CHECK(c.latency.dist->p99 == 3ms);
    CHECK(*c.ttft == 7ms);
    CHECK(c.token_gap == 3ms);
    CHECK(c.tokens_per_chunk == 2);
    CHECK(c.big_payload);
    CHECK(c.embedding_dim == 16);
    CHECK(c.failures.total() == 7);
    CHECK(c.retry_after_s == 3);
    CHECK(*c.seed == 9);
    REQUIRE(c.key_rules.size() == 3);
    CHECK(*c.key_rules[2].fail == mock::failure_kind::hang);
    CHECK(c.stall_every == 4);
    CHECK(c.stall_for == 1s);
    CHECK(c.max_body == 2000);
    CHECK(c.log_level == "warn");
    // --key-rule flags replace the environment's rules
    r = parse({"--key-rule", "z=503"}, {}, {{"MOCK_KEY_RULES", "a=500;b=429"}});
    REQUIRE(r.config);
    REQUIRE(r.config->key_rules.size() == 1);
    CHECK(r.config->key_rules[0].key == "z");
}

TEST_CASE("mock config errors are one line and never exit", "[unit]")
{
    for (std::vector<std::string> bad :
         std::vector<std::vector<std::string>>{{"--port", "70000"},
                                               {"--port"},
                                               {"--nope"},
                                               {"stray"},
                                               {"--threads", "0"},
                                               {"--latency", "fast"},
                                               {"--fail-500", "101"},
                                               {"--fail-500", "60", "--fail-429", "50"},
                                               {"--key-rule", "k=teapot"},
                                               {"--key-rule", "=429"},
                                               {"--tls-cert", "a.pem"},
                                               {"--stall-every", "3"},
                                               {"--log-level", "loud"},
                                               {"--max-body", "0"},
                                               {"--chunks", "-1"}}) {
        INFO(bad.front());
        auto r = parse(bad);
        CHECK_FALSE(r.config);
        CHECK_FALSE(r.error.empty());
        CHECK(r.error.find('\n') == std::string::npos);
    }
    auto r = parse({}, {}, {{"MOCK_PORT", "x"}});
    REQUIRE_FALSE(r.config);
    CHECK(r.error.find("MOCK_PORT") != std::string::npos);
}

TEST_CASE("mock config --env-file and --help", "[unit]")
{
    CHECK(mock::env_file_from_args({"--env-file", "x.env"}) == "x.env");
    CHECK(mock::env_file_from_args({"--port", "1", "--env-file=y.env"}) == "y.env");
    auto r = parse({"--help"});
    REQUIRE(r.config);
    CHECK(r.config->help);
    CHECK(mock::usage().find("--fail-malformed") != std::string::npos);
}
