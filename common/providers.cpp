// The provider table.
#include "common/providers.hpp"

#include "common/http_headers.hpp"

#include <charconv>

namespace common {
namespace {

const std::vector<provider_spec>& table()
{
    static const std::vector<provider_spec> providers = {
        {"bifrost", {}, {"BIFROST_PORT"}, 3001, "BIFROST_UPSTREAM", "http://127.0.0.1:3039/v1", {},
         "openai/gpt-4o-mini", false},
        {"openrouter", {}, {"OPENROUTER_PORT"}, 3002, "OPENROUTER_UPSTREAM", "https://openrouter.ai/api/v1",
         {{"Authorization", "", "OPENROUTER_API_KEY", "Bearer "}}, "openai/gpt-4o-mini", true},
        {"litellm", {"llmlite"}, {"LLMLITE_PORT", "LITELLM_PORT"}, 3003, "LITELLM_UPSTREAM",
         "http://127.0.0.1:4000/v1", {{"Authorization", "", "LITELLM_MASTER_KEY", "Bearer "}}, "gpt-4o-mini",
         false},
        {"braintrust", {}, {"BRAINTRUST_PORT"}, 3004, "BRAINTRUST_UPSTREAM",
         "https://api.braintrust.dev/v1/proxy", {{"Authorization", "", "BRAINTRUST_API_KEY", "Bearer "}},
         "gpt-4o-mini", true},
        {"portkey", {}, {"PORTKEY_PORT"}, 3005, "PORTKEY_UPSTREAM", "http://127.0.0.1:8787/v1",
         {{"x-portkey-provider", "openai", "", ""},
          {"x-portkey-custom-host", "", "PORTKEY_CUSTOM_HOST", ""},
          {"Authorization", "", "OPENAI_API_KEY", "Bearer "}},
         "gpt-4o-mini", false},
    };
    return providers;
}

} // namespace

std::span<const provider_spec> provider_table() { return table(); }

const provider_spec* find_provider(std::string_view name)
{
    for (const auto& p : table()) {
        if (iequals(p.name, name))
            return &p;
        for (auto alias : p.aliases)
            if (iequals(alias, name))
                return &p;
    }
    return nullptr;
}

resolved_provider resolve_provider(const provider_spec& spec, const env_lookup& env, std::string& error)
{
    error.clear();
    resolved_provider r{&spec, spec.default_port, std::string(spec.default_upstream), {}};
    for (auto port_env : spec.port_envs) {
        auto v = env.get(port_env);
        if (!v)
            continue;
        unsigned port = 0;
        auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), port);
        if (ec != std::errc{} || end != v->data() + v->size() || port > 65535)
            error = std::string(port_env) + "='" + *v + "' is not a port number";
        else
            r.port = static_cast<std::uint16_t>(port);
        break;
    }
    if (auto v = env.get(spec.upstream_env))
        r.upstream = *v;
    for (const auto& h : spec.headers) {
        if (h.value_env.empty()) {
            r.headers.push_back({std::string(h.name), std::string(h.prefix) + std::string(h.literal)});
        } else if (auto v = env.get(h.value_env)) {
            r.headers.push_back({std::string(h.name), std::string(h.prefix) + *v});
        }
    }
    return r;
}

} // namespace common
