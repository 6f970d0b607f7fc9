// Command line, environment and --config JSON -> config. Pure apart from reading the JSON file.
#include "proxy/config.hpp"

#include "common/http_headers.hpp"
#include "common/logging.hpp"
#include "common/units.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <sched.h>
#include <sstream>
#include <thread>

namespace proxy {
namespace {

using setter = std::function<std::string(config&, const std::string&)>; // returns an error or ""

std::string lower(std::string s)
{
    for (auto& c : s)
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    return s;
}

template <typename T>
bool parse_uint(const std::string& v, T& out, std::uint64_t max)
{
    std::uint64_t n = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc{} || end != v.data() + v.size() || n > max)
        return false;
    out = static_cast<T>(n);
    return true;
}

setter duration_of(ms config::*field)
{
    return [field](config& c, const std::string& v) -> std::string {
        auto d = common::parse_duration(v);
        if (!d)
            return "not a duration";
        c.*field = std::chrono::duration_cast<ms>(*d);
        return {};
    };
}

template <typename T>
setter size_of(T config::*field)
{
    return [field](config& c, const std::string& v) -> std::string {
        auto s = common::parse_size(v);
        if (!s)
            return "not a size";
        c.*field = static_cast<T>(*s);
        return {};
    };
}

template <typename T>
setter count_of(T config::*field)
{
    return [field](config& c, const std::string& v) -> std::string {
        auto n = common::parse_count(v);
        if (!n || *n < 0)
            return "not a count";
        c.*field = static_cast<T>(*n);
        return {};
    };
}

setter bool_of(bool config::*field)
{
    return [field](config& c, const std::string& v) -> std::string {
        auto l = lower(v);
        if (l == "1" || l == "true" || l == "yes" || l == "on" || l.empty())
            c.*field = true;
        else if (l == "0" || l == "false" || l == "no" || l == "off")
            c.*field = false;
        else
            return "not a boolean";
        return {};
    };
}

setter string_of(std::string config::*field)
{
    return [field](config& c, const std::string& v) -> std::string {
        c.*field = v;
        return {};
    };
}

struct option
{
    std::string flag; // without dashes
    std::string env;
    bool is_bool;
    setter set;
};

const std::vector<option>& options()
{
    static const std::vector<option> opts = {
        {"bind", "PROXY_BIND", false, string_of(&config::bind)},
        {"admin-port", "PROXY_ADMIN_PORT", false,
         [](config& c, const std::string& v) -> std::string {
             return parse_uint(v, c.admin_port, 65535) ? "" : "not a port number";
         }},
        {"threads", "PROXY_THREADS", false,
         [](config& c, const std::string& v) -> std::string {
             return parse_uint(v, c.threads, 1024) && c.threads > 0 ? "" : "not a thread count (1..1024)";
         }},
        {"ca-file", "PROXY_CA_FILE", false, string_of(&config::ca_file)},
        {"log-level", "PROXY_LOG_LEVEL", false, string_of(&config::log_level)},
        {"env-file", "", false, string_of(&config::env_file)},
        {"access-log", "PROXY_ACCESS_LOG", true, bool_of(&config::access_log)},
        {"trust-forwarded", "PROXY_TRUST_FORWARDED", true, bool_of(&config::trust_forwarded)},
        {"max-header-bytes", "PROXY_MAX_HEADER_BYTES", false, size_of(&config::max_header_bytes)},
        {"max-header-count", "PROXY_MAX_HEADER_COUNT", false, count_of(&config::max_header_count)},
        {"max-url-bytes", "PROXY_MAX_URL_BYTES", false, size_of(&config::max_url_bytes)},
        {"max-body", "PROXY_MAX_BODY", false, size_of(&config::max_body_bytes)},
        {"retry-body-max", "PROXY_RETRY_BODY_MAX", false, size_of(&config::retry_body_max)},
        {"retry-body-memory", "PROXY_RETRY_BODY_MEMORY", false, size_of(&config::retry_body_memory)},
        {"max-chunk-ext-bytes", "PROXY_MAX_CHUNK_EXT_BYTES", false, size_of(&config::max_chunk_ext_bytes)},
        {"max-connections", "PROXY_MAX_CONNECTIONS", false, count_of(&config::max_client_connections)},
        {"pool-max", "PROXY_POOL_MAX", false, count_of(&config::pool_max_connections)},
        {"pool-max-idle", "PROXY_POOL_MAX_IDLE", false, count_of(&config::pool_max_idle)},
        {"pool-idle-timeout", "PROXY_POOL_IDLE_TIMEOUT", false, duration_of(&config::pool_idle_timeout)},
        {"header-timeout", "PROXY_HEADER_TIMEOUT", false, duration_of(&config::header_timeout)},
        {"keepalive-timeout", "PROXY_KEEPALIVE_TIMEOUT", false, duration_of(&config::keepalive_timeout)},
        {"body-timeout", "PROXY_BODY_TIMEOUT", false, duration_of(&config::body_timeout)},
        {"body-min-rate", "PROXY_BODY_MIN_RATE", false, size_of(&config::body_min_rate)},
        {"connect-timeout", "PROXY_CONNECT_TIMEOUT", false, duration_of(&config::connect_timeout)},
        {"write-timeout", "PROXY_WRITE_TIMEOUT", false, duration_of(&config::write_timeout)},
        {"drain-timeout", "PROXY_DRAIN_TIMEOUT", false, duration_of(&config::drain_timeout)},
    };
    return opts;
}

// Repeatable NAME=VALUE flags, applied per provider; a bare VALUE applies to all providers.
const std::vector<std::string> per_provider_flags = {
    "port", "upstream", "provider", "stream-idle-timeout", "first-byte-timeout", "request-timeout", "config"};

// The per-provider duration a flag or --config key names ("first-byte-timeout" or
// "first_byte_timeout"), or nullptr.
ms* provider_duration(provider_config& p, std::string_view name)
{
    auto is = [&](std::string_view dashed) {
        if (name.size() != dashed.size())
            return false;
        for (std::size_t i = 0; i < name.size(); ++i)
            if (name[i] != dashed[i] && !(name[i] == '_' && dashed[i] == '-'))
                return false;
        return true;
    };
    if (is("stream-idle-timeout"))
        return &p.stream_idle_timeout;
    if (is("first-byte-timeout"))
        return &p.first_byte_timeout;
    if (is("request-timeout"))
        return &p.request_timeout;
    return nullptr;
}

provider_config from_resolved(const common::resolved_provider& r, std::string& error)
{
    provider_config p;
    p.name = std::string(r.spec->name);
    p.port = r.port;
    p.headers = r.headers;
    auto u = common::parse_url(r.upstream);
    if (!u)
        error = std::string(r.spec->upstream_env) + ": '" + r.upstream + "' is not an http(s) URL";
    else
        p.upstream = *u;
    return p;
}

bool valid_provider_name(std::string_view n)
{
    auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
    auto ok = [&](char c) { return alnum(c) || c == '_' || c == '-' || c == '.'; };
    return !n.empty() && n.size() <= 64 && alnum(n[0]) && std::all_of(n.begin(), n.end(), ok);
}

provider_config* find(config& c, const std::string& name)
{
    auto n = lower(name);
    if (auto spec = common::find_provider(n))
        n = std::string(spec->name);
    for (auto& p : c.providers)
        if (p.name == n)
            return &p;
    return nullptr;
}

std::string apply_provider_value(config& c, const std::string& flag, const std::string& value)
{
    auto eq = value.find('=');
    std::vector<provider_config*> targets;
    std::string v = value;
    if (eq != std::string::npos &&
        (flag != "upstream" || value.substr(0, eq).find(':') == std::string::npos)) {
        auto* p = find(c, value.substr(0, eq));
        if (!p)
            return "unknown provider '" + value.substr(0, eq) + "'";
        targets.push_back(p);
        v = value.substr(eq + 1);
    } else {
        if (flag == "port" || flag == "upstream") {
            if (c.providers.size() != 1)
                return "needs NAME=VALUE";
        }
        for (auto& p : c.providers)
            targets.push_back(&p);
    }
    for (auto* p : targets) {
        if (flag == "port") {
            if (!parse_uint(v, p->port, 65535))
                return "'" + v + "' is not a port number";
        } else if (flag == "upstream") {
            auto u = common::parse_url(v);
            if (!u)
                return "'" + v + "' is not an http(s) URL";
            p->upstream = *u;
        } else {
            auto d = common::parse_duration(v);
            if (!d)
                return "'" + v + "' is not a duration";
            auto* field = provider_duration(*p, flag);
            if (!field)
                return "--" + flag + " is not a per-provider duration";
            *field = std::chrono::duration_cast<ms>(*d);
        }
    }
    return {};
}

} // namespace

bool provider_config::sets_authorization() const
{
    return std::any_of(headers.begin(), headers.end(),
                       [](const auto& h) { return common::iequals(h.name, "authorization"); });
}

std::string find_env_file(const std::vector<std::string>& args)
{
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--env-file" && i + 1 < args.size())
            return args[i + 1];
        if (args[i].rfind("--env-file=", 0) == 0)
            return args[i].substr(11);
    }
    return ".env";
}

std::string apply_config_json(config& cfg, const std::string& text, const common::env_lookup& env)
{
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object())
        return "not a JSON object";
    if (!j.contains("providers"))
        return {};
    if (!j["providers"].is_array())
        return "\"providers\" must be an array";
    for (const auto& e : j["providers"]) {
        if (!e.is_object() || !e.contains("name") || !e["name"].is_string())
            return "each provider needs a \"name\"";
        auto name = lower(e["name"].get<std::string>());
        // Names appear in the "listening NAME host:port" line scripts read, in metric labels and
        // in flags (NAME=VALUE): letters, digits, '_', '-' and '.', as the five built-in ones.
        if (!valid_provider_name(name))
            return "provider name '" + name +
                   "' must be 1-64 of a-z, 0-9, '_', '-', '.', starting with a letter or digit";
        auto* p = find(cfg, name);
        if (!p) {
            cfg.providers.push_back({});
            p = &cfg.providers.back();
            p->name = name;
        }
        if (e.contains("port")) {
            // get<uint64_t>: a narrower get<> would wrap 4294967376 round to port 80.
            if (!e["port"].is_number_unsigned() || e["port"].get<std::uint64_t>() > 65535)
                return name + ": bad \"port\"";
            p->port = static_cast<std::uint16_t>(e["port"].get<std::uint64_t>());
        }
        if (e.contains("upstream")) {
            auto u = e["upstream"].is_string() ? common::parse_url(e["upstream"].get<std::string>())
                                               : std::nullopt;
            if (!u)
                return name + ": bad \"upstream\"";
            p->upstream = *u;
        }
        if (p->upstream.host.empty())
            return name + ": needs an \"upstream\" URL";
        for (const char* key : {"stream_idle_timeout", "first_byte_timeout", "request_timeout"}) {
            if (!e.contains(key))
                continue;
            auto d = e[key].is_string() ? common::parse_duration(e[key].get<std::string>()) : std::nullopt;
            if (!d)
                return name + ": bad \"" + key + "\"";
            *provider_duration(*p, key) = std::chrono::duration_cast<ms>(*d);
        }
        if (e.contains("headers")) {
            if (!e["headers"].is_object())
                return name + ": \"headers\" must be an object";
            for (const auto& [hname, hval] : e["headers"].items()) {
                if (!common::is_token(hname) || !hval.is_string())
                    return name + ": bad header '" + hname + "'";
                // "$VAR" takes the value from the environment (keys stay out of the file).
                auto v = hval.get<std::string>();
                if (!v.empty() && v[0] == '$') {
                    auto ev = env.get(v.substr(1));
                    if (!ev)
                        continue;
                    v = *ev;
                }
                if (!common::valid_field_value(v))
                    return name + ": header '" + hname +
                           "' has a control character (a line break?) in its value";
                // A named copy: clang 14 (clang-tidy) cannot capture a structured binding in a lambda.
                const std::string& header_name = hname;
                std::erase_if(p->headers,
                              [&](const auto& h) { return common::iequals(h.name, header_name); });
                p->headers.push_back({hname, v});
            }
        }
    }
    return {};
}

namespace {

// The CPUs this process may run on (taskset, cpusets): two workers on one allowed core would
// only take turns on it.
unsigned usable_cores()
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0)
        return static_cast<unsigned>(std::max(1, CPU_COUNT(&set)));
    return std::max(1u, std::thread::hardware_concurrency());
}

} // namespace

parse_result parse_args(const std::vector<std::string>& args, const common::env_lookup& env)
{
    parse_result r;
    config c;
    c.threads = usable_cores();
    for (const auto& spec : common::provider_table()) {
        std::string err;
        auto p = from_resolved(common::resolve_provider(spec, env, err), err);
        if (!err.empty()) {
            r.error = err;
            return r;
        }
        c.providers.push_back(std::move(p));
    }
    if (auto key = env.get("PROXY_API_KEY"))
        c.proxy_api_key = *key;

    // Split the command line into single-valued options and repeatable per-provider ones.
    std::map<std::string, std::string> flags;
    std::vector<std::pair<std::string, std::string>> repeated;
    for (std::size_t i = 0; i < args.size(); ++i) {
        auto a = args[i];
        if (a == "-h" || a == "--help") {
            r.help = true;
            return r;
        }
        if (a.rfind('-', 0) != 0) {
            r.error = "unexpected argument '" + a + "'";
            return r;
        }
        a = a.substr(a.rfind("--", 0) == 0 ? 2 : 1);
        std::optional<std::string> value;
        if (auto eq = a.find('='); eq != std::string::npos) {
            value = a.substr(eq + 1);
            a = a.substr(0, eq);
        }
        auto opt =
            std::find_if(options().begin(), options().end(), [&](const option& o) { return o.flag == a; });
        bool per_provider =
            std::find(per_provider_flags.begin(), per_provider_flags.end(), a) != per_provider_flags.end();
        if (opt == options().end() && !per_provider) {
            r.error = "unknown flag --" + a;
            return r;
        }
        if (!value) {
            bool next_is_value = i + 1 < args.size() && (args[i + 1].rfind("--", 0) != 0);
            if (opt != options().end() && opt->is_bool && !next_is_value)
                value = "true";
            else if (i + 1 < args.size())
                value = args[++i];
            else {
                r.error = "--" + a + " needs a value";
                return r;
            }
        }
        if (per_provider)
            repeated.emplace_back(a, *value);
        else
            flags[a] = *value;
    }

    for (const auto& [flag, value] : repeated) {
        if (flag != "config")
            continue;
        std::ifstream in(value);
        if (!in) {
            r.error = "--config: cannot read " + value;
            return r;
        }
        std::stringstream ss;
        ss << in.rdbuf();
        if (auto err = apply_config_json(c, ss.str(), env); !err.empty()) {
            r.error = "--config " + value + ": " + err;
            return r;
        }
    }
    for (const auto& o : options()) {
        std::optional<std::string> v;
        if (auto f = flags.find(o.flag); f != flags.end())
            v = f->second;
        else if (!o.env.empty())
            v = env.get(o.env);
        if (!v)
            continue;
        if (auto err = o.set(c, *v); !err.empty()) {
            r.error = "--" + o.flag + " '" + *v + "': " + err;
            return r;
        }
    }
    std::vector<std::string> selected;
    for (const auto& [flag, value] : repeated) {
        if (flag == "provider") {
            if (!find(c, value)) {
                r.error = "--provider: unknown provider '" + value + "'";
                return r;
            }
            selected.push_back(find(c, value)->name);
        }
    }
    if (!selected.empty())
        std::erase_if(c.providers, [&](const provider_config& p) {
            return std::find(selected.begin(), selected.end(), p.name) == selected.end();
        });
    for (const auto& [flag, value] : repeated) {
        if (flag == "config" || flag == "provider")
            continue;
        if (auto err = apply_provider_value(c, flag, value); !err.empty()) {
            r.error = "--" + flag + " '" + value + "': " + err;
            return r;
        }
    }

    // Fields checked against each other.
    if (!common::valid_log_level(c.log_level))
        r.error = "--log-level: unknown level '" + c.log_level + "'";
    else if (c.providers.empty())
        r.error = "no provider selected";
    else if (c.max_header_bytes < 256 || c.max_url_bytes >= c.max_header_bytes)
        r.error = "--max-header-bytes must be at least 256 and larger than --max-url-bytes";
    else if (c.pool_max_idle > c.pool_max_connections)
        r.error = "--pool-max-idle must not exceed --pool-max";
    else if (c.max_client_connections < c.threads)
        r.error = "--max-connections must be at least --threads";
    else if (c.body_min_rate == 0)
        r.error = "--body-min-rate must be positive";
    for (std::size_t i = 0; r.error.empty() && i < c.providers.size(); ++i)
        for (std::size_t k = i + 1; k < c.providers.size(); ++k)
            if (c.providers[i].port != 0 && c.providers[i].port == c.providers[k].port)
                r.error = "providers " + c.providers[i].name + " and " + c.providers[k].name +
                          " share port " + std::to_string(c.providers[i].port);
    if (r.error.empty())
        r.cfg = std::move(c);
    return r;
}

std::string describe(const config& c)
{
    std::ostringstream o;
    o << "bind=" << c.bind << " admin_port=" << c.admin_port << " threads=" << c.threads
      << " inbound_auth=" << (c.proxy_api_key.empty() ? "off" : "on")
      << " trust_forwarded=" << c.trust_forwarded << " access_log=" << c.access_log
      << " max_body=" << c.max_body_bytes << " retry_body_max=" << c.retry_body_max
      << " retry_body_memory=" << c.retry_body_memory << " max_header_bytes=" << c.max_header_bytes
      << " max_connections=" << c.max_client_connections << " pool_max=" << c.pool_max_connections
      << " pool_max_idle=" << c.pool_max_idle << " pool_idle_timeout=" << c.pool_idle_timeout.count()
      << "ms header_timeout=" << c.header_timeout.count() << "ms body_timeout=" << c.body_timeout.count()
      << "ms connect_timeout=" << c.connect_timeout.count() << "ms write_timeout=" << c.write_timeout.count()
      << "ms drain_timeout=" << c.drain_timeout.count()
      << "ms ca_file=" << (c.ca_file.empty() ? "(system)" : c.ca_file);
    for (const auto& p : c.providers) {
        o << " | " << p.name << " port=" << p.port << " upstream=" << p.upstream.to_string()
          << " first_byte_timeout=" << p.first_byte_timeout.count()
          << "ms stream_idle_timeout=" << p.stream_idle_timeout.count()
          << "ms request_timeout=" << p.request_timeout.count() << "ms headers=";
        for (const auto& h : p.headers)
            o << h.name << (common::iequals(h.name, "authorization") ? ":<redacted>," : ":set,");
    }
    return o.str();
}

std::string usage()
{
    return "usage: proxy [--provider NAME]... [--port NAME=PORT]... [--upstream NAME=URL]...\n"
           "             [--bind ADDR] [--admin-port PORT] [--threads N] [--config FILE] [--env-file FILE]\n"
           "             [--log-level LEVEL] [--access-log] [--ca-file FILE] [--drain-timeout D]\n"
           "             [--trust-forwarded] [--stream-idle-timeout [NAME=]D] [--first-byte-timeout "
           "[NAME=]D]\n"
           "             [--request-timeout [NAME=]D]\n"
           "             [--max-header-bytes N] [--max-header-count N] [--max-url-bytes N] [--max-body N]\n"
           "             [--retry-body-max N] [--retry-body-memory N]\n"
           "             [--max-chunk-ext-bytes N] [--max-connections N] [--pool-max N] [--pool-max-idle N]\n"
           "             [--pool-idle-timeout D] [--header-timeout D] [--keepalive-timeout D]\n"
           "             [--body-timeout D] [--body-min-rate BYTES] [--connect-timeout D] [--write-timeout "
           "D]\n"
           "See docs/PROXY.md.\n";
}

} // namespace proxy
