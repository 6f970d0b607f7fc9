// Unit tests of the HTML report (bench -report): structure, values, escaping, no external
// resources, no NaN/inf in the SVG. Fixtures are in tests/data/report_*.json.
#include "bench/loadgen/report/html_report.hpp"
#include "bench/loadgen/report/html_util.hpp"
#include "bench/loadgen/report/svg_chart.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

namespace {

using nlohmann::json;

json load_fixture(const std::string& name)
{
    std::ifstream in(std::string(LGB_TEST_DATA_DIR) + "/" + name);
    REQUIRE(in.good());
    return json::parse(in);
}

std::size_t count(const std::string& hay, const std::string& needle)
{
    std::size_t n = 0;
    for (auto pos = hay.find(needle); pos != std::string::npos; pos = hay.find(needle, pos + needle.size()))
        ++n;
    return n;
}

std::string lower(std::string s)
{
    for (auto& ch : s)
        ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return s;
}

// Every <svg>...</svg> of the page.
std::vector<std::string> svgs(const std::string& page)
{
    std::vector<std::string> out;
    for (auto pos = page.find("<svg"); pos != std::string::npos; pos = page.find("<svg", pos + 1))
        out.push_back(page.substr(pos, page.find("</svg>", pos) + 6 - pos));
    return out;
}

// Tag and attribute names of the page (the <style> body skipped): an injected tag or event
// handler attribute would show up here.
void check_markup_whitelist(const std::string& page)
{
    static const std::set<std::string> tags = {
        "!doctype", "html",       "head",   "meta",    "title",   "style", "body", "header", "h1",
        "h2",       "h3",         "p",      "details", "summary", "dl",    "dt",   "dd",     "main",
        "div",      "table",      "thead",  "tbody",   "tr",      "th",    "td",   "a",      "section",
        "figure",   "figcaption", "svg",    "rect",    "line",    "text",  "g",    "path",   "circle",
        "code",     "caption",    "footer", "span",    "ul",      "li"};
    static const std::set<std::string> attrs = {"lang",
                                                "charset",
                                                "name",
                                                "content",
                                                "class",
                                                "id",
                                                "href",
                                                "scope",
                                                "colspan",
                                                "open",
                                                "viewbox",
                                                "role",
                                                "x",
                                                "y",
                                                "width",
                                                "height",
                                                "x1",
                                                "y1",
                                                "x2",
                                                "y2",
                                                "d",
                                                "fill",
                                                "stroke",
                                                "stroke-width",
                                                "stroke-dasharray",
                                                "text-anchor",
                                                "transform",
                                                "cx",
                                                "cy",
                                                "r",
                                                "data-series",
                                                "data-label"};
    static const std::regex attr_re(R"re(\s([A-Za-z_:][-A-Za-z0-9_:.]*)\s*=\s*"([^"]*)")re");
    std::size_t pos = 0;
    while ((pos = page.find('<', pos)) != std::string::npos) {
        std::size_t end = page.find('>', pos);
        REQUIRE(end != std::string::npos);
        std::string tag = page.substr(pos + 1, end - pos - 1);
        std::string name =
            lower(tag.substr(tag[0] == '/' ? 1 : 0, tag.find_first_of(" /", 1) - (tag[0] == '/')));
        INFO("tag: <" << tag << ">");
        CHECK(tags.count(name) == 1);
        // Attributes must be name="value" pairs with known names; the rest of the tag is spaces or '/'.
        std::string rest =
            std::regex_replace(tag.substr(std::min(tag.size(), name.size() + (tag[0] == '/'))), attr_re, "");
        if (name != "!doctype")
            CHECK(rest.find_first_not_of(" /") == std::string::npos);
        for (std::sregex_iterator it(tag.begin(), tag.end(), attr_re), e; it != e; ++it) {
            CHECK(attrs.count(lower((*it)[1])) == 1);
            if (lower((*it)[1]) == "href")
                CHECK((*it)[2].str().rfind('#', 0) == 0); // in-page links only
        }
        pos = end + 1;
        if (name == "style")
            pos = page.find("</style>", pos);
    }
}

// True when `word` occurs in `text` (lower case) with no letter or digit on either side.
bool has_word(const std::string& text, const std::string& word)
{
    auto alnum = [](char ch) { return std::isalnum(static_cast<unsigned char>(ch)) != 0; };
    for (auto pos = text.find(word); pos != std::string::npos; pos = text.find(word, pos + 1)) {
        bool before = pos > 0 && alnum(text[pos - 1]);
        bool after = pos + word.size() < text.size() && alnum(text[pos + word.size()]);
        if (!before && !after)
            return true;
    }
    return false;
}

void check_no_nan_inf(const std::string& page)
{
    for (const auto& svg : svgs(page)) {
        std::string l = lower(svg);
        INFO(svg.substr(0, 400));
        CHECK_FALSE(has_word(l, "nan"));
        CHECK_FALSE(has_word(l, "inf"));
        CHECK_FALSE(has_word(l, "infinity"));
    }
}

} // namespace

TEST_CASE("report: two providers with direct and overhead", "[unit][report]")
{
    const std::string page = loadgen::render_html_report(load_fixture("report_two_providers.json"));
    check_markup_whitelist(page);
    check_no_nan_inf(page);

    // bifrost: percentiles, latency/time, throughput/time, overhead = 4 charts; litellm streams and
    // adds a TTFT overhead chart = 5.
    CHECK(count(page, "<svg") == 9);
    CHECK(count(page, "</svg>") == 9);
    for (const auto& svg : svgs(page)) {
        bool has_shapes =
            svg.find("<path") != std::string::npos || svg.find("class=\"bar\"") != std::string::npos;
        CHECK(has_shapes);
        CHECK(svg.find("no data") == std::string::npos);
    }
    CHECK(count(page, "data-series=\"through proxy\"") == 2);
    CHECK(count(page, "data-series=\"direct to upstream\"") == 2);
    CHECK(count(page, "data-series=\"proxy p99\"") == 2);
    CHECK(count(page, "data-series=\"direct req/s\"") == 2);
    // One error second in each fixture run, on the right-hand axis.
    CHECK(count(page, "data-series=\"proxy errors/s (right axis)\"") == 2);
    CHECK(count(page, ">errors per second</text>") == 2);
    // Two overhead charts and litellm's TTFT overhead chart, five bars each.
    for (const char* label : {"p50", "p90", "p99", "p99.9", "mean"})
        CHECK(count(page, std::string("data-label=\"") + label + "\"") == 3);
    CHECK(page.find("TTFT through the proxy minus TTFT direct") != std::string::npos);
    // Percentile axis like HdrHistogram plots, latency ticks with units.
    for (const char* tick : {">0%<", ">90%<", ">99%<", ">99.9%<", ">99.99%<"})
        CHECK(count(page, tick) >= 2);
    CHECK(page.find(" ms</text>") != std::string::npos);
    CHECK(page.find(" s</text>") != std::string::npos);

    // Values from the JSON: comparison table, overhead with interval, stream figures.
    CHECK(page.find("+0.29 ms<span class=\"ci\">[+0.24, +0.33]</span>") !=
          std::string::npos); // bifrost overhead p50
    CHECK(page.find("+0.91 ms<span class=\"ci\">[+0.78, +1.05]</span>") !=
          std::string::npos);                             // litellm overhead p50
    CHECK(page.find("1200.0") != std::string::npos);      // throughput
    CHECK(page.find("52.4 / 49.8") != std::string::npos); // server memory
    CHECK(page.find("22.5 / 35.1") != std::string::npos); // server CPU
    CHECK(page.find("99.99") != std::string::npos);       // success rate
    CHECK(page.find("50.51") != std::string::npos);       // TTFT p50 through the proxy
    CHECK(page.find("0.041") != std::string::npos);       // proxy Server-Timing p50
    CHECK(page.find("2026-11-25T20:14:03Z to 2026-11-25T20:14:41Z") != std::string::npos);
    CHECK(page.find("Streaming") != std::string::npos);
    CHECK(page.find("20 pairs of alternating windows") != std::string::npos);
}

TEST_CASE("report: nulls and missing fields are shown as absent", "[unit][report]")
{
    const std::string page = loadgen::render_html_report(load_fixture("report_minimal_nulls.json"));
    check_markup_whitelist(page);
    check_no_nan_inf(page);
    CHECK(page.find("No overhead chart: this run has no direct baseline") != std::string::npos);
    CHECK(page.find("not an object") != std::string::npos); // "url": null
    CHECK(page.find("n/a") != std::string::npos);
    // Percentile curve falls back to the scalar fields (p50 and p99 present).
    CHECK(count(page, "data-series=\"target\"") == 1);
    // The timeline's first second is all nulls: a one-point line, not a zero.
    CHECK(page.find("data-series=\"target p50\"") != std::string::npos);
    CHECK(count(page, "<svg") == 3); // no overhead svg
    CHECK(page.find("Streaming") == std::string::npos);
}

TEST_CASE("report: strings from the JSON are escaped", "[unit][report]")
{
    const std::string page = loadgen::render_html_report(load_fixture("report_hostile.json"));
    check_markup_whitelist(page);
    check_no_nan_inf(page);
    const std::string l = lower(page);
    CHECK(l.find("<script") == std::string::npos);
    CHECK(l.find("<img") == std::string::npos);
    CHECK(count(l, "</style>") == 1);
    CHECK(count(l, "<title>") == count(l, "</title>"));
    CHECK(page.find("&lt;script&gt;alert(&#39;name&#39;)&lt;/script&gt;") != std::string::npos);
    CHECK(page.find("bad&quot;name&#39; onmouseover=&#39;x") != std::string::npos);
    CHECK(page.find("javascript:alert(1)//&lt;img src=x onerror=alert(2)&gt;") != std::string::npos);
    CHECK(page.find("&lt;b&gt;2026&lt;/b&gt;") != std::string::npos);
    CHECK(page.find("a &amp; b &quot;quoted&quot; &#39;single&#39;") != std::string::npos);
}

TEST_CASE("report: no reference to any external resource", "[unit][report]")
{
    json results = load_fixture("report_two_providers.json");
    // Drop every string that holds a URL; what remains of the page must name no network location.
    for (auto& [name, r] : results.items()) {
        r["target"] = "proxy-target";
        r["direct"]["target"] = "direct-target";
    }
    const std::string page = lower(loadgen::render_html_report(results));
    for (const char* bad : {"http:", "https:", "//", "src=", "url(", "@import", "<link", "<script", "<img",
                            "<iframe", "<object", "<embed", "xlink"})
        CHECK(page.find(bad) == std::string::npos);
}

TEST_CASE("report: any JSON renders a page", "[unit][report]")
{
    for (const json& j :
         {json(), json::array({1, 2}), json::object(), json("x"), json{{"a", {{"percentiles", 5}}}}}) {
        std::string page = loadgen::render_html_report(j);
        CHECK(page.rfind("<!DOCTYPE html>", 0) == 0);
        CHECK(page.find("</html>") != std::string::npos);
        check_no_nan_inf(page);
    }
}

TEST_CASE("report helpers: escaping and numbers", "[unit][report]")
{
    // The NaN/inf detector used above finds them and only them.
    CHECK(has_word("x=\"nan\"", "nan"));
    CHECK(has_word("-inf ms", "inf"));
    CHECK_FALSE(has_word("nano info", "nan"));
    CHECK_FALSE(has_word("nano info", "inf"));
    CHECK(loadgen::html::escape("<a href=\"x\">'&'</a>") ==
          "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    CHECK(loadgen::html::number(1.005, 1) == "1.0");
    CHECK(loadgen::html::number(-0.0001, 2) == "0.00");
    CHECK(loadgen::html::number(std::nullopt) == "n/a");
    CHECK(loadgen::html::signed_number(0.25, 2) == "+0.25");
    CHECK(loadgen::html::trimmed(99.99, 4) == "99.99");
    CHECK(loadgen::html::trimmed(50, 4) == "50");
    CHECK(loadgen::html::signed_number(-0.25, 2) == "-0.25");
    CHECK(loadgen::html::signed_number(0.0, 2) == "0.00");
    json j = {{"a", 1.5}, {"b", nullptr}, {"c", "x"}, {"e", {{"value", 2}, {"ci_low", 1}, {"ci_high", 3}}}};
    CHECK(loadgen::html::get_number(j, "a") == 1.5);
    CHECK_FALSE(loadgen::html::get_number(j, "b"));
    CHECK_FALSE(loadgen::html::get_number(j, "c"));
    CHECK_FALSE(loadgen::html::get_number(j, "missing"));
    auto e = loadgen::html::get_estimate(j, "e");
    CHECK((e.has_interval() && *e.value == 2 && *e.low == 1 && *e.high == 3));
    auto a = loadgen::html::get_estimate(j, "a");
    CHECK((a.value == 1.5 && !a.has_interval()));
}

TEST_CASE("svg charts: axes, gaps and empty data", "[unit][report]")
{
    using namespace loadgen::svg;
    CHECK(percentile_position(0) == Approx(0));
    CHECK(percentile_position(90) == Approx(1));
    CHECK(percentile_position(99.9) == Approx(3));
    CHECK(percentile_position(100) == Approx(6)); // clamped
    CHECK(nice_ticks(0, 7.3) == std::vector<double>{0, 2, 4, 6, 8});
    CHECK(nice_ticks(-0.4, 1.1).front() == Approx(-0.5));

    line_chart chart{"t", "time (s)", "latency (ms)", "s", "ms", x_scale::linear, {}};
    chart.lines.push_back({"a", color_proxy, {{0, 1}, {1, std::nan("")}, {2, 3}, {3, 4}}});
    std::string svg = render(chart);
    CHECK(count(svg, "<path d=\"M") == 1);
    CHECK(count(svg, " M") == 1); // the gap starts a second segment
    CHECK(count(svg, "<circle") == 3);
    CHECK(svg.find("4 ms</text>") != std::string::npos);

    // A series with nothing drawable is left out of the legend as well.
    chart.lines.push_back({"all gaps", color_direct, {{0, std::nan("")}}});
    CHECK(render(chart).find("all gaps") == std::string::npos);

    line_chart empty{"e", "x", "y", "", "", x_scale::linear, {}};
    CHECK(render(empty).find("no data") != std::string::npos);
    bar_chart bars{"b", "ms", "ms", color_proxy, {{"p50", -0.2, -0.5, 0.1, true}, {"p99", 1, 0, 0, false}}};
    std::string bsvg = render(bars);
    CHECK(count(bsvg, "class=\"whisker\"") == 1);
    CHECK(bsvg.find("-0.20 ms") != std::string::npos);
    CHECK(bsvg.find("grid zero") != std::string::npos);
}

TEST_CASE("report: every field replaced by a wrong type still renders cleanly", "[unit][report]")
{
    // Each top-level and "direct"/"overhead" field of one provider, in turn, becomes null, a
    // string, an empty array, a huge negative number and a nested object of the wrong shape.
    const json base = load_fixture("report_two_providers.json");
    const json variants[] = {nullptr, "<x>", json::array(), -1e308, json{{"value", "<v>"}, {"p50", nullptr}}};
    std::size_t pages = 0;
    for (const char* section : {"", "direct", "overhead"}) {
        const json& fields = *section ? base["litellm"][section] : base["litellm"];
        for (const auto& [key, unused] : fields.items())
            for (const auto& v : variants) {
                json results = base;
                (*section ? results["litellm"][section] : results["litellm"])[key] = v;
                std::string page = loadgen::render_html_report(results);
                INFO("field " << section << "." << key << " = " << v.dump());
                REQUIRE(page.find("</html>") != std::string::npos);
                check_no_nan_inf(page);
                CHECK(page.find("<x>") == std::string::npos);
                CHECK(page.find("<v>") == std::string::npos);
                ++pages;
            }
    }
    CHECK(pages > 150);
}

TEST_CASE("report: seconds without a response are gaps in the latency lines", "[unit][report]")
{
    json r = {{"timeline",
               {{{"t_s", 0}, {"rps", 10}, {"p50_ms", 1.0}, {"p99_ms", 2.0}, {"errors", 0}},
                {{"t_s", 1}, {"rps", 0}, {"p50_ms", 0.0}, {"p99_ms", 0.0}, {"errors", 0}},
                {{"t_s", 2}, {"rps", 10}, {"p50_ms", 1.0}, {"p99_ms", 2.0}, {"errors", 0}}}}};
    std::string page = loadgen::render_html_report(json{{"mock", r}});
    auto pos = page.find("data-series=\"target p50\"");
    REQUIRE(pos != std::string::npos);
    std::string path = page.substr(pos, page.find("</g></g>", pos) - pos);
    CHECK(count(path, "M") == 2); // two segments: the idle second is not drawn as 0 ms
    CHECK(count(path, "<circle") == 2);
}

TEST_CASE("report: TTFT overhead shapes and its absence", "[unit][report]")
{
    json base = load_fixture("report_two_providers.json")["litellm"];
    auto ttft_chart = [&](const json& ttft) {
        json r = base;
        r["overhead"]["ttft_ms"] = ttft;
        std::string page = loadgen::render_html_report(json{{"litellm", r}});
        auto pos = page.find("<title>Streaming: added time to first token</title>");
        return pos == std::string::npos ? std::string() : page.substr(pos, page.find("</svg>", pos) - pos);
    };
    std::string inner = ttft_chart({{"p50", {{"value", 0.3}, {"ci_low", 0.2}, {"ci_high", 0.4}}},
                                    {"p99", {{"value", 0.9}, {"ci_low", 0.5}, {"ci_high", 1.4}}}});
    CHECK(count(inner, "class=\"bar\"") == 2);
    CHECK(count(inner, "class=\"whisker\"") == 2);
    std::string single = ttft_chart({{"value", 0.3}, {"ci_low", 0.2}, {"ci_high", 0.4}});
    CHECK(count(single, "data-label=\"TTFT\"") == 1);

    json r = base;
    r["overhead"]["ttft_ms"] = nullptr;
    std::string page = loadgen::render_html_report(json{{"litellm", r}});
    CHECK(page.find("No TTFT overhead") != std::string::npos);
}

TEST_CASE("report: alternating windows are joined, a stall is shown", "[unit][report]")
{
    auto second = [](int t, int rps) {
        return json{{"t_s", t},
                    {"rps", rps},
                    {"p50_ms", rps ? 1.0 : 0.0},
                    {"p99_ms", rps ? 2.0 : 0.0},
                    {"errors", 0}};
    };
    // Proxy measured in seconds 0, 2, 4; direct in 1 and 3 (its window); second 5: nobody answered.
    json proxy = json::array(
        {second(0, 200), second(1, 0), second(2, 200), second(3, 0), second(4, 200), second(5, 0)});
    json direct =
        json::array({second(0, 0), second(1, 200), second(2, 0), second(3, 200), second(4, 0), second(5, 0)});
    json r = {{"timeline", proxy}, {"direct", {{"timeline", direct}}}};
    std::string page = loadgen::render_html_report(json{{"p", r}});
    auto series = [&](const std::string& name) {
        auto pos = page.find("data-series=\"" + name + "\"");
        REQUIRE(pos != std::string::npos);
        return page.substr(pos, page.find("</g></g>", pos) - pos);
    };
    std::string p50 = series("proxy p50");
    CHECK(count(p50, "<circle") == 3); // 0, 2, 4 joined; 1 and 3 skipped; 5 is a gap
    CHECK(count(p50, "M") == 1);
    std::string rps = series("proxy req/s");
    CHECK(count(rps, "<circle") == 4);                    // 0, 2, 4 and the stall at 5 drawn as 0 req/s
    CHECK(count(series("direct req/s"), "<circle") == 3); // 1, 3 and 5
    CHECK(page.find("alternating window are skipped") != std::string::npos);
}

TEST_CASE("report: each side's throughput, non-2xx latency, why the overhead is absent", "[unit][report]")
{
    json r = load_fixture("report_two_providers.json")["litellm"];
    r["throughput_rps"] = 49.5;
    r["direct"]["throughput_rps"] = 50.25;
    r["error_latency"] = {{"count", 7}, {"p50_ms", 0.4}, {"p99_ms", 30.5}, {"max_ms", 31.0}};
    std::string page = loadgen::render_html_report(json{{"litellm", r}});
    CHECK(page.find("49.5 req/s (direct 50.2 req/s)") != std::string::npos);
    CHECK(page.find("7 responses: p50 0.400 ms, p99 30.500 ms, max 31.000 ms (direct: none)") !=
          std::string::npos);

    r["overhead"] = nullptr;
    r["overhead_note"] = "overhead not recomputed: an input has no per-window data <v1>";
    page = loadgen::render_html_report(json{{"litellm", r}});
    CHECK(page.find(
              "No overhead chart: overhead not recomputed: an input has no per-window data &lt;v1&gt;.") !=
          std::string::npos);
}

TEST_CASE("report: what a figure cannot say by itself is written above the charts", "[unit][report]")
{
    auto results = load_fixture("report_two_providers.json");
    CHECK(loadgen::render_html_report(results).find("class=\"caveats\"") == std::string::npos);
    auto& e = results.begin().value();
    REQUIRE(e["overhead"].is_object());
    e["overhead"]["windows"] = 2;
    e["direct"]["server_cpu_percent"] = {{"avg", 96.0}, {"peak", 105.0}};
    e["direct"]["server_pid"] = 11667;
    e["direct"]["p50_latency_ms"] = 621.281;
    e["direct"]["min_latency_ms"] = 14.2;
    const std::string page = loadgen::render_html_report(results);
    check_markup_whitelist(page);
    CHECK(count(page, "<ul class=\"caveats\">") == 1);
    CHECK(page.find("<li>2 window pairs are too few for a 95% interval (it needs 10)") != std::string::npos);
    CHECK(page.find("<li>the direct target (pid 11667) used 96% of a CPU core") != std::string::npos);
    CHECK(count(page, "<span class=\"ci\">2 notes</span>") == 1); // in the comparison table's row
}

TEST_CASE("report: each side's latency alone, and the queue it shows", "[unit][report]")
{
    auto results = load_fixture("report_two_providers.json");
    auto& e = results.begin().value();
    REQUIRE(e["direct"].is_object());
    CHECK(loadgen::render_html_report(results).find("not measured") != std::string::npos); // no baseline
    e["direct"]["baseline"] = {{"requests", 10}, {"succeeded", 10}, {"p50_ms", 12.0},
                               {"min_ms", 11.8}, {"max_ms", 12.6},  {"latency", nullptr}};
    e["direct"]["p50_latency_ms"] = 75.0;
    const std::string page = loadgen::render_html_report(results);
    check_markup_whitelist(page);
    CHECK(page.find("(direct: p50 12.0") != std::string::npos);
    CHECK(page.find("ms over 10 sequential requests)") != std::string::npos);
    CHECK(page.find("<li>the direct target&#39;s p50 under load (75.000 ms) was 6.2x its p50 alone") !=
          std::string::npos);
}

TEST_CASE("report: a percentile with few requests beyond it is starred", "[unit][report]")
{
    auto results = load_fixture("report_two_providers.json");
    const std::string plain = loadgen::render_html_report(results);
    CHECK(plain.find("Fewer than 10 requests beyond") == std::string::npos); // no counts: no mark
    auto& e = results.begin().value();
    REQUIRE(e["overhead"]["p99_ms"].is_object());
    e["overhead"]["p50_ms"]["tail_samples"] = 180;
    e["overhead"]["p99_ms"]["tail_samples"] = 3;
    e["overhead"]["p999_ms"]["tail_samples"] = 0;
    const std::string page = loadgen::render_html_report(results);
    check_markup_whitelist(page);
    // The comparison table: the p99 cell, and its footnote once.
    CHECK(count(page, " ms*<span class=\"ci\">") == 1);
    CHECK(count(page, "* Fewer than 10 requests beyond that percentile on the smaller side (a p99 from") ==
          1);
    // The overhead chart: p99 and p99.9 starred, p50 not, and its caption says why.
    CHECK(page.find(">p99*<") != std::string::npos);
    CHECK(page.find(">p99.9*<") != std::string::npos);
    CHECK(page.find(">p50*<") == std::string::npos);
    CHECK(page.find("the bar is one of the slowest few requests") != std::string::npos);
    e["overhead"]["p99_ms"]["tail_samples"] = "few"; // not a number: no mark
    e["overhead"]["p999_ms"]["tail_samples"] = 10;
    CHECK(loadgen::render_html_report(results).find("Fewer than 10 requests beyond") == std::string::npos);
}

TEST_CASE("report: bench's own CPU is shown, and its note when it was near a core", "[unit][report]")
{
    auto results = load_fixture("report_two_providers.json");
    CHECK(loadgen::render_html_report(results).find("<dt>bench CPU</dt><dd>not measured</dd>") !=
          std::string::npos);
    auto& e = results.begin().value();
    e["load_generator"] = {{"threads", 2}, {"busiest_thread_cpu_percent", 91.5}};
    const std::string page = loadgen::render_html_report(results);
    check_markup_whitelist(page);
    CHECK(page.find("<dt>bench CPU</dt><dd>2 worker threads, the busiest at 91.5") != std::string::npos);
    CHECK(page.find("<li>bench&#39;s busiest worker thread used 92% of a CPU core") != std::string::npos);
    CHECK(page.find("<dt>machine</dt><dd>not measured</dd>") != std::string::npos);
    e["machine"] = {{"cpus", 2}, {"busy_percent", 40.5}, {"steal_percent", 6.0}};
    const std::string with_machine = loadgen::render_html_report(results);
    CHECK(with_machine.find("<dt>machine</dt><dd>2 CPUs, 40.5") != std::string::npos);
    CHECK(with_machine.find("<li>the hypervisor withheld 6.0% of this machine&#39;s CPU time") !=
          std::string::npos);
    CHECK(with_machine.find("<dt>other processes</dt><dd>not measured</dd>") != std::string::npos);
    // The other processes' names come from the machine's processes: escaped like any text.
    e["machine"]["other_processes"] = {{"cpu_percent", 72.0},
                                       {"busiest",
                                        {{{"pid", 77}, {"name", "<b>cc1plus"}, {"cpu_percent", 70.0}},
                                         {{"pid", 8}, {"name", "make"}, {"cpu_percent", 2.0}}}}};
    const std::string with_others = loadgen::render_html_report(results);
    check_markup_whitelist(with_others);
    CHECK(with_others.find("<dt>other processes</dt><dd>72.0") != std::string::npos);
    CHECK(
        with_others.find("of a core, the busiest &lt;b&gt;cc1plus (pid 77) 70.0%, make (pid 8) 2.0%</dd>") !=
        std::string::npos);
    CHECK(with_others.find(
              "<li>processes other than bench and the servers it sampled used 72% of a CPU core") !=
          std::string::npos);
}

TEST_CASE("report: each side's server process, the direct target's included", "[unit][report]")
{
    auto results = load_fixture("report_two_providers.json");
    auto& e = results.begin().value();
    REQUIRE(e["direct"].is_object());
    e["server_pid"] = 4242;
    e["server_peak_memory_mb"] = 9.8;
    e["server_cpu_percent"] = {{"avg", 0.8}, {"peak", 5.0}};
    e["direct"]["server_pid"] = 11667;
    e["direct"]["server_peak_memory_mb"] = 334.0;
    e["direct"]["server_cpu_percent"] = {{"avg", 87.56}, {"peak", 105.0}};
    std::string page = loadgen::render_html_report(results);
    check_markup_whitelist(page);
    CHECK(page.find("<dt>server process</dt><dd>pid 4242: RSS peak 9.8 MiB, CPU avg 0.8 % (direct: pid "
                    "11667: RSS peak 334.0 MiB, CPU avg 87.6 %)</dd>") != std::string::npos);
    // Not found on its port (a remote target), or hand-edited: said so, nothing invented.
    e["direct"].erase("server_peak_memory_mb");
    e["server_cpu_percent"] = "busy";
    page = loadgen::render_html_report(results);
    CHECK(page.find("<dt>server process</dt><dd>pid 4242: RSS peak 9.8 MiB, CPU avg n/a (direct: not "
                    "found)</dd>") != std::string::npos);
}

TEST_CASE("report: the percentile chart says where its curve runs out of requests", "[unit][report]")
{
    auto results = load_fixture("report_two_providers.json");
    auto& e = results.begin().value();
    REQUIRE(e["direct"].is_object());
    e["succeeded"] = 2000;
    e["direct"]["succeeded"] = 123;
    auto page = loadgen::render_html_report(results);
    CHECK(page.find("With 123 successes on the smaller side, the curve past p91.87 rests on fewer than 10 "
                    "requests, and past p99.19 it is the slowest request.") != std::string::npos);
    e["direct"]["succeeded"] = 5;
    page = loadgen::render_html_report(results);
    CHECK(page.find(
              "With 5 successes on the smaller side, the whole curve rests on fewer than 10 requests, and "
              "past p80 it is the slowest request.") != std::string::npos);
    e["direct"]["succeeded"] = 10000;
    e["succeeded"] = 20000;
    CHECK(loadgen::render_html_report(results).find("runs out") == std::string::npos);
    CHECK(loadgen::render_html_report(results).find("rests on fewer than 10") == std::string::npos);
    e["direct"]["succeeded"] = "many"; // unknown: nothing said
    CHECK(loadgen::render_html_report(results).find("rests on fewer than 10") == std::string::npos);
}
