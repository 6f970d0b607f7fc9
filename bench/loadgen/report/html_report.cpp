// The `-report FILE.html` page: header with the run time and configuration, a table comparing the
// providers, then one section per provider (see provider_section.cpp).
#include "bench/loadgen/report/html_report.hpp"

#include "bench/loadgen/overhead.hpp"
#include "bench/loadgen/report/html_util.hpp"
#include "bench/loadgen/report/provider_section.hpp"
#include "bench/loadgen/result_notes.hpp"
#include "common/units.hpp"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

namespace loadgen {
namespace {

using html::escape;
using html::get_number;
using html::number;
using nlohmann::json;

// System fonts only: the page must render offline with nothing fetched.
constexpr const char* css = R"css(
:root{--fg:#1b1b1b;--muted:#555;--line:#d0d0d0;--bg:#fff;--band:#f4f6f8}
*{box-sizing:border-box}
body{margin:0 auto;max-width:1400px;padding:16px 24px 48px;color:var(--fg);background:var(--bg);
 font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans","Liberation Sans",sans-serif}
h1{font-size:1.6em;margin:.2em 0 .1em}h2{font-size:1.3em;margin:0 0 .4em;padding-top:.4em}
h3{font-size:1.05em;margin:1em 0 .3em}
.sub{color:var(--muted);margin:0 0 .8em}
section.provider{border-top:3px solid var(--line);margin-top:28px}
table{border-collapse:collapse;font-variant-numeric:tabular-nums;margin:.3em 0 .6em}
th,td{border:1px solid var(--line);padding:4px 8px;text-align:right;vertical-align:top}
th{background:var(--band);font-weight:600}th[scope=row],td.name,th:first-child,td.none{text-align:left}
td{white-space:nowrap}.ci{display:block;color:var(--muted);font-size:.9em}
caption{text-align:left;font-weight:600;padding:2px 0}
.wide{overflow-x:auto}
dl.meta{display:flex;flex-wrap:wrap;gap:3px 22px;margin:.3em 0 .9em}
dl.meta div{display:flex;gap:6px;min-width:0}
dl.meta dt{color:var(--muted)}dl.meta dd{margin:0;overflow-wrap:anywhere;font-weight:500}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(460px,1fr));gap:18px}
figure{margin:0;border:1px solid var(--line);border-radius:6px;padding:8px 10px;background:var(--bg)}
figcaption{font-weight:600;margin-bottom:4px}
.note{color:var(--muted);font-size:.9em;margin:.3em 0}
.caveats{border-left:4px solid #b26b00;background:#fff6e5;margin:.3em 0 .9em;padding:6px 10px 6px 26px}
.tables{display:flex;flex-wrap:wrap;gap:24px}
table.config td{text-align:left;overflow-wrap:anywhere;max-width:60ch;white-space:normal}
td.none{white-space:normal}
svg.chart{width:100%;height:auto;display:block;font-family:inherit}
svg .plot{fill:#fbfbfb;stroke:#888}
svg .grid{stroke:#e2e2e2;stroke-width:1}svg .grid.zero{stroke:#666;stroke-width:1.2}
svg .tickmark{stroke:#666}
svg .tick{font-size:12px;fill:#333}svg .axis{font-size:13px;fill:#222}
svg .legend text{font-size:12px;fill:#222}svg .value{font-size:12px;fill:#222}
svg .empty{font-size:14px;fill:#666}
svg .whisker{stroke:#222;stroke-width:1.6;fill:none}
)css";

// Scalar config entries with the same value in every provider: the run's common configuration.
std::map<std::string, std::string> common_config(const json& results)
{
    std::map<std::string, std::string> common;
    bool first = true;
    for (const auto& [name, r] : results.items()) {
        const json* cfg = html::get_object(r, "config");
        std::map<std::string, std::string> mine;
        if (cfg)
            for (const auto& [k, v] : cfg->items())
                if (v.is_primitive() && !v.is_null())
                    mine[k] = html::escape_json_value(v);
        if (first)
            common = std::move(mine);
        else
            std::erase_if(common, [&](const auto& kv) {
                auto it = mine.find(kv.first);
                return it == mine.end() || it->second != kv.second;
            });
        first = false;
    }
    return common;
}

std::string header(const json& results)
{
    std::string first, last;
    for (const auto& [name, r] : results.items())
        if (auto ts = html::get_string(r, "timestamp")) {
            if (first.empty() || *ts < first)
                first = *ts;
            last = std::max(last, *ts);
        }
    std::string when = first.empty() ? "unknown" : escape(first);
    if (last != first)
        when += " to " + escape(last);
    std::string out = "<header><h1>LLM gateway benchmark report</h1><p class=\"sub\">Run: " + when +
                      " &middot; " + std::to_string(results.size()) + " provider" +
                      (results.size() == 1 ? "" : "s") + "</p>";
    auto common = common_config(results);
    if (!common.empty()) {
        out += "<details open><summary>Configuration (shared by all providers)</summary><dl class=\"meta\">";
        for (const auto& [k, v] : common)
            out += html::term(escape(k), v);
        out += "</dl></details>";
    }
    return out + "</header>";
}

std::string latency_pair(const json& r, const char* p50, const char* p99)
{
    return number(get_number(r, p50)) + " / " + number(get_number(r, p99));
}

// The mark of an overhead percentile with fewer than min_tail_samples requests beyond it; the
// table's footnote says what it means.
constexpr const char* few_beyond_mark = "*";

std::string comparison_row(const std::string& name, const std::string& anchor, const json& r, bool& marked)
{
    std::string row = "<tr><td class=\"name\"><a href=\"#" + escape(anchor) + "\">" + escape(name) + "</a>";
    // Its figures come with a caveat, written in its section: say so where the rows are compared.
    if (auto n = result_notes(r).size())
        row += "<span class=\"ci\">" + std::to_string(n) + (n == 1 ? " note" : " notes") + "</span>";
    row += "</td>";
    if (!r.is_object())
        return row + "<td class=\"none\" colspan=\"10\">no results (the entry is not an object)</td></tr>";
    const json* direct = html::get_object(r, "direct");
    const json* overhead = html::get_object(r, "overhead");
    const json* st = html::get_object(r, "proxy_server_timing_ms");
    const json* cpu = html::get_object(r, "server_cpu_percent");
    // The value on one line, its interval on the next: keeps the table narrow on a laptop.
    auto est = [&](const char* key) {
        auto e = overhead ? html::get_estimate(*overhead, key) : html::estimate{};
        if (!e.value)
            return std::string("n/a");
        std::string out = html::signed_number(e.value, 2) + " ms";
        if (e.few_beyond) {
            out += few_beyond_mark;
            marked = true;
        }
        if (e.has_interval())
            out += "<span class=\"ci\">[" + html::signed_number(e.low, 2) + ", " +
                   html::signed_number(e.high, 2) + "]</span>";
        return out;
    };
    row += "<td>" + (direct ? latency_pair(*direct, "p50_latency_ms", "p99_latency_ms") : "n/a") + "</td>";
    row += "<td>" + latency_pair(r, "p50_latency_ms", "p99_latency_ms") + "</td>";
    row += "<td>" + est("p50_ms") + "</td><td>" + est("p99_ms") + "</td>";
    row += "<td>" + (st ? number(get_number(*st, "p50"), 3) : "n/a") + "</td>";
    row += "<td>" + number(get_number(r, "throughput_rps"), 1) + "</td>";
    row += "<td>" + number(get_number(r, "success_rate"), 2) + "</td>";
    row += "<td>" + number(get_number(r, "requests"), 0) + "</td>";
    row += "<td>" + number(get_number(r, "server_peak_memory_mb"), 1) + " / " +
           number(get_number(r, "server_avg_memory_mb"), 1) + "</td>";
    row += "<td>" +
           (cpu ? number(get_number(*cpu, "avg"), 1) + " / " + number(get_number(*cpu, "peak"), 1)
                : number(get_number(r, "server_cpu_percent"), 1)) +
           "</td>";
    return row + "</tr>";
}

std::string comparison_table(const json& results, const std::vector<std::string>& anchors)
{
    std::string out =
        "<h2>Providers compared</h2><div class=\"wide\"><table class=\"compare\"><thead><tr>"
        "<th scope=\"col\">provider</th><th scope=\"col\">direct p50 / p99 (ms)</th>"
        "<th scope=\"col\">through proxy p50 / p99 (ms)</th><th scope=\"col\">overhead p50 (ms) [95% CI]</th>"
        "<th scope=\"col\">overhead p99 (ms) [95% CI]</th><th scope=\"col\">proxy Server-Timing p50 (ms)</th>"
        "<th scope=\"col\">throughput (req/s)</th><th scope=\"col\">success (%)</th>"
        "<th scope=\"col\">requests</th><th scope=\"col\">server memory peak / avg (MB)</th>"
        "<th scope=\"col\">server CPU avg / peak (%)</th></tr></thead><tbody>";
    std::size_t i = 0;
    bool marked = false;
    for (const auto& [name, r] : results.items())
        out += comparison_row(name, anchors[i++], r, marked);
    return out +
           "</tbody></table></div><p class=\"note\">Overhead = latency through the proxy minus "
           "latency direct to the upstream, measured in alternating windows; n/a where a run had no "
           "direct baseline. Server figures are for the process listening on the target port." +
           (marked ? " * Fewer than " + std::to_string(min_tail_samples) +
                         " requests beyond that percentile on the smaller side (a p99 from under " +
                         common::format_count(steady_count(p99_per_mille)) +
                         " requests a side): it is one of the slowest few requests and its interval their "
                         "spread, not a steady figure; a longer run or a higher rate gives one."
                   : std::string()) +
           "</p>";
}

} // namespace

std::string render_html_report(const json& results)
{
    std::string page = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                       "<title>LLM gateway benchmark report</title><style>";
    page += css;
    page += "</style></head><body>";
    if (!results.is_object() || results.empty()) {
        page += "<h1>LLM gateway benchmark report</h1><p>No results: the input is not a results.json "
                "object keyed by provider, or it is empty.</p>";
        return page + "</body></html>\n";
    }
    std::vector<std::string> anchors; // provider names may hold anything: ids are generated
    for (std::size_t i = 0; i < results.size(); ++i)
        anchors.push_back("provider-" + std::to_string(i + 1));
    page += header(results) + "<main>" + comparison_table(results, anchors);
    std::size_t i = 0;
    for (const auto& [name, r] : results.items())
        page += report_detail::provider_section(name, r, anchors[i++]);
    return page + "</main><footer class=\"note\">Generated by bench. Self-contained: no scripts, fonts or "
                  "images are loaded from anywhere.</footer></body></html>\n";
}

} // namespace loadgen
