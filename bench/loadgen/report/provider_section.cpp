// HTML report: the section of one provider. Each chart reads its fields tolerantly: a missing or
// null field removes a series or a row and the page says why, it is never drawn as zero.
#include "bench/loadgen/report/provider_section.hpp"

#include "bench/loadgen/overhead.hpp"
#include "bench/loadgen/report/html_util.hpp"
#include "bench/loadgen/report/svg_chart.hpp"
#include "bench/loadgen/result_notes.hpp"

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <span>
#include <utility>

namespace loadgen::report_detail {
namespace {

using html::escape;
using html::get_number;
using html::number;
using nlohmann::json;
constexpr double nan = std::numeric_limits<double>::quiet_NaN();

std::string figure(const std::string& caption, const std::string& body, const std::string& note = {})
{
    return "<figure><figcaption>" + escape(caption) + "</figcaption>" + body +
           (note.empty() ? std::string() : "<p class=\"note\">" + note + "</p>") + "</figure>";
}

// [[q, ms], ...] from "percentiles", or the scalar percentile fields when the array is absent.
std::vector<svg::point> percentile_points(const json& r)
{
    std::vector<svg::point> pts;
    if (const auto* arr = html::get_array(r, "percentiles")) {
        for (const auto& row : *arr)
            if (row.is_array() && row.size() >= 2 && row[0].is_number() && row[1].is_number())
                pts.push_back({row[0].get<double>(), row[1].get<double>()});
        if (!pts.empty())
            return pts;
    }
    static const std::pair<double, const char*> fields[] = {
        {0, "min_latency_ms"},  {50, "p50_latency_ms"},    {90, "p90_latency_ms"},
        {99, "p99_latency_ms"}, {99.9, "p999_latency_ms"}, {99.9999, "max_latency_ms"}};
    for (const auto& [q, key] : fields)
        if (auto v = get_number(r, key))
            pts.push_back({q, *v});
    return pts;
}

// Seconds in which a route sent or received anything.
std::set<double> active_seconds(const json* route)
{
    std::set<double> out;
    if (const auto* arr = route ? html::get_array(*route, "timeline") : nullptr)
        for (const auto& row : *arr)
            if (auto t = get_number(row, "t_s"))
                if (get_number(row, "rps").value_or(0) > 0 || get_number(row, "errors").value_or(0) > 0)
                    out.insert(*t);
    return out;
}

// One timeline field as points. In overhead mode the routes alternate: a second in which this
// route did nothing while `other` was active is the other route's window and is left out (the
// line joins across it). A second with no response otherwise (a stall, only errors) is a gap in
// the latency lines and a real 0 in the throughput; a null value is a gap.
std::vector<svg::point> timeline_points(const json& r, const char* field, const json* other)
{
    bool is_latency = std::string_view(field).ends_with("_ms");
    auto others = active_seconds(other);
    std::vector<svg::point> pts;
    if (const auto* arr = html::get_array(r, "timeline"))
        for (const auto& row : *arr) {
            auto t = get_number(row, "t_s");
            if (!t)
                continue;
            bool silent = get_number(row, "rps") == 0.0 && get_number(row, "errors").value_or(0) == 0;
            if (silent && others.count(*t))
                continue;
            bool no_response = get_number(row, "rps") == 0.0;
            pts.push_back({*t, is_latency && no_response ? nan : get_number(row, field).value_or(nan)});
        }
    return pts;
}

bool any_positive(const std::vector<svg::point>& pts)
{
    for (const auto& p : pts)
        if (std::isfinite(p.y) && p.y > 0)
            return true;
    return false;
}

// Where the percentile curve runs out of requests: past 100(1 - 10/n) fewer than 10 lie beyond a
// point (bench's rule for a steady percentile, overhead.hpp), past 100(1 - 1/n) it is the slowest
// request alone; n is the smaller side's successes. Empty from 10,000 on, where p99.9 is steady.
std::string thin_tail_caption(const json& r, const json* direct)
{
    auto n = get_number(r, "succeeded");
    if (direct) {
        auto d = get_number(*direct, "succeeded");
        n = n && d ? std::optional(std::min(*n, *d)) : std::nullopt;
    }
    const auto few = static_cast<double>(min_tail_samples);
    if (!n || *n < 1 || *n >= static_cast<double>(steady_count(p999_per_mille)))
        return {};
    std::string count = number(*n, 0) + (direct ? " successes on the smaller side" : " successes");
    std::string fewer = " rests on fewer than " + number(few, 0) + " requests, and ";
    std::string slowest =
        "past p" + html::trimmed(100.0 * (1.0 - 1.0 / *n), 2) + " it is the slowest request";
    if (*n <= few)
        return " With " + count + ", the whole curve" + fewer + slowest + ".";
    return " With " + count + ", the curve past p" + html::trimmed(100.0 * (1.0 - few / *n), 2) + fewer +
           slowest + ".";
}

std::string percentile_chart(const json& r, const json* direct)
{
    svg::line_chart chart{"Latency by percentile",
                          "percentile (log scale: 90%, 99%, 99.9%, ...)",
                          "latency (ms)",
                          "",
                          "ms",
                          svg::x_scale::percentile,
                          {}};
    chart.lines.push_back({direct ? "through proxy" : "target", svg::color_proxy, percentile_points(r)});
    if (direct)
        chart.lines.push_back({"direct to upstream", svg::color_direct, percentile_points(*direct), true});
    return figure(chart.title, svg::render(chart),
                  "Each point is the latency below which that share of requests finished "
                  "(coordinated omission corrected in open loop). Hover a point for its value." +
                      thin_tail_caption(r, direct));
}

std::string latency_timeline_chart(const json& r, const json* direct)
{
    svg::line_chart chart{
        "Latency over time", "time since start (s)", "latency (ms)", "s", "ms", svg::x_scale::linear, {}};
    std::string route = direct ? "proxy" : "target";
    chart.lines.push_back({route + " p50", svg::color_proxy, timeline_points(r, "p50_ms", direct)});
    chart.lines.push_back({route + " p99", svg::color_p99, timeline_points(r, "p99_ms", direct), true});
    if (direct) {
        chart.lines.push_back({"direct p50", svg::color_direct, timeline_points(*direct, "p50_ms", &r)});
        chart.lines.push_back({"direct p99", svg::color_extra, timeline_points(*direct, "p99_ms", &r), true});
    }
    return figure(
        chart.title, svg::render(chart),
        "Per-second p50 and p99 (dashed). Seconds given to the other route's alternating window are "
        "skipped; a gap is a second without any response.");
}

std::string throughput_timeline_chart(const json& r, const json* direct)
{
    svg::line_chart chart{"Throughput over time",
                          "time since start (s)",
                          "responses per second",
                          "s",
                          "/s",
                          svg::x_scale::linear,
                          {},
                          "errors per second",
                          "/s"};
    std::string route = direct ? "proxy" : "target";
    chart.lines.push_back({route + " req/s", svg::color_proxy, timeline_points(r, "rps", direct)});
    if (direct)
        chart.lines.push_back({"direct req/s", svg::color_direct, timeline_points(*direct, "rps", &r), true});
    auto errors = timeline_points(r, "errors", direct);
    bool had_errors = any_positive(errors);
    if (had_errors)
        chart.lines.push_back(
            {route + " errors/s (right axis)", svg::color_errors, std::move(errors), true, true});
    if (direct) {
        auto direct_errors = timeline_points(*direct, "errors", &r);
        if (any_positive(direct_errors)) {
            had_errors = true;
            chart.lines.push_back(
                {"direct errors/s (right axis)", svg::color_extra, std::move(direct_errors), true, true});
        }
    }
    return figure(
        chart.title, svg::render(chart),
        std::string(direct ? "Seconds given to the other route's alternating window are skipped. " : "") +
            (had_errors ? "Errors per second (right axis) are drawn when any occurred."
                        : "No errors were recorded in any second."));
}

// Bars for p50..mean (or for the keys of a nested object such as "ttft_ms").
std::vector<svg::interval_bar> overhead_bars(const json& obj, bool nested)
{
    static const std::pair<const char*, const char*> flat[] = {
        {"p50_ms", "p50"}, {"p90_ms", "p90"}, {"p99_ms", "p99"}, {"p999_ms", "p99.9"}, {"mean_ms", "mean"}};
    static const std::pair<const char*, const char*> inner[] = {
        {"p50", "p50"}, {"p90", "p90"}, {"p99", "p99"}, {"p999", "p99.9"}, {"mean", "mean"}};
    std::vector<svg::interval_bar> bars;
    for (const auto& [key, label] : nested ? std::span(inner) : std::span(flat)) {
        auto e = html::get_estimate(obj, key);
        if (!e.value)
            continue;
        bars.push_back({e.few_beyond ? std::string(label) + "*" : std::string(label), *e.value,
                        e.low.value_or(0), e.high.value_or(0), e.has_interval()});
    }
    return bars;
}

// What a starred bar (overhead_bars) means, when the chart has one.
std::string few_beyond_caption(const std::vector<svg::interval_bar>& bars)
{
    for (const auto& b : bars)
        if (b.label.ends_with('*'))
            return " * Fewer than " + std::to_string(min_tail_samples) +
                   " requests beyond that percentile on the smaller side: the bar is one of the slowest few "
                   "requests and its whiskers only their spread, not a steady figure; a longer run or a "
                   "higher rate gives one.";
    return "";
}

std::string overhead_charts(const json& r, const json* direct)
{
    const json* overhead = html::get_object(r, "overhead");
    if (!direct)
        return figure("Overhead per percentile", "",
                      "No overhead chart: this run has no direct baseline (<code>direct</code> is null: "
                      "<code>-direct off</code>, a <code>-url</code> target or the mock measured alone).");
    if (!overhead) {
        if (auto why = html::get_string(r, "overhead_note"))
            return figure("Overhead per percentile", "", "No overhead chart: " + escape(*why) + ".");
        return figure("Overhead per percentile", "",
                      "No overhead chart: the run measured the direct route but has no "
                      "<code>overhead</code> figures (too few alternating windows?).");
    }
    svg::bar_chart chart{"Overhead per percentile (proxy minus direct)", "added latency (ms)", "ms",
                         svg::color_proxy, overhead_bars(*overhead, false)};
    std::string note = "Bars: proxy latency minus direct latency at each percentile; whiskers: 95% "
                       "bootstrap interval over " +
                       number(get_number(*overhead, "windows"), 0) + " pairs of alternating windows.";
    if (const auto* st = html::get_object(r, "proxy_server_timing_ms"))
        note += " The proxy's own Server-Timing: p50 " + number(get_number(*st, "p50"), 3) + " ms, p99 " +
                number(get_number(*st, "p99"), 3) + " ms, mean " + number(get_number(*st, "mean"), 3) +
                " ms.";
    note += few_beyond_caption(chart.bars);
    std::string out = figure(chart.title, svg::render(chart), note);
    const char* ttft_title = "Streaming: added time to first token";
    if (const auto* ttft = html::get_object(*overhead, "ttft_ms")) {
        // bench writes the same keys as the latency overhead; {p50: {...}} and a bare
        // {value, ci_low, ci_high} are read too.
        svg::bar_chart tc{ttft_title, "added TTFT (ms)", "ms", svg::color_p99, overhead_bars(*ttft, false)};
        if (tc.bars.empty())
            tc.bars = overhead_bars(*ttft, true);
        auto single = html::get_estimate(*overhead, "ttft_ms");
        if (tc.bars.empty() && single.value)
            tc.bars.push_back({"TTFT", *single.value, single.low.value_or(0), single.high.value_or(0),
                               single.has_interval()});
        std::string windows = number(get_number(*ttft, "windows"), 0);
        out += figure(tc.title, svg::render(tc),
                      "TTFT through the proxy minus TTFT direct; whiskers: 95% bootstrap interval" +
                          (windows == "n/a" ? std::string(".")
                                            : " over " + windows + " pairs of alternating windows.") +
                          few_beyond_caption(tc.bars));
    } else if (html::get_object(r, "stream")) {
        out +=
            figure(ttft_title, "",
                   "No TTFT overhead: too few alternating windows with streamed responses on both routes.");
    }
    return out;
}

std::string stream_row(const char* label, const json& stream, const char* key)
{
    const json* m = html::get_object(stream, key);
    std::string row = "<tr><th scope=\"row\">" + std::string(label) + "</th>";
    for (const char* q : {"p50", "p90", "p99", "mean"})
        row += "<td>" + number(m ? get_number(*m, q) : std::nullopt) + "</td>";
    return row + "</tr>";
}

std::string stream_table(const json& r, const json* direct)
{
    const json* stream = html::get_object(r, "stream");
    if (!stream)
        return {};
    std::string out = "<h3>Streaming</h3><div class=\"tables\">";
    auto one = [](const std::string& title, const json& s) {
        return "<table><caption>" + title +
               "</caption><thead><tr><th></th><th>p50 (ms)</th><th>p90 (ms)</th><th>p99 (ms)</th>"
               "<th>mean (ms)</th></tr></thead><tbody>" +
               stream_row("time to first token", s, "ttft_ms") +
               stream_row("gap between chunks", s, "gap_ms") + stream_row("total time", s, "total_ms") +
               "</tbody></table><p class=\"note\">" + number(get_number(s, "chunks_per_second"), 1) +
               " chunks per second</p>";
    };
    out += "<div>" + one(direct ? "through proxy" : "target", *stream) + "</div>";
    if (const json* ds = direct ? html::get_object(*direct, "stream") : nullptr)
        out += "<div>" + one("direct to upstream", *ds) + "</div>";
    return out + "</div>";
}

std::string counts(const json& r, const char* key)
{
    const json* obj = html::get_object(r, key);
    if (!obj || obj->empty())
        return "none";
    std::string out;
    for (const auto& [k, v] : obj->items())
        out += (out.empty() ? "" : ", ") + escape(k) + ": " + html::escape_json_value(v);
    return out;
}

std::string config_details(const json& r)
{
    const json* cfg = html::get_object(r, "config");
    if (!cfg)
        return "<p class=\"note\">No configuration recorded.</p>";
    std::string out = "<details><summary>Effective configuration</summary><table class=\"config\"><tbody>";
    for (const auto& [k, v] : cfg->items())
        out += "<tr><th scope=\"row\">" + escape(k) + "</th><td>" + html::escape_json_value(v) + "</td></tr>";
    return out + "</tbody></table></details>";
}

// Non-2xx responses are timed apart from the successes (`error_latency`); "none" without any.
std::string error_latency(const json& side)
{
    const json* x = html::get_object(side, "error_latency");
    if (!x)
        return "none";
    return number(get_number(*x, "count"), 0) + " responses: p50 " + number(get_number(*x, "p50_ms"), 3) +
           " ms, p99 " + number(get_number(*x, "p99_ms"), 3) + " ms, max " +
           number(get_number(*x, "max_ms"), 3) + " ms";
}

// The latency alone (-baseline: sequential requests before the load), against which the latency
// under load shows queueing; "not measured" without one.
std::string latency_alone(const json& side)
{
    const json* b = html::get_object(side, "baseline");
    if (!b)
        return "not measured";
    return "p50 " + number(get_number(*b, "p50_ms"), 3) + " ms over " +
           number(get_number(*b, "succeeded"), 0) + " sequential requests";
}

// bench's own worker threads over the measured phase ("load_generator"): a busy one delays what it
// measures; "not measured" without the block.
std::string load_generator(const json& r)
{
    const json* lg = html::get_object(r, "load_generator");
    if (!lg)
        return "not measured";
    auto threads = get_number(*lg, "threads");
    return number(threads, 0) + (threads && *threads == 1 ? " worker thread" : " worker threads") +
           ", the busiest at " + html::with_unit(get_number(*lg, "busiest_thread_cpu_percent"), 1, "%") +
           " of a core";
}

// The whole machine over the load ("machine"): how busy its CPUs were and what the hypervisor
// withheld; "not measured" without the block.
std::string machine(const json& r)
{
    const json* m = html::get_object(r, "machine");
    if (!m)
        return "not measured";
    return number(get_number(*m, "cpus"), 0) + " CPUs, " +
           html::with_unit(get_number(*m, "busy_percent"), 1, "%") + " busy, " +
           html::with_unit(get_number(*m, "steal_percent"), 1, "%") + " stolen by the hypervisor";
}

// The processes other than bench and the sampled servers over the load ("machine" ->
// "other_processes"): what competed with the run for the CPUs; "not measured" without them.
std::string other_processes(const json& r)
{
    const json* m = html::get_object(r, "machine");
    const json* others = m ? html::get_object(*m, "other_processes") : nullptr;
    if (!others)
        return "not measured";
    auto busiest = busiest_other_processes(*others);
    return html::with_unit(get_number(*others, "cpu_percent"), 1, "%") + " of a core" +
           (busiest.empty() ? "" : ", the busiest " + escape(busiest));
}

// The process on a side's port ("server_*"): in overhead mode the direct target's is the
// candidate's upstream, where a queue the candidate's latency shows usually is; "not found"
// without its figures (a remote target, or no process found on the port).
std::string server_process(const json& side)
{
    auto memory = get_number(side, "server_peak_memory_mb");
    if (!memory)
        return "not found";
    const json* cpu = html::get_object(side, "server_cpu_percent");
    return "pid " + number(get_number(side, "server_pid"), 0) + ": RSS peak " +
           html::with_unit(memory, 1, "MiB") + ", CPU avg " +
           html::with_unit(cpu ? get_number(*cpu, "avg") : std::nullopt, 1, "%");
}

std::string meta(const json& r, const json* direct)
{
    auto str = [](const json& o, const char* k) { return escape(html::get_string(o, k).value_or("n/a")); };
    auto both = [&](const char* key, int decimals, const char* unit) {
        std::string v = html::with_unit(get_number(r, key), decimals, unit);
        return direct ? v + " (direct " + html::with_unit(get_number(*direct, key), decimals, unit) + ")" : v;
    };
    std::string out = "<dl class=\"meta\">" + html::term("target", str(r, "target"));
    if (direct)
        out += html::term("direct", str(*direct, "target"));
    out += html::term("mode", str(r, "mode")) +
           html::term("target rate", html::with_unit(get_number(r, "target_rate"), 1, "req/s")) +
           html::term("achieved", both("achieved_rate", 1, "req/s")) +
           html::term("throughput", both("throughput_rps", 1, "req/s")) +
           html::term("late sends", number(get_number(r, "late_sends"), 0)) +
           html::term("requests", number(get_number(r, "requests"), 0)) +
           html::term("success", html::with_unit(get_number(r, "success_rate"), 2, "%")) +
           html::term("status codes", counts(r, "status_code_counts")) +
           html::term("drops", counts(r, "drop_reasons")) +
           html::term("non-2xx latency",
                      error_latency(r) + (direct ? " (direct: " + error_latency(*direct) + ")" : "")) +
           html::term("latency alone",
                      latency_alone(r) + (direct ? " (direct: " + latency_alone(*direct) + ")" : "")) +
           html::term("server process",
                      server_process(r) + (direct ? " (direct: " + server_process(*direct) + ")" : "")) +
           html::term("bench CPU", load_generator(r)) + html::term("machine", machine(r)) +
           html::term("other processes", other_processes(r)) + html::term("timestamp", str(r, "timestamp"));
    return out + "</dl>";
}

// What the figures below cannot say by themselves (bench prints the same notes under its table).
std::string caveats(const json& r)
{
    auto notes = result_notes(r);
    if (notes.empty())
        return {};
    std::string out = "<ul class=\"caveats\">";
    for (const auto& n : notes)
        out += "<li>" + escape(n) + "</li>";
    return out + "</ul>";
}

} // namespace

std::string provider_section(const std::string& name, const json& r, const std::string& anchor)
{
    std::string out =
        "<section class=\"provider\" id=\"" + escape(anchor) + "\"><h2>" + escape(name) + "</h2>";
    if (!r.is_object())
        return out +
               "<p class=\"note\">No results for this provider (the entry is not an object).</p></section>";
    const json* direct = html::get_object(r, "direct");
    out += meta(r, direct) + caveats(r) + "<div class=\"charts\">" + percentile_chart(r, direct) +
           latency_timeline_chart(r, direct) + throughput_timeline_chart(r, direct) +
           overhead_charts(r, direct) + "</div>" + stream_table(r, direct) + config_details(r);
    return out + "</section>";
}

} // namespace loadgen::report_detail
