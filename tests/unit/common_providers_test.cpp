// Unit tests: the provider table and its resolution against the environment.
#include "common/providers.hpp"

#include <catch2/catch.hpp>

namespace {
std::string header_value(const common::resolved_provider& r, std::string_view name)
{
    for (const auto& h : r.headers)
        if (h.name == name)
            return h.value;
    return "<absent>";
}
} // namespace

TEST_CASE("the five providers of SPEC.md with their defaults", "[unit][providers]")
{
    auto table = common::provider_table();
    REQUIRE(table.size() == 5);
    struct expected
    {
        std::string_view name;
        std::uint16_t port;
        std::string_view upstream;
    };
    for (auto e : {expected{"bifrost", 3001, "http://127.0.0.1:3039/v1"},
                   expected{"openrouter", 3002, "https://openrouter.ai/api/v1"},
                   expected{"litellm", 3003, "http://127.0.0.1:4000/v1"},
                   expected{"braintrust", 3004, "https://api.braintrust.dev/v1/proxy"},
                   expected{"portkey", 3005, "http://127.0.0.1:8787/v1"}}) {
        const auto* p = common::find_provider(e.name);
        REQUIRE(p != nullptr);
        CHECK(p->default_port == e.port);
        CHECK(p->default_upstream == e.upstream);
    }
}

TEST_CASE("provider lookup accepts aliases and any case", "[unit][providers]")
{
    CHECK(common::find_provider("llmlite") == common::find_provider("litellm"));
    CHECK(common::find_provider("PortKey") == common::find_provider("portkey"));
    CHECK(common::find_provider("nope") == nullptr);
}

TEST_CASE("resolution applies ports, upstreams and key headers", "[unit][providers]")
{
    common::env_lookup env;
    env.set_override("OPENROUTER_API_KEY", "sk-or");
    env.set_override("OPENROUTER_PORT", "4102");
    env.set_override("OPENROUTER_UPSTREAM", "http://127.0.0.1:9/api/v1");
    std::string error;
    auto r = common::resolve_provider(*common::find_provider("openrouter"), env, error);
    CHECK(error.empty());
    CHECK(r.port == 4102);
    CHECK(r.upstream == "http://127.0.0.1:9/api/v1");
    CHECK(header_value(r, "Authorization") == "Bearer sk-or");
}

TEST_CASE("litellm port: LLMLITE_PORT first, LITELLM_PORT accepted", "[unit][providers]")
{
    std::string error;
    const auto& spec = *common::find_provider("litellm");
    common::env_lookup only_litellm;
    only_litellm.set_override("LLMLITE_PORT", "");
    only_litellm.set_override("LITELLM_PORT", "4444");
    CHECK(common::resolve_provider(spec, only_litellm, error).port == 4444);
    common::env_lookup both;
    both.set_override("LLMLITE_PORT", "3333");
    both.set_override("LITELLM_PORT", "4444");
    CHECK(common::resolve_provider(spec, both, error).port == 3333);
}

TEST_CASE("optional headers are skipped without their variable", "[unit][providers]")
{
    common::env_lookup env;
    for (auto name : {"OPENAI_API_KEY", "PORTKEY_CUSTOM_HOST", "LITELLM_MASTER_KEY"})
        env.set_override(name, "");
    std::string error;
    auto portkey = common::resolve_provider(*common::find_provider("portkey"), env, error);
    CHECK(header_value(portkey, "x-portkey-provider") == "openai");
    CHECK(header_value(portkey, "x-portkey-custom-host") == "<absent>");
    CHECK(header_value(portkey, "Authorization") == "<absent>");
    env.set_override("PORTKEY_CUSTOM_HOST", "http://127.0.0.1:8000/v1");
    env.set_override("OPENAI_API_KEY", "sk-test");
    portkey = common::resolve_provider(*common::find_provider("portkey"), env, error);
    CHECK(header_value(portkey, "x-portkey-custom-host") == "http://127.0.0.1:8000/v1");
    CHECK(header_value(portkey, "Authorization") == "Bearer sk-test");
    auto litellm = common::resolve_provider(*common::find_provider("litellm"), env, error);
    CHECK(litellm.headers.empty());
    CHECK(common::resolve_provider(*common::find_provider("bifrost"), env, error).headers.empty());
}

TEST_CASE("a bad port is reported and the default kept", "[unit][providers]")
{
    common::env_lookup env;
    env.set_override("BIFROST_PORT", "30x1");
    std::string error;
    auto r = common::resolve_provider(*common::find_provider("bifrost"), env, error);
    CHECK(r.port == 3001);
    CHECK(error.find("BIFROST_PORT") != std::string::npos);
}
