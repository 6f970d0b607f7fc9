// mock-llm command line and environment parsing (flag > environment > .env > default).
#include "bench/mock/config.hpp"

#include "common/dotenv.hpp"
#include "common/logging.hpp"
#include "common/units.hpp"

#include <charconv>
#include <cstdlib>
#include <fmt/format.h>
#include <functional>

namespace mock {
namespace {

using setter = std::function<std::string(config&, std::string_view)>; // returns an error or ""

struct option
{
    std::string_view flag; // without the leading "--"
    std::string_view env;  // "" when the option has no variable of its own
    bool takes_value;      // false for switches (--big-payload, --help)
    setter set;
};

template <typename Int>
std::string parse_int(std::string_view v, Int& out, Int min, Int max)
{
    long long value = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), value);
    if (ec != std::errc{} || end != v.data() + v.size() || value < static_cast<long long>(min) ||
        value > static_cast<long long>(max))
        return fmt::format("expected an integer in {}..{}, got '{}'", min, max, v);
    out = static_cast<Int>(value);
    return {};
}

std::string parse_dur(std::string_view v, std::chrono::nanoseconds& out)
{
    auto d = common::parse_duration(v, common::bare_unit::milliseconds);
    if (!d)
        return fmt::format("expected a duration such as 50ms or 1.5s, got '{}'", v);
    out = *d;
    return {};
}

std::string parse_bool(std::string_view v, bool& out)
{
    if (v == "1" || v == "true" || v == "yes" || v == "on") {
        out = true;
        return {};
    }
    if (v == "0" || v == "false" || v == "no" || v == "off") {
        out = false;
        return {};
    }
    return fmt::format("expected true or false, got '{}'", v);
}

setter fail_setter(failure_kind k)
{
    return [k](config& c, std::string_view v) -> std::string {
        auto p = common::parse_count(!v.empty() && v.back() == '%' ? v.substr(0, v.size() - 1) : v);
        if (!p || *p > 100)
            return fmt::format("expected a percentage 0..100, got '{}'", v);
        c.failures[k] = *p;
        return {};
    };
}

std::string add_key_rules(config& c, std::string_view v)
{
    // The flag takes one rule; the environment variable may hold several separated by ';'.
    while (!v.empty()) {
        auto semi = v.find(';');
        auto one = v.substr(0, semi);
        if (!one.empty()) {
            auto rule = parse_key_rule(one);
            if (!rule)
                return fmt::format(
                    "expected KEY=429|500|503|reset|hang|cut|malformed or KEY=latency:50ms, got '{}'", one);
            c.key_rules.push_back(std::move(*rule));
        }
        if (semi == std::string_view::npos)
            break;
        v.remove_prefix(semi + 1);
    }
    return {};
}

const std::vector<option>& options()
{
    static const std::vector<option> table{
        {"port", "MOCK_PORT", true,
         [](config& c, std::string_view v) { return parse_int<std::uint16_t>(v, c.port, 0, 65535); }},
        {"bind", "MOCK_BIND", true,
         [](config& c, std::string_view v) {
             c.bind = std::string(v);
             return std::string();
         }},
        {"threads", "MOCK_THREADS", true,
         [](config& c, std::string_view v) { return parse_int<unsigned>(v, c.threads, 1, 256); }},
        {"latency", "MOCK_LATENCY", true,
         [](config& c, std::string_view v) { return parse_dur(v, c.latency.fixed); }},
        {"jitter", "MOCK_JITTER", true,
         [](config& c, std::string_view v) { return parse_dur(v, c.latency.jitter); }},
        {"latency-dist", "MOCK_LATENCY_DIST", true,
         [](config& c, std::string_view v) -> std::string {
             c.latency.dist = parse_latency_dist(v);
             return c.latency.dist
                        ? ""
                        : fmt::format("expected p50:p90:p99 durations in increasing order, got '{}'", v);
         }},
        {"ttft", "MOCK_TTFT", true,
         [](config& c, std::string_view v) {
             std::chrono::nanoseconds d{};
             auto e = parse_dur(v, d);
             c.ttft = d;
             return e;
         }},
        {"token-gap", "MOCK_TOKEN_GAP", true,
         [](config& c, std::string_view v) { return parse_dur(v, c.token_gap); }},
        {"chunks", "MOCK_CHUNKS", true,
         [](config& c, std::string_view v) { return parse_int<unsigned>(v, c.chunks, 1, 1000000); }},
        {"tokens-per-chunk", "MOCK_TOKENS_PER_CHUNK", true,
         [](config& c, std::string_view v) { return parse_int<unsigned>(v, c.tokens_per_chunk, 1, 100000); }},
        {"big-payload", "MOCK_BIG_PAYLOAD", false,
         [](config& c, std::string_view v) { return parse_bool(v, c.big_payload); }},
        {"embedding-dim", "MOCK_EMBEDDING_DIM", true,
         [](config& c, std::string_view v) { return parse_int<unsigned>(v, c.embedding_dim, 1, 65536); }},
        {"fail-500", "MOCK_FAIL_500", true, fail_setter(failure_kind::http500)},
        {"fail-429", "MOCK_FAIL_429", true, fail_setter(failure_kind::http429)},
        {"fail-503", "MOCK_FAIL_503", true, fail_setter(failure_kind::http503)},
        {"fail-reset", "MOCK_FAIL_RESET", true, fail_setter(failure_kind::reset)},
        {"fail-hang", "MOCK_FAIL_HANG", true, fail_setter(failure_kind::hang)},
        {"fail-cut", "MOCK_FAIL_CUT", true, fail_setter(failure_kind::cut)},
        {"fail-malformed", "MOCK_FAIL_MALFORMED", true, fail_setter(failure_kind::malformed)},
        {"retry-after", "MOCK_RETRY_AFTER", true,
         [](config& c, std::string_view v) { return parse_int<unsigned>(v, c.retry_after_s, 0, 86400); }},
        {"seed", "MOCK_SEED", true,
         [](config& c, std::string_view v) {
             std::uint64_t s = 0;
             auto e = parse_int<std::uint64_t>(v, s, 0, static_cast<std::uint64_t>(INT64_MAX));
             c.seed = s;
             return e;
         }},
        {"key-rule", "MOCK_KEY_RULES", true, add_key_rules},
        {"stall-every", "MOCK_STALL_EVERY", true,
         [](config& c, std::string_view v) {
             return parse_int<std::uint64_t>(v, c.stall_every, 0, static_cast<std::uint64_t>(INT64_MAX));
         }},
        {"stall-for", "MOCK_STALL_FOR", true,
         [](config& c, std::string_view v) { return parse_dur(v, c.stall_for); }},
        {"max-body", "MOCK_MAX_BODY", true,
         [](config& c, std::string_view v) -> std::string {
             auto s = common::parse_size(v);
             if (!s || *s == 0)
                 return fmt::format("expected a size such as 16MiB, got '{}'", v);
             c.max_body = *s;
             return {};
         }},
        {"tls-cert", "MOCK_TLS_CERT", true,
         [](config& c, std::string_view v) {
             c.tls_cert = std::string(v);
             return std::string();
         }},
        {"tls-key", "MOCK_TLS_KEY", true,
         [](config& c, std::string_view v) {
             c.tls_key = std::string(v);
             return std::string();
         }},
        {"log-level", "MOCK_LOG_LEVEL", true,
         [](config& c, std::string_view v) -> std::string {
             if (!common::valid_log_level(v))
                 return fmt::format("expected trace|debug|info|warn|error|off, got '{}'", v);
             c.log_level = std::string(v);
             return {};
         }},
        {"env-file", "", true,
         [](config& c, std::string_view v) {
             c.env_file = std::string(v);
             return std::string();
         }},
        {"help", "", false, [](config& c, std::string_view v) { return parse_bool(v, c.help); }},
    };
    return table;
}

const option* find_option(std::string_view flag)
{
    for (const auto& o : options())
        if (o.flag == flag)
            return &o;
    return nullptr;
}

std::string check(const config& c)
{
    if (c.failures.total() > 100.0 + 1e-9)
        return fmt::format("the --fail-* percentages add up to {} (more than 100)", c.failures.total());
    if (c.tls_cert.empty() != c.tls_key.empty())
        return "--tls-cert and --tls-key go together";
    if (c.stall_every > 0 && c.stall_for.count() == 0)
        return "--stall-every needs --stall-for";
    return {};
}

} // namespace

std::string env_file_from_args(const std::vector<std::string>& args)
{
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i].rfind("--env-file=", 0) == 0)
            return args[i].substr(11);
        if (args[i] == "--env-file" && i + 1 < args.size())
            return args[i + 1];
    }
    if (const char* e = std::getenv("MOCK_ENV_FILE"); e != nullptr && *e != '\0')
        return e;
    return ".env";
}

parse_result parse_args(const std::vector<std::string>& args, const common::env_lookup& env)
{
    config c;
    // Environment first (process environment over .env, see env_lookup), flags second.
    for (const auto& o : options()) {
        if (o.env.empty())
            continue;
        if (auto v = env.get(o.env)) {
            if (auto e = o.set(c, *v); !e.empty())
                return {std::nullopt, fmt::format("{}: {}", o.env, e)};
        }
    }
    bool env_rules = !c.key_rules.empty();
    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string_view a = args[i];
        if (a == "-h")
            a = "--help";
        if (a.substr(0, 2) != "--")
            return {std::nullopt, fmt::format("unexpected argument '{}' (see --help)", a)};
        a.remove_prefix(2);
        std::optional<std::string_view> value;
        if (auto eq = a.find('='); eq != std::string_view::npos) {
            value = a.substr(eq + 1);
            a = a.substr(0, eq);
        }
        const option* o = find_option(a);
        if (o == nullptr)
            return {std::nullopt, fmt::format("unknown flag '--{}' (see --help)", a)};
        if (!value) {
            if (!o->takes_value)
                value = "true";
            else if (i + 1 < args.size())
                value = args[++i];
            else
                return {std::nullopt, fmt::format("--{} needs a value", a)};
        }
        if (a == "key-rule" && env_rules) { // flags replace the environment's rules
            c.key_rules.clear();
            env_rules = false;
        }
        if (auto e = o->set(c, *value); !e.empty())
            return {std::nullopt, fmt::format("--{}: {}", a, e)};
    }
    if (auto e = check(c); !e.empty())
        return {std::nullopt, e};
    return {std::move(c), {}};
}

std::string usage()
{
    return R"(mock-llm: a fast mock OpenAI-compatible provider for benchmarks and tests.

usage: mock-llm [--flag value | --flag=value]...   (each flag also reads the variable shown)
  --port N              MOCK_PORT        listen port (8000; 0 = any free port)
  --bind ADDR           MOCK_BIND        listen address (127.0.0.1)
  --threads N           MOCK_THREADS     worker threads (1)
  --latency D           MOCK_LATENCY     delay before an answer (0); bare numbers are ms
  --jitter D            MOCK_JITTER      + uniform random [0, D)
  --latency-dist P50:P90:P99 MOCK_LATENCY_DIST  latency distribution instead of fixed+jitter
  --ttft D              MOCK_TTFT        streams: time to first chunk (default: the latency)
  --token-gap D         MOCK_TOKEN_GAP   streams: gap between chunks (0)
  --chunks N            MOCK_CHUNKS      streams: content chunks (8)
  --tokens-per-chunk N  MOCK_TOKENS_PER_CHUNK  completion tokens per chunk (1)
  --big-payload         MOCK_BIG_PAYLOAD ~10 KB completion content
  --embedding-dim N     MOCK_EMBEDDING_DIM  (1536)
  --fail-500|--fail-429|--fail-503|--fail-reset|--fail-hang|--fail-cut|--fail-malformed PCT
                        MOCK_FAIL_500 ... percent of model requests failing that way
  --retry-after S       MOCK_RETRY_AFTER Retry-After of 429 answers (1)
  --seed N              MOCK_SEED        RNG seed for latency and failures
  --key-rule KEY=WHAT   MOCK_KEY_RULES   (';'-separated) WHAT = 429|500|503|reset|hang|cut|malformed
                                         or latency:50ms; repeatable
  --stall-every N       MOCK_STALL_EVERY hold every Nth model request ...
  --stall-for D         MOCK_STALL_FOR   ... for D longer
  --max-body SIZE       MOCK_MAX_BODY    request body limit (16MiB), larger -> 413
  --tls-cert FILE --tls-key FILE         MOCK_TLS_CERT/MOCK_TLS_KEY: serve HTTPS
  --log-level LEVEL     MOCK_LOG_LEVEL   trace|debug|info|warn|error|off (info)
  --env-file PATH       MOCK_ENV_FILE    .env file to read (.env)
Per-request headers: x-mock-latency, x-mock-ttft, x-mock-token-gap, x-mock-chunks,
x-mock-fail, x-mock-response-bytes. See docs/MOCK.md.
)";
}

std::string describe(const config& c)
{
    std::string dist = c.latency.dist ? fmt::format("{}:{}:{}", common::format_duration(c.latency.dist->p50),
                                                    common::format_duration(c.latency.dist->p90),
                                                    common::format_duration(c.latency.dist->p99))
                                      : std::string("-");
    return fmt::format("bind={}:{} threads={} latency={} jitter={} dist={} ttft={} token_gap={} chunks={} "
                       "tokens_per_chunk={} "
                       "big_payload={} embedding_dim={} fail_total={}% key_rules={} stall_every={} "
                       "stall_for={} max_body={} tls={}",
                       c.bind, c.port, c.threads, common::format_duration(c.latency.fixed),
                       common::format_duration(c.latency.jitter), dist,
                       c.ttft ? common::format_duration(*c.ttft) : std::string("=latency"),
                       common::format_duration(c.token_gap), c.chunks, c.tokens_per_chunk, c.big_payload,
                       c.embedding_dim, c.failures.total(), c.key_rules.size(), c.stall_every,
                       common::format_duration(c.stall_for), c.max_body, !c.tls_cert.empty());
}

} // namespace mock
