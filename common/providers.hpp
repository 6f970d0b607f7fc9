// The provider table of SPEC.md as data: names, proxy ports, upstream URLs, the headers the
// proxy adds and the environment variables that configure them. Proxy, bench and the tests
// all read this table, so a provider's facts live in exactly one place.
#pragma once

#include "common/dotenv.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace common {

// A header the proxy adds for a provider. The value is `prefix + literal` or, when `value_env`
// is set, `prefix + $value_env`; with `value_env` unset in the environment the header is
// skipped (and a client's own header of that name is forwarded).
struct header_rule
{
    std::string_view name{};
    std::string_view literal{};   // constant value, used when value_env is empty
    std::string_view value_env{}; // environment variable holding the value
    std::string_view prefix{};    // e.g. "Bearer "
};

struct provider_spec
{
    std::string_view name{};                   // lower-case, as used in flags and results.json
    std::vector<std::string_view> aliases{};   // other accepted spellings ("llmlite")
    std::vector<std::string_view> port_envs{}; // first one set wins
    std::uint16_t default_port{};
    std::string_view upstream_env{};
    std::string_view default_upstream{};
    std::vector<header_rule> headers{};
    std::string_view default_model{}; // model name as this upstream expects it
    bool hosted{};                    // a hosted service (needs a key), not a local gateway
};

// The five providers of SPEC.md, in the order of the original suite.
std::span<const provider_spec> provider_table();

// Finds a provider by name or alias, case-insensitively.
const provider_spec* find_provider(std::string_view name);

struct added_header
{
    std::string name;
    std::string value; // a secret when it carries a key: never log it
};

// A provider with its environment applied.
struct resolved_provider
{
    const provider_spec* spec;
    std::uint16_t port;   // where the proxy listens for it
    std::string upstream; // base URL
    std::vector<added_header> headers;
};

// Applies `env` (process environment over .env) to a provider. Errors (a port that is not a
// number) are reported in `error` and leave the default in place.
resolved_provider resolve_provider(const provider_spec& spec, const env_lookup& env, std::string& error);

// Proxy admin port and mock port defaults (SPEC.md).
inline constexpr std::uint16_t default_admin_port = 9090;
inline constexpr std::uint16_t default_mock_port = 8000;

} // namespace common
