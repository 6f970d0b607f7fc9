// proxy config: flags over environment over --config JSON over defaults, checks between fields.
#include "proxy/config.hpp"

#include <catch2/catch.hpp>
#include <sched.h>

using proxy::parse_args;

namespace {
common::env_lookup empty_env()
{
    return common::env_lookup(std::map<std::string, std::string>{});
}
const proxy::provider_config* find(const proxy::config& c, const std::string& n)
{
    for (const auto& p : c.providers)
        if (p.name == n)
            return &p;
    return nullptr;
}
} // namespace

TEST_CASE("defaults: the five providers of the table", "[unit][proxy]")
{
    auto r = parse_args({}, empty_env());
    REQUIRE(r.cfg);
    REQUIRE(r.cfg->providers.size() == 5);
    CHECK(find(*r.cfg, "bifrost")->port == 3001);
    CHECK(find(*r.cfg, "litellm")->port == 3003);
    CHECK(find(*r.cfg, "openrouter")->upstream.tls());
    CHECK(r.cfg->admin_port == 9090);
    CHECK(r.cfg->bind == "127.0.0.1");
    CHECK(r.cfg->retry_body_max == 1024 * 1024);
    CHECK(r.cfg->retry_body_memory == 64ull * 1024 * 1024);
    CHECK(find(*r.cfg, "portkey")->headers.size() == 1); // x-portkey-provider only without env
}

TEST_CASE("default worker threads: the CPUs the process may run on, not the machine's", "[unit][proxy]")
{
    // sched_getaffinity(0) is the calling thread's mask: restrict this thread to one CPU (as
    // `taskset -c N` would), parse, then restore.
    cpu_set_t saved;
    REQUIRE(sched_getaffinity(0, sizeof saved, &saved) == 0);
    int first = 0;
    while (!CPU_ISSET(first, &saved))
        ++first;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(first, &one);
    REQUIRE(sched_setaffinity(0, sizeof one, &one) == 0);
    auto pinned = parse_args({}, empty_env());
    REQUIRE(sched_setaffinity(0, sizeof saved, &saved) == 0);
    REQUIRE(pinned.cfg);
    CHECK(pinned.cfg->threads == 1);
    auto all = parse_args({}, empty_env());
    REQUIRE(all.cfg);
    CHECK(all.cfg->threads == static_cast<unsigned>(CPU_COUNT(&saved)));
    // An explicit --threads wins over either.
    auto two = parse_args({"--threads", "2"}, empty_env());
    REQUIRE(two.cfg);
    CHECK(two.cfg->threads == 2);
}

TEST_CASE("environment and flags: flags win", "[unit][proxy]")
{
    auto env = empty_env();
    env.set_override("BIFROST_PORT", "4001");
    env.set_override("BIFROST_UPSTREAM", "http://10.0.0.1:9/v1");
    env.set_override("OPENROUTER_API_KEY", "sk-secret");
    env.set_override("PROXY_THREADS", "3");
    env.set_override("PROXY_API_KEY", "pk-in-secret");
    env.set_override("PROXY_RETRY_BODY_MEMORY", "8MiB");
    auto r = parse_args({"--threads", "2", "--retry-body-max", "256KiB", "--port", "bifrost=0",
                         "--upstream=litellm=http://127.0.0.1:1/x", "--max-body", "1MiB", "--header-timeout",
                         "250ms", "--trust-forwarded"},
                        env);
    REQUIRE(r.cfg);
    CHECK(r.cfg->threads == 2);
    CHECK(find(*r.cfg, "bifrost")->port == 0);
    CHECK(find(*r.cfg, "bifrost")->upstream.host == "10.0.0.1");
    CHECK(find(*r.cfg, "litellm")->upstream.base_path == "/x");
    CHECK(find(*r.cfg, "openrouter")->sets_authorization());
    CHECK_FALSE(find(*r.cfg, "bifrost")->sets_authorization());
    CHECK(r.cfg->max_body_bytes == 1024 * 1024);
    CHECK(r.cfg->retry_body_max == 256 * 1024);
    CHECK(r.cfg->retry_body_memory == 8 * 1024 * 1024);
    CHECK(r.cfg->header_timeout == std::chrono::milliseconds(250));
    CHECK(r.cfg->trust_forwarded);
    CHECK(r.cfg->proxy_api_key == "pk-in-secret");
    // Keys never appear in the logged description.
    auto d = proxy::describe(*r.cfg);
    CHECK(d.find("sk-secret") == std::string::npos);
    CHECK(d.find("pk-in-secret") == std::string::npos);
}

TEST_CASE("provider selection with --provider, aliases accepted", "[unit][proxy]")
{
    auto r = parse_args(
        {"--provider", "llmlite", "--provider=portkey", "--stream-idle-timeout", "portkey=5s"}, empty_env());
    REQUIRE(r.cfg);
    REQUIRE(r.cfg->providers.size() == 2);
    CHECK(find(*r.cfg, "portkey")->stream_idle_timeout == std::chrono::seconds(5));
    CHECK(find(*r.cfg, "litellm")->stream_idle_timeout == std::chrono::minutes(5));
}

TEST_CASE("the request timeout: off by default, per provider or for all, from flags or the config file",
          "[unit][proxy]")
{
    auto r = parse_args({}, empty_env());
    REQUIRE(r.cfg);
    for (const auto& p : r.cfg->providers)
        CHECK(p.request_timeout == std::chrono::milliseconds(0)); // no limit: LLM calls can be long
    r = parse_args({"--request-timeout", "10m", "--request-timeout", "portkey=90s"}, empty_env());
    REQUIRE(r.cfg);
    CHECK(find(*r.cfg, "portkey")->request_timeout == std::chrono::seconds(90));
    CHECK(find(*r.cfg, "bifrost")->request_timeout == std::chrono::minutes(10));
    CHECK(find(*r.cfg, "bifrost")->first_byte_timeout == std::chrono::minutes(5)); // untouched
    CHECK(proxy::describe(*r.cfg).find("request_timeout=90000ms") != std::string::npos);
    r = parse_args({"--request-timeout", "portkey=soon"}, empty_env());
    CHECK_FALSE(r.cfg);
    CHECK(r.error.find("not a duration") != std::string::npos);
    proxy::config c = *parse_args({}, empty_env()).cfg;
    CHECK(proxy::apply_config_json(c, R"({"providers":[{"name":"bifrost","request_timeout":"2s"}]})",
                                   empty_env())
              .empty());
    CHECK(find(c, "bifrost")->request_timeout == std::chrono::seconds(2));
    CHECK_FALSE(
        proxy::apply_config_json(c, R"({"providers":[{"name":"bifrost","request_timeout":5}]})", empty_env())
            .empty());
}

TEST_CASE("bad command lines are errors, never exits", "[unit][proxy]")
{
    for (std::vector<std::string> args :
         std::vector<std::vector<std::string>>{{"--nope"},
                                               {"--threads", "0"},
                                               {"--port", "nobody=3"},
                                               {"--port", "bifrost=70000"},
                                               {"--upstream", "bifrost=ftp://x"},
                                               {"--max-body", "lots"},
                                               {"--retry-body-max", "-1"},
                                               {"--retry-body-memory", "much"},
                                               {"--log-level", "loud"},
                                               {"--provider", "unknown"},
                                               {"--pool-max", "2", "--pool-max-idle", "3"},
                                               {"--port", "bifrost=5000", "--port", "litellm=5000"},
                                               {"--threads"}}) {
        INFO(args[0]);
        auto r = parse_args(args, empty_env());
        CHECK_FALSE(r.cfg);
        CHECK_FALSE(r.error.empty());
    }
    CHECK(parse_args({"--help"}, empty_env()).help);
}

TEST_CASE("config JSON file adds providers and overrides table ones", "[unit][proxy]")
{
    auto env = empty_env();
    env.set_override("MY_KEY", "k1");
    proxy::config c = *parse_args({}, env).cfg;
    auto err = proxy::apply_config_json(c, R"({"providers":[
        {"name":"local","port":3010,"upstream":"http://127.0.0.1:8000/api/v1",
         "headers":{"Authorization":"$MY_KEY","x-team":"a"},"stream_idle_timeout":"20s"},
        {"name":"bifrost","port":3101}]})",
                                        env);
    CHECK(err.empty());
    auto* l = find(c, "local");
    REQUIRE(l);
    CHECK(l->port == 3010);
    CHECK(l->upstream.base_path == "/api/v1");
    CHECK(l->sets_authorization());
    CHECK(l->stream_idle_timeout == std::chrono::seconds(20));
    CHECK(find(c, "bifrost")->port == 3101);
    CHECK_FALSE(proxy::apply_config_json(c, "[1]", env).empty());
    CHECK_FALSE(proxy::apply_config_json(c, R"({"providers":[{"name":"x"}]})", env).empty());
    CHECK_FALSE(
        proxy::apply_config_json(c, R"({"providers":[{"name":"y","upstream":"nope"}]})", env).empty());
}

TEST_CASE("config JSON: names, ports and header values that would corrupt output are refused",
          "[unit][proxy]")
{
    auto env = empty_env();
    env.set_override("BAD_KEY", "sk-1\r\nX-Injected: 1");
    proxy::config c = *parse_args({}, env).cfg;
    auto provider = [](const std::string& fields) {
        return R"({"providers":[{"upstream":"http://127.0.0.1:9/v1",)" + fields + "}]}";
    };
    // A name is what `listening NAME host:port`, the metrics and NAME=VALUE flags carry.
    for (const char* name : {R"("we\"ird")", R"("a\nb")", R"("a b")", R"("")", R"("-x")", R"("a=b")",
                             R"("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")"}) {
        INFO(name);
        CHECK_FALSE(proxy::apply_config_json(c, provider(std::string(R"("name":)") + name), env).empty());
    }
    CHECK(proxy::apply_config_json(c, provider(R"("name":"My-Gateway.2")"), env).empty());
    CHECK(find(c, "my-gateway.2"));
    // 4294967376 is 2^32 + 80: read as 32 bits it used to become port 80.
    CHECK_FALSE(proxy::apply_config_json(c, provider(R"("name":"p","port":4294967376)"), env).empty());
    CHECK_FALSE(proxy::apply_config_json(c, provider(R"("name":"p","port":65536)"), env).empty());
    CHECK(proxy::apply_config_json(c, provider(R"("name":"p","port":65535)"), env).empty());
    // A header value with a line break would start a header of its own upstream.
    auto err =
        proxy::apply_config_json(c, provider(R"("name":"h","headers":{"x-a":"v\r\nX-Injected: 1"})"), env);
    CHECK(err.find("control character") != std::string::npos);
    err = proxy::apply_config_json(c, provider(R"("name":"h","headers":{"Authorization":"$BAD_KEY"})"), env);
    CHECK(err.find("control character") != std::string::npos);
    CHECK(err.find("sk-1") == std::string::npos); // the value is a secret: never in the message
}

TEST_CASE("a provider key from the environment with a line break is an error naming the variable only",
          "[unit][proxy]")
{
    auto env = empty_env();
    env.set_override("OPENROUTER_API_KEY", "sk-or-secret\nX-Injected: 1");
    auto r = parse_args({}, env);
    CHECK_FALSE(r.cfg);
    CHECK(r.error.find("OPENROUTER_API_KEY") != std::string::npos);
    CHECK(r.error.find("secret") == std::string::npos);
}

TEST_CASE("find_env_file", "[unit][proxy]")
{
    CHECK(proxy::find_env_file({}) == ".env");
    CHECK(proxy::find_env_file({"--env-file", "a.env"}) == "a.env");
    CHECK(proxy::find_env_file({"--env-file=b.env"}) == "b.env");
}
