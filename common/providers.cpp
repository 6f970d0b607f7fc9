// The provider table.
#include "common/providers.hpp"

#include "common/http_headers.hpp"

#include <charconv>

namespace common {
namespace {

const std::vector<provider_spec>& table()
{
    static const std::vector<provider_spec> providers = {
        {.name = "bifrost",
         .port_envs = {"BIFROST_PORT"},
         .default_port = 3001,
         .upstream_env = "BIFROST_UPSTREAM",
         .default_upstream = "http://127.0.0.1:3039/v1",
         .default_model = "openai/gpt-4o-mini", // Bifrost routes on "<provider>/<model>"
         .hosted = false},
        {.name = "openrouter",
         .port_envs = {"OPENROUTER_PORT"},
         .default_port = 3002,
         .upstream_env = "OPENROUTER_UPSTREAM",
         .default_upstream = "https://openrouter.ai/api/v1",
         .headers = {{.name = "Authorization", .value_env = "OPENROUTER_API_KEY", .prefix = "Bearer "}},
         .default_model = "openai/gpt-4o-mini",
         .hosted = true},
        {.name = "litellm",
         .aliases = {"llmlite"}, // the original suite's spelling
         .port_envs = {"LLMLITE_PORT", "LITELLM_PORT"},
         .default_port = 3003,
         .upstream_env = "LITELLM_UPSTREAM",
         .default_upstream = "http://127.0.0.1:4000/v1",
         .headers = {{.name = "Authorization", .value_env = "LITELLM_MASTER_KEY", .prefix = "Bearer "}},
         .default_model = "gpt-4o-mini",
         .hosted = false},
        {.name = "braintrust",
         .port_envs = {"BRAINTRUST_PORT"},
         .default_port = 3004,
         .upstream_env = "BRAINTRUST_UPSTREAM",
         .default_upstream = "https://api.braintrust.dev/v1/proxy",
         .headers = {{.name = "Authorization", .value_env = "BRAINTRUST_API_KEY", .prefix = "Bearer "}},
         .default_model = "gpt-4o-mini",
         .hosted = true},
        {.name = "portkey",
         .port_envs = {"PORTKEY_PORT"},
         .default_port = 3005,
         .upstream_env = "PORTKEY_UPSTREAM",
         .default_upstream = "http://127.0.0.1:8787/v1",
         .headers = {{.name = "x-portkey-provider", .literal = "openai"},
                     {.name = "x-portkey-custom-host", .value_env = "PORTKEY_CUSTOM_HOST"},
                     {.name = "Authorization", .value_env = "OPENAI_API_KEY", .prefix = "Bearer "}},
         .default_model = "gpt-4o-mini",
         .hosted = false},
    };
    return providers;
}

} // namespace

std::span<const provider_spec> provider_table()
{
    return table();
}

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
            // The value is a key: the message names the variable, never the value.
            if (!valid_field_value(*v))
                error = std::string(h.value_env) +
                        " holds a control character (a line break?): it cannot go "
                        "into the " +
                        std::string(h.name) + " header";
            r.headers.push_back({std::string(h.name), std::string(h.prefix) + *v});
        }
    }
    return r;
}

} // namespace common
