// Route matching.
#include "bench/mock/routes.hpp"

#include <array>

namespace mock {
namespace {

struct entry
{
    std::string_view path; // after the prefix
    mock::route route;
    std::string_view method; // "" = any
};

constexpr std::array<entry, 10> table{{
    {"/chat/completions", route::chat, "POST"},
    {"/completions", route::completions, "POST"},
    {"/embeddings", route::embeddings, "POST"},
    {"/responses", route::responses, "POST"},
    {"/models", route::models, "GET"},
    {"/healthz", route::healthz, "GET"},
    {"/stats", route::stats, "GET"},
    {"/stats/reset", route::stats_reset, "POST"},
    {"/echo", route::echo, ""},
    {"/blob", route::blob, "GET"},
}};

// Longest first, so "/v1/proxy/x" is not read as "/v1" + "/proxy/x".
constexpr std::array<std::string_view, 4> prefixes{"/v1/proxy", "/api/v1", "/v1", ""};

constexpr std::array<std::string_view, route_count> names{
    "chat/completions", "completions", "embeddings", "responses", "models",     "healthz", "stats",
    "stats/reset",      "echo",        "blob",       "unknown",   "bad_request"};

} // namespace

route_match match_route(std::string_view method, std::string_view target)
{
    route_match m;
    std::string_view path = target;
    if (auto q = target.find('?'); q != std::string_view::npos) {
        path = target.substr(0, q);
        m.query = target.substr(q + 1);
    }
    // Absolute-form targets ("http://host/v1/...") are legal in HTTP/1.1 requests.
    if (path.substr(0, 7) == "http://" || path.substr(0, 8) == "https://") {
        auto slash = path.find('/', path.find("//") + 2);
        path = slash == std::string_view::npos ? std::string_view("/") : path.substr(slash);
    }
    for (auto prefix : prefixes) {
        if (path.size() <= prefix.size() || path.substr(0, prefix.size()) != prefix)
            continue;
        auto rest = path.substr(prefix.size());
        for (const auto& e : table) {
            if (rest != e.path)
                continue;
            m.route = e.route;
            m.method_allowed = e.method.empty() || e.method == method;
            return m;
        }
    }
    return m;
}

std::string_view route_name(route r)
{
    return names[static_cast<std::size_t>(r)];
}

bool query_param(std::string_view query, std::string_view name, std::string_view& value)
{
    while (!query.empty()) {
        auto amp = query.find('&');
        auto pair = query.substr(0, amp);
        auto eq = pair.find('=');
        if (pair.substr(0, eq) == name) {
            value = eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
            return true;
        }
        if (amp == std::string_view::npos)
            break;
        query.remove_prefix(amp + 1);
    }
    return false;
}

} // namespace mock
