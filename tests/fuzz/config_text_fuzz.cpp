// The text parsers of the programs' configuration: a proxy --config JSON file, .env files, the
// units of flags (durations, sizes, counts), upstream URLs, mock-llm's latency and key-rule
// flags, and the three programs' command lines. Users write these by hand, so any text gives a clear error or
// a value the programs can use: a proxy config with valid provider names, ports and header lines; durations
// and sizes in range that format and parse back; URLs that print and parse back to themselves.
#include "bench/loadgen/config.hpp"
#include "bench/mock/config.hpp"
#include "bench/mock/failure_plan.hpp"
#include "bench/mock/latency_model.hpp"
#include "common/dotenv.hpp"
#include "common/http_headers.hpp"
#include "common/units.hpp"
#include "common/url.hpp"
#include "proxy/config.hpp"
#include "tests/fuzz/fuzz_support.hpp"

#include <cmath>
#include <string>
#include <variant>
#include <vector>

namespace {

void proxy_config(std::string_view text)
{
    common::env_lookup env(std::map<std::string, std::string>{{"GOOD", "v"}, {"BAD", "a\nb"}});
    auto base = proxy::parse_args({}, env);
    fuzz::require(base.cfg.has_value(), "the defaults parse");
    auto cfg = *base.cfg;
    auto err = proxy::apply_config_json(cfg, std::string(text), env);
    if (!err.empty())
        return;
    for (const auto& p : cfg.providers) {
        fuzz::require(!p.name.empty() && p.name.size() <= 64, "a provider name is 1-64 bytes");
        for (char c : p.name)
            fuzz::require((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
                              c == '.',
                          "a provider name is a-z 0-9 _ - .");
        fuzz::require(!p.upstream.host.empty(), "every provider has an upstream host");
        for (const auto& h : p.headers)
            fuzz::require(common::is_token(h.name) && common::valid_field_value(h.value),
                          "an added header is a valid field line");
    }
    (void)proxy::describe(cfg);
}

void units(std::string_view text)
{
    for (auto unit : {common::bare_unit::seconds, common::bare_unit::milliseconds}) {
        auto d = common::parse_duration(text, unit);
        if (!d)
            continue;
        fuzz::require(d->count() >= 0 && d->count() <= 1'000'000'000'000'000'000,
                      "a duration in [0, 1e18] ns");
        auto back = common::parse_duration(common::format_duration(*d));
        fuzz::require(back.has_value(), "a formatted duration parses");
        const double a = static_cast<double>(d->count()), b = static_cast<double>(back->count());
        fuzz::require(std::abs(a - b) <= 5e-4 * a + 1, "a formatted duration keeps four digits");
    }
    if (auto s = common::parse_size(text))
        fuzz::require(*s <= 1'000'000'000'000'000'000ull, "a size up to 1e18 bytes");
    if (auto n = common::parse_count(text))
        fuzz::require(std::isfinite(*n) && *n >= 0, "a count is finite and not negative");
}

void url(std::string_view text)
{
    auto u = common::parse_url(text);
    if (!u)
        return;
    fuzz::require(!u->host.empty() && (u->scheme == "http" || u->scheme == "https"),
                  "a URL has a scheme and a host");
    fuzz::require(u->base_path.empty() || (u->base_path.front() == '/' && u->base_path.back() != '/'),
                  "a base path starts with '/' and does not end with one");
    auto again = common::parse_url(u->to_string());
    fuzz::require(again && again->scheme == u->scheme && again->host == u->host && again->port == u->port &&
                      again->base_path == u->base_path,
                  "a URL prints and parses back to itself");
    for (char c : u->host_header())
        fuzz::require(!common::is_control(static_cast<unsigned char>(c)) && c != ' ',
                      "the Host value is one word");
}

void mock_flags(std::string_view text)
{
    if (auto d = mock::parse_latency_dist(text))
        fuzz::require(d->p50.count() >= 0 && d->p50 <= d->p90 && d->p90 <= d->p99,
                      "percentiles do not decrease");
    if (auto r = mock::parse_key_rule(text))
        fuzz::require(!r->key.empty() && (r->fail.has_value() || r->latency.has_value()),
                      "a key rule names a key and an effect");
    (void)mock::parse_failure_kind(text);
}

// The text as a command line: arguments split at spaces. None may name a file (no '/'), so
// that a flag such as --config never reads /dev/zero or the like.
std::optional<std::vector<std::string>> command_line(std::string_view text)
{
    if (text.find('/') != std::string_view::npos)
        return std::nullopt;
    std::vector<std::string> args;
    std::size_t at = 0;
    while (at <= text.size()) {
        auto space = text.find(' ', at);
        auto arg = text.substr(at, space == std::string_view::npos ? std::string_view::npos : space - at);
        if (!arg.empty())
            args.emplace_back(arg);
        if (space == std::string_view::npos)
            break;
        at = space + 1;
    }
    return args;
}

void command_lines(std::string_view text)
{
    auto args = command_line(text);
    if (!args)
        return;
    common::env_lookup env(std::map<std::string, std::string>{});
    auto proxy_cfg = proxy::parse_args(*args, env);
    fuzz::require(proxy_cfg.cfg.has_value() != !proxy_cfg.error.empty() || proxy_cfg.help,
                  "the proxy's command line gives a config or one error");
    auto bench_cfg = loadgen::parse_args(*args);
    if (const auto* c = std::get_if<loadgen::config>(&bench_cfg)) {
        fuzz::require(std::isfinite(c->rate) && c->rate >= 0, "bench's rate is finite and not negative");
        fuzz::require(c->duration.count() > 0 && c->threads >= 1 && c->connections >= 1,
                      "bench runs for a while with a thread and a connection");
        for (const auto& [name, value] : c->headers)
            fuzz::require(common::is_token(name) && common::valid_field_value(value),
                          "a -header is a valid field line");
    } else {
        fuzz::require(!std::get<std::string>(bench_cfg).empty(), "bench's refusal says why");
    }
    auto mock_cfg = mock::parse_args(*args, env);
    fuzz::require(mock_cfg.config.has_value() || !mock_cfg.error.empty(),
                  "mock-llm's command line gives a config or one error");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    fuzz::input in(data, size);
    const auto which = in.byte() % 6;
    const auto text = in.rest();
    switch (which) {
    case 0:
        proxy_config(text);
        break;
    case 1: {
        auto r = common::parse_dotenv(text);
        for (const auto& [k, v] : r.values)
            fuzz::require(!k.empty(), "a .env name is not empty");
        for (const auto& e : r.errors)
            fuzz::require(e.line >= 1 && !e.message.empty(), "a .env error has a line and a message");
        break;
    }
    case 2:
        units(text);
        break;
    case 3:
        url(text);
        break;
    case 4:
        command_lines(text);
        break;
    default:
        mock_flags(text);
        break;
    }
    return 0;
}
