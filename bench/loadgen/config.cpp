// Command-line parsing for bench.
#include "bench/loadgen/config.hpp"

#include "bench/loadgen/overhead.hpp"
#include "common/http_headers.hpp"
#include "common/logging.hpp"
#include "common/providers.hpp"
#include "common/units.hpp"

#include <algorithm>
#include <charconv>
#include <set>

namespace loadgen {
namespace {

using error = std::string;

const std::set<std::string, std::less<>> bool_flags = {"ramp-up",  "big-payload", "debug", "stream",
                                                       "find-max", "json",        "quiet"};
const std::set<std::string, std::less<>> value_flags = {
    "rate",    "users",    "duration",    "timeout",     "output",       "cooldown",       "provider",
    "model",   "suffix",   "prompt-file", "path",        "request-type", "host",           "ramp-up-duration",
    "direct",  "url",      "header",      "connections", "warmup",       "report",         "slo",
    "seed",    "env-file", "log-level",   "threads",     "window",       "late-threshold", "ca-file",
    "baseline"};

std::optional<bool> parse_bool(std::string_view v)
{
    if (v == "true" || v == "1" || v == "yes")
        return true;
    if (v == "false" || v == "0" || v == "no")
        return false;
    return std::nullopt;
}

std::optional<std::uint64_t> parse_uint(std::string_view v)
{
    std::uint64_t n = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc{} || end != v.data() + v.size())
        return std::nullopt;
    return n;
}

std::string lower(std::string s)
{
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

// Applies one flag; returns an error message or "".
error apply(config& c, const std::string& name, const std::string& v, std::set<std::string>& seen)
{
    auto dur = [&](std::chrono::nanoseconds& out, bool allow_zero) -> error {
        auto d = common::parse_duration(v);
        if (!d || (!allow_zero && d->count() == 0))
            return "-" + name + ": '" + v + "' is not a duration (plain seconds or 250ms, 1.5s, 2m)";
        out = *d;
        return {};
    };
    auto count = [&](unsigned& out) -> error {
        auto n = common::parse_count(v);
        if (!n || *n < 1 || *n > 1e6 || *n != static_cast<unsigned>(*n))
            return "-" + name + ": '" + v + "' is not a whole number between 1 and 1000000";
        out = static_cast<unsigned>(*n);
        return {};
    };
    seen.insert(name);
    if (bool_flags.contains(name)) {
        auto b = parse_bool(v);
        if (!b)
            return "-" + name + ": '" + v + "' is not true or false";
        if (name == "ramp-up")
            c.ramp_up = *b;
        else if (name == "big-payload")
            c.big_payload = *b;
        else if (name == "debug")
            c.debug = *b;
        else if (name == "stream")
            c.stream = *b;
        else if (name == "find-max")
            c.find_max = *b;
        else if (name == "json")
            c.json = *b;
        else if (name == "quiet")
            c.quiet = *b;
        return {};
    }
    if (name == "rate") {
        auto n = common::parse_count(v);
        if (!n || *n <= 0 || *n > 1e7)
            return "-rate: '" + v + "' is not a positive request rate (req/s)";
        c.rate = *n;
    } else if (name == "users")
        return count(c.users);
    else if (name == "baseline") {
        auto n = parse_uint(v);
        if (!n || *n > max_baseline_requests)
            return "-baseline: '" + v + "' is not a whole number between 0 and " +
                   std::to_string(max_baseline_requests);
        c.baseline = static_cast<unsigned>(*n);
    } else if (name == "connections")
        return count(c.connections);
    else if (name == "threads")
        return count(c.threads);
    else if (name == "duration")
        return dur(c.duration, false);
    else if (name == "timeout")
        return dur(c.timeout, false);
    else if (name == "cooldown")
        return dur(c.cooldown, true);
    else if (name == "warmup")
        return dur(c.warmup, true);
    else if (name == "ramp-up-duration")
        return dur(c.ramp_up_duration, false);
    else if (name == "window")
        return dur(c.window, false);
    else if (name == "late-threshold")
        return dur(c.late_threshold, true);
    else if (name == "output")
        c.output = v;
    else if (name == "report")
        c.report = v;
    else if (name == "model")
        c.model = v;
    else if (name == "suffix")
        c.suffix = v;
    else if (name == "path")
        c.path = v;
    else if (name == "prompt-file")
        c.prompt_file = v;
    else if (name == "host")
        c.host = v;
    else if (name == "url")
        c.url = v;
    else if (name == "ca-file") {
        if (v.empty())
            return "-ca-file: needs a file name";
        c.ca_file = v;
    } else if (name == "direct")
        c.direct = v;
    else if (name == "env-file")
        c.env_file = v;
    else if (name == "provider") {
        auto p = lower(v);
        if (p == "mock" || p == "all")
            c.provider = p;
        else if (auto* spec = common::find_provider(p))
            c.provider = std::string(spec->name);
        else
            return "-provider: unknown provider '" + v +
                   "' (bifrost, openrouter, litellm, braintrust, portkey, mock, all)";
    } else if (name == "request-type") {
        auto t = lower(v);
        if (t == "chat")
            c.kind = request_kind::chat;
        else if (t == "embedding" || t == "embeddings")
            c.kind = request_kind::embedding;
        else
            return "-request-type: '" + v + "' is not chat or embedding";
    } else if (name == "header") {
        auto colon = v.find(':');
        if (colon == std::string::npos || colon == 0)
            return "-header: '" + v + "' is not 'Name: value'";
        auto value = v.substr(colon + 1);
        while (!value.empty() && value.front() == ' ')
            value.erase(0, 1);
        // A name that is not a token, or a value with a control byte (CR, LF, NUL...), would put
        // a malformed line on the wire, or a header of the value's choosing.
        if (!common::is_token(v.substr(0, colon)))
            return "-header: '" + v.substr(0, colon) + "' is not a header name";
        if (!common::valid_field_value(value))
            return "-header: the value may not contain CR, LF or other control characters";
        c.headers.emplace_back(v.substr(0, colon), value);
    } else if (name == "slo") {
        auto d = common::parse_duration(v, common::bare_unit::milliseconds);
        if (!d || d->count() == 0)
            return "-slo: '" + v + "' is not a latency (plain milliseconds or with a unit)";
        c.slo_ms = std::chrono::duration<double, std::milli>(*d).count();
    } else if (name == "seed") {
        auto n = parse_uint(v);
        if (!n)
            return "-seed: '" + v + "' is not a whole number";
        c.seed = *n;
    } else if (name == "log-level") {
        if (!common::valid_log_level(v))
            return "-log-level: '" + v + "' is not trace, debug, info, warn, error or off";
        c.log_level = v;
    }
    return {};
}

error check(config& c, const std::set<std::string>& seen)
{
    if (seen.contains("rate") && seen.contains("users"))
        return "-rate and -users conflict: choose open loop (-rate) or closed loop (-users)";
    if (!seen.contains("rate") && !seen.contains("users"))
        c.rate = 100; // the default load: open loop at 100 req/s
    if (!c.url.empty() && !c.provider.empty())
        return "-url and -provider conflict: -url names the target itself";
    if (c.url.empty() && c.provider.empty())
        c.provider = "mock";
    if (c.provider == "mock" && seen.contains("direct") && c.direct != "off")
        return "-direct needs a proxied provider or -url (mock is called directly)";
    if (c.provider == "all" && c.direct != "auto" && c.direct != "off")
        return "-direct URL cannot apply to -provider all";
    if (!c.url.empty() && c.direct == "auto")
        c.direct = "off";
    if (c.stream && c.kind == request_kind::embedding)
        return "-stream and -request-type embedding conflict: embeddings do not stream";
    if (c.find_max && c.slo_ms <= 0)
        return "-find-max needs -slo MS (the p99 latency objective)";
    if (c.find_max && !c.open_loop())
        return "-find-max searches a rate: it cannot be combined with -users";
    if (seen.contains("slo") && !c.find_max)
        return "-slo is only used with -find-max";
    if (!c.prompt_file.empty() && c.big_payload)
        return "-prompt-file and -big-payload conflict: the file sets the prompt";
    if (c.ramp_up && c.ramp_up_duration >= c.duration)
        return "-ramp-up-duration must be shorter than -duration";
    if (!seen.contains("window"))
        c.window = default_window(c.duration);
    if (c.path.empty())
        c.path = c.kind == request_kind::chat ? "chat/completions" : "embeddings";
    if (c.debug && !seen.contains("log-level"))
        c.log_level = "debug";
    return {};
}

} // namespace

std::chrono::nanoseconds default_window(std::chrono::nanoseconds duration)
{
    using namespace std::chrono_literals;
    return std::clamp<std::chrono::nanoseconds>(duration / (2 * min_pairs_for_interval), 100ms, 1s);
}

std::optional<flag_parts> split_flag(std::string_view arg)
{
    if (arg.size() < 2 || arg[0] != '-')
        return std::nullopt;
    flag_parts f;
    std::string_view body = arg.substr(arg[1] == '-' ? 2 : 1);
    if (auto eq = body.find('='); eq != std::string_view::npos) {
        f.value = std::string(body.substr(eq + 1));
        body = body.substr(0, eq);
    }
    f.name = body;
    return f;
}

std::variant<config, std::string> parse_args(const std::vector<std::string>& args)
{
    config c;
    std::set<std::string> seen;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        auto flag = split_flag(a);
        if (!flag)
            return "unexpected argument '" + a + "' (flags start with - or --; see -help)";
        const std::string& body = flag->name;
        std::optional<std::string>& value = flag->value;
        if (body == "help" || body == "h")
            return std::string("help");
        bool is_bool = bool_flags.contains(body);
        if (!is_bool && !value_flags.contains(body))
            return "unknown flag '" + a + "' (see -help)";
        if (!value) {
            if (is_bool)
                value = "true";
            else if (i + 1 < args.size())
                value = args[++i];
            else
                return "flag '" + a + "' needs a value";
        }
        if (seen.contains(body) && body != "header")
            return "flag -" + body + " given twice";
        if (auto e = apply(c, body, *value, seen); !e.empty())
            return e;
    }
    if (auto e = check(c, seen); !e.empty())
        return e;
    return c;
}

std::string usage()
{
    return R"(usage: bench [flags]            load one provider (or all) and write results.json
       bench merge A.json B.json... -output OUT.json [-report OUT.html]   merge runs exactly (histograms add)
       bench report results.json [-report OUT.html]   print a results file's tables (and write its page)
       bench summary results.json   one row per provider: direct against proxy, the overhead, the notes
target:  -provider NAME (bifrost openrouter litellm braintrust portkey mock all; default mock)
         -url URL  -host H  -suffix v1  -path chat/completions  -direct auto|off|URL  -header 'K: V'
         -ca-file F (HTTPS: CA certificates trusted besides the system store)
load:    -rate R (open loop, req/s; default 100) | -users N (closed loop)  -duration 10s  -warmup 0
         -timeout 30s  -connections 256  -threads 1  -ramp-up [-ramp-up-duration 10s]  -cooldown 5s
         -window D (overhead alternation; default -duration/20, within 100ms-1s)
         -late-threshold 1ms (a send later than this is late)
         -baseline 10 (sequential requests to each target before the load: its latency alone; 0 = none)
payload: -request-type chat|embedding  -model M  -big-payload  -prompt-file F  -stream
search:  -find-max -slo MS  -seed N
output:  -output results.json  -report FILE.html  -json  -quiet  -debug  -log-level L  -env-file .env
Durations are plain seconds or carry a unit (250ms, 1.5s, 2m). Flags take - or --, '=' or a space.
)";
}

} // namespace loadgen
