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
        "!doctype", "html", "head",    "meta",   "title",      "style",   "body",  "header",
        "h1",       "h2",   "h3",      "p",      "details",    "summary", "dl",    "dt",
        "dd",       "main", "div",     "table",  "thead",      "tbody",   "tr",    "th",
        "td",       "a",    "section", "figure", "figcaption", "svg",     "rect",  "line",
        "text",     "g",    "path",    "circle", "code",       "caption", "footer"};
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

void check_no_nan_inf(const std::string& page)
{
    static const std::regex bad(R"(\b(nan|inf|infinity)\b)", std::regex::icase);
    for (const auto& svg : svgs(page)) {
        INFO(svg.substr(0, 400));
        CHECK_FALSE(std::regex_search(svg, bad));
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
    // Two overhead charts with five bars each, plus litellm's TTFT chart with p50 and p99.
    for (const char* label : {"p90", "p99.9", "mean"})
        CHECK(count(page, std::string("data-label=\"") + label + "\"") == 2);
    for (const char* label : {"p50", "p99"})
        CHECK(count(page, std::string("data-label=\"") + label + "\"") == 3);
    // Percentile axis like HdrHistogram plots, latency ticks with units.
    for (const char* tick : {">0%<", ">90%<", ">99%<", ">99.9%<", ">99.99%<"})
        CHECK(count(page, tick) >= 2);
    CHECK(page.find(" ms</text>") != std::string::npos);
    CHECK(page.find(" s</text>") != std::string::npos);

    // Values from the JSON: comparison table, overhead with interval, stream figures.
    CHECK(page.find("+0.29 ms [+0.24, +0.33]") != std::string::npos); // bifrost overhead p50
    CHECK(page.find("+0.91 ms [+0.78, +1.05]") != std::string::npos); // litellm overhead p50
    CHECK(page.find("1200.0") != std::string::npos);                  // throughput
    CHECK(page.find("52.4 / 49.8") != std::string::npos);             // server memory
    CHECK(page.find("22.5 / 35.1") != std::string::npos);             // server CPU
    CHECK(page.find("99.99") != std::string::npos);                   // success rate
    CHECK(page.find("50.51") != std::string::npos);                   // TTFT p50 through the proxy
    CHECK(page.find("0.041") != std::string::npos);                   // proxy Server-Timing p50
    CHECK(page.find("2026-11-25T20:14:03Z to 2026-11-25T20:14:41Z") != std::string::npos);
    CHECK(page.find("Streaming") != std::string::npos);
    CHECK(page.find("20 alternating windows") != std::string::npos);
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
    CHECK(loadgen::html::format_estimate(loadgen::html::get_estimate(j, "e")) == "+2.00 ms [+1.00, +3.00]");
    CHECK(loadgen::html::format_estimate(loadgen::html::get_estimate(j, "a")) == "+1.50 ms");
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
