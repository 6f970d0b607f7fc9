// Route table of mock-llm: which handler a method and target go to, under each path prefix
// ("", /v1, /api/v1, /v1/proxy). Sans-I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace mock {

enum class route : std::uint8_t
{
    chat,        // POST chat/completions
    completions, // POST completions
    embeddings,  // POST embeddings
    responses,   // POST responses
    models,      // GET models
    healthz,     // GET /healthz
    stats,       // GET /stats
    stats_reset, // POST /stats/reset
    echo,        // ANY echo
    blob,        // GET blob?bytes=N
    unknown,     // 404
    bad_request, // malformed HTTP (not a route, counted under it in /stats)
};
inline constexpr std::size_t route_count = 12;

struct route_match
{
    mock::route route = route::unknown;
    bool method_allowed = false; // false -> 405 (for a known route)
    std::string_view query;      // after '?', without it
};

route_match match_route(std::string_view method, std::string_view target);

// Stable name for /stats: "chat/completions", "models", "healthz", "unknown", ...
std::string_view route_name(route r);

// True for the four model routes (latency, failures, stall apply to them).
inline bool is_model_route(route r)
{
    return r == route::chat || r == route::completions || r == route::embeddings || r == route::responses;
}

// Value of `name` in a query string ("bytes=10&chunked=1"), or nullopt-like empty + found flag.
bool query_param(std::string_view query, std::string_view name, std::string_view& value);

} // namespace mock
