// Inline SVG charts for the HTML report. Geometry is in a fixed 640x300 viewBox that CSS scales
// to the page width; text sizes are in the same units, so they stay readable when scaled.
#include "bench/loadgen/report/svg_chart.hpp"

#include "bench/loadgen/report/html_util.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace loadgen::svg {
namespace {

constexpr double width = 640, height = 300;
constexpr double left = 76, right = 62, top = 34, bottom = 50;
constexpr double plot_w = width - left - right, plot_h = height - top - bottom;
constexpr double max_percentile_pos = 6; // 99.9999
constexpr std::size_t max_markers = 120; // per series; beyond that the markers hide the line

// One decimal is finer than a pixel at any zoom the page is read at.
std::string c(double v)
{
    if (!std::isfinite(v))
        v = 0; // unreachable by construction (bounds() rejects such ranges); never print nan/inf
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", v);
    return buf;
}

struct range
{
    double lo = 0, hi = 1;
    double x(double v) const { return left + (v - lo) / (hi - lo) * plot_w; }
    double y(double v) const { return top + plot_h - (v - lo) / (hi - lo) * plot_h; }
};

std::string svg_open(const std::string& title)
{
    return "<svg class=\"chart\" viewBox=\"0 0 " + c(width) + ' ' + c(height) + "\" role=\"img\"><title>" +
           html::escape(title) + "</title>";
}

std::string plot_frame()
{
    return "<rect class=\"plot\" x=\"" + c(left) + "\" y=\"" + c(top) + "\" width=\"" + c(plot_w) +
           "\" height=\"" + c(plot_h) + "\"/>";
}

std::string empty_chart(const std::string& title, const std::string& why)
{
    return svg_open(title) + plot_frame() + "<text class=\"empty\" x=\"" + c(left + plot_w / 2) + "\" y=\"" +
           c(top + plot_h / 2) + "\" text-anchor=\"middle\">" + html::escape(why) + "</text></svg>";
}

std::string legend(const std::vector<series>& lines)
{
    std::string out = "<g class=\"legend\">";
    double x = left;
    for (const auto& s : lines) {
        out += "<line x1=\"" + c(x) + "\" y1=\"14\" x2=\"" + c(x + 22) + "\" y2=\"14\" stroke=\"" +
               html::escape(s.color) + "\" stroke-width=\"3\"" +
               (s.dashed ? " stroke-dasharray=\"6 4\"" : "") + "/>";
        out += "<text x=\"" + c(x + 27) + "\" y=\"18\">" + html::escape(s.name) + "</text>";
        x += 27 + 7.0 * static_cast<double>(s.name.size()) + 18; // ~7 units per glyph at 12px
    }
    return out + "</g>";
}

// Just enough decimals for the tick step: 0, 2, 4 or 0.5, 1.0, 1.5 or 0.02, 0.04.
int tick_decimals(const std::vector<double>& ticks)
{
    if (ticks.size() < 2 || !(ticks[1] > ticks[0]))
        return 2;
    return std::clamp(static_cast<int>(-std::floor(std::log10(ticks[1] - ticks[0]) + 1e-9)), 0, 6);
}

std::string tick_label(double v, const std::string& unit, int decimals)
{
    std::string s = html::number(v, decimals);
    return unit.empty() ? s : s + ' ' + html::escape(unit);
}

std::string percentile_label(int decade)
{
    static const char* labels[] = {"0%", "90%", "99%", "99.9%", "99.99%", "99.999%", "99.9999%"};
    return labels[std::clamp(decade, 0, 6)];
}

// Grid lines with labels on the left (primary axis), or labels alone on the right (secondary).
std::string y_axis(const range& yr, const std::vector<double>& ticks, const std::string& unit,
                   const std::string& label, bool right_side = false)
{
    std::string out;
    int decimals = tick_decimals(ticks);
    double label_x = right_side ? left + plot_w + 6 : left - 6;
    for (double t : ticks) {
        double y = yr.y(t);
        if (!right_side)
            out += "<line class=\"grid" + std::string(t == 0 ? " zero" : "") + "\" x1=\"" + c(left) +
                   "\" y1=\"" + c(y) + "\" x2=\"" + c(left + plot_w) + "\" y2=\"" + c(y) + "\"/>";
        out += "<text class=\"tick\" x=\"" + c(label_x) + "\" y=\"" + c(y + 4) + "\" text-anchor=\"" +
               (right_side ? "start" : "end") + "\">" + tick_label(t, unit, decimals) + "</text>";
    }
    double mid = top + plot_h / 2, ax = right_side ? width - 8 : 14;
    out += "<text class=\"axis\" x=\"" + c(ax) + "\" y=\"" + c(mid) +
           "\" text-anchor=\"middle\" transform=\"rotate(-90 " + c(ax) + ' ' + c(mid) + ")\">" +
           html::escape(label) + "</text>";
    return out;
}

std::string x_axis_title(const std::string& label)
{
    return "<text class=\"axis\" x=\"" + c(left + plot_w / 2) + "\" y=\"" + c(height - 8) +
           "\" text-anchor=\"middle\">" + html::escape(label) + "</text>";
}

std::string x_tick(double x, const std::string& text)
{
    return "<line class=\"tickmark\" x1=\"" + c(x) + "\" y1=\"" + c(top + plot_h) + "\" x2=\"" + c(x) +
           "\" y2=\"" + c(top + plot_h + 5) + "\"/><text class=\"tick\" x=\"" + c(x) + "\" y=\"" +
           c(top + plot_h + 19) + "\" text-anchor=\"middle\">" + text + "</text>";
}

double to_x(const line_chart& chart, double x)
{
    return chart.scale == x_scale::percentile ? percentile_position(x) : x;
}

struct y_extent
{
    double lo = std::numeric_limits<double>::infinity(), hi = -std::numeric_limits<double>::infinity();
    void add(double y) { lo = std::min(lo, y), hi = std::max(hi, y); }
    bool empty() const { return !std::isfinite(lo); }
    // From zero (or below) to the top; false when the span overflows (e.g. -1e308..1e308).
    bool to_range(range& r) const
    {
        double from = std::min(0.0, lo);
        if (!std::isfinite(hi - from))
            return false;
        r = {from, hi > from ? hi : from + 1};
        return true;
    }
};

// Data bounds over finite points; false when there is none (or it cannot be drawn).
bool bounds(const line_chart& chart, range& xr, range& yr, range& yr2, bool& has_secondary)
{
    double x_lo = std::numeric_limits<double>::infinity(), x_hi = -x_lo;
    y_extent primary, secondary;
    for (const auto& s : chart.lines)
        for (const auto& p : s.points) {
            double x = to_x(chart, p.x);
            if (!std::isfinite(x) || !std::isfinite(p.y))
                continue;
            x_lo = std::min(x_lo, x), x_hi = std::max(x_hi, x);
            (s.secondary ? secondary : primary).add(p.y);
        }
    if (!std::isfinite(x_lo) || !std::isfinite(x_hi - x_lo) || primary.empty() || !primary.to_range(yr))
        return false;
    has_secondary = !secondary.empty() && secondary.to_range(yr2);
    if (chart.scale == x_scale::percentile)
        xr = {0, std::clamp(std::ceil(x_hi - 1e-9), 4.0, max_percentile_pos)};
    else
        xr = x_hi > x_lo ? range{x_lo, x_hi} : range{x_lo - 1, x_lo + 1};
    return true;
}

// Snaps a data range to its nice ticks.
std::vector<double> snap(range& r)
{
    auto ticks = nice_ticks(r.lo, r.hi);
    r = {ticks.front(), ticks.back() > ticks.front() ? ticks.back() : ticks.front() + 1};
    return ticks;
}

std::string x_axis(const line_chart& chart, const range& xr)
{
    std::string out;
    if (chart.scale == x_scale::percentile) {
        for (int d = 0; d <= static_cast<int>(xr.hi); ++d)
            out += x_tick(xr.x(d), percentile_label(d));
    } else {
        auto ticks = nice_ticks(xr.lo, xr.hi, 6);
        int decimals = tick_decimals(ticks);
        for (double t : ticks)
            if (t >= xr.lo - 1e-9 && t <= xr.hi + 1e-9)
                out += x_tick(xr.x(t), tick_label(t, chart.x_unit, decimals));
    }
    return out + x_axis_title(chart.x_label);
}

std::string point_title(const line_chart& chart, const series& s, const point& p)
{
    std::string x = chart.scale == x_scale::percentile ? "p" + html::trimmed(p.x, 4)
                                                       : html::auto_number(p.x) + ' ' + chart.x_unit;
    return html::escape(s.name + ", " + x + ": " + html::auto_number(p.y) + ' ' + chart.y_unit);
}

std::string draw_series(const line_chart& chart, const series& s, const range& xr, const range& yr)
{
    std::string path, markers;
    bool pen_down = false;
    bool with_markers = s.points.size() <= max_markers;
    for (const auto& p : s.points) {
        double xv = to_x(chart, p.x);
        if (!std::isfinite(xv) || !std::isfinite(p.y)) {
            pen_down = false; // a gap in the data
            continue;
        }
        double px = xr.x(std::min(xv, xr.hi)), py = yr.y(p.y);
        path += (pen_down ? " L" : " M") + c(px) + ' ' + c(py);
        pen_down = true;
        if (with_markers)
            markers += "<circle cx=\"" + c(px) + "\" cy=\"" + c(py) + "\" r=\"2.5\"><title>" +
                       point_title(chart, s, p) + "</title></circle>";
    }
    if (path.empty())
        return {};
    std::string color = html::escape(s.color);
    return "<g class=\"series\" data-series=\"" + html::escape(s.name) + "\"><path d=\"" + path.substr(1) +
           "\" fill=\"none\" stroke=\"" + color + "\" stroke-width=\"2\"" +
           (s.dashed ? " stroke-dasharray=\"6 4\"" : "") + "/><g fill=\"" + color + "\">" + markers +
           "</g></g>";
}

} // namespace

double percentile_position(double q)
{
    if (!std::isfinite(q))
        return q;
    double rest = 1.0 - std::clamp(q, 0.0, 100.0) / 100.0;
    return std::min(-std::log10(std::max(rest, 1e-12)), max_percentile_pos);
}

std::vector<double> nice_ticks(double lo, double hi, int target)
{
    if (!std::isfinite(lo) || !std::isfinite(hi) || hi <= lo || target < 1)
        return {lo};
    double raw = (hi - lo) / target;
    double mag = std::pow(10.0, std::floor(std::log10(raw)));
    double step = mag;
    for (double m : {1.0, 2.0, 5.0, 10.0})
        if (m * mag >= raw) {
            step = m * mag;
            break;
        }
    std::vector<double> ticks;
    double first = std::floor(lo / step) * step;
    for (int i = 0; i < 64; ++i) {
        double t = first + i * step;
        if (std::fabs(t) < step * 1e-9)
            t = 0; // no "-0"
        ticks.push_back(t);
        if (t >= hi - step * 1e-9)
            break;
    }
    return ticks;
}

std::string render(const line_chart& chart)
{
    range xr, yr, yr2;
    bool has_secondary = false;
    if (!bounds(chart, xr, yr, yr2, has_secondary))
        return empty_chart(chart.title, "no data");
    // Series without a drawable point stay out of the legend too (e.g. a direct run with no timeline).
    std::vector<series> shown;
    for (const auto& s : chart.lines)
        if ((!s.secondary || has_secondary) &&
            std::any_of(s.points.begin(), s.points.end(), [&](const point& p) {
                return std::isfinite(to_x(chart, p.x)) && std::isfinite(p.y);
            }))
            shown.push_back(s);
    auto ticks = snap(yr);
    std::string out = svg_open(chart.title) + legend(shown) + plot_frame() +
                      y_axis(yr, ticks, chart.y_unit, chart.y_label) + x_axis(chart, xr);
    if (has_secondary) {
        auto ticks2 = snap(yr2);
        out += y_axis(yr2, ticks2, chart.y2_unit, chart.y2_label, true);
    }
    for (const auto& s : shown)
        out += draw_series(chart, s, xr, s.secondary ? yr2 : yr);
    return out + "</svg>";
}

std::string render(const bar_chart& chart)
{
    std::vector<const interval_bar*> bars;
    double lo = 0, hi = 0;
    for (const auto& b : chart.bars) {
        bool ok =
            std::isfinite(b.value) && (!b.has_interval || (std::isfinite(b.low) && std::isfinite(b.high)));
        if (!ok)
            continue;
        bars.push_back(&b);
        lo = std::min({lo, b.value, b.has_interval ? b.low : 0.0});
        hi = std::max({hi, b.value, b.has_interval ? b.high : 0.0});
    }
    if (bars.empty() || !std::isfinite(hi - lo))
        return empty_chart(chart.title, "no data");
    if (hi - lo <= 0)
        hi = lo + 1;
    // Headroom above for the value labels; below zero only when a bar or whisker goes there.
    auto ticks = nice_ticks(lo < 0 ? lo - (hi - lo) * 0.05 : 0.0, hi + (hi - lo) * 0.12);
    if (ticks.size() < 2)
        return empty_chart(chart.title, "no data");
    range yr{ticks.front(), ticks.back()};
    std::string out = svg_open(chart.title) + plot_frame() + y_axis(yr, ticks, chart.y_unit, chart.y_label);
    double slot = plot_w / static_cast<double>(bars.size());
    std::string color = html::escape(chart.color);
    for (std::size_t i = 0; i < bars.size(); ++i) {
        const auto& b = *bars[i];
        double cx = left + slot * (static_cast<double>(i) + 0.5), bw = std::min(slot * 0.5, 70.0);
        double y0 = yr.y(0), yv = yr.y(b.value);
        std::string tip = html::escape(b.label + ": " + html::signed_number(b.value, 3) + ' ' + chart.y_unit +
                                       (b.has_interval ? " (95% interval " + html::signed_number(b.low, 3) +
                                                             " .. " + html::signed_number(b.high, 3) + ')'
                                                       : std::string()));
        out += "<g class=\"bar\" data-label=\"" + html::escape(b.label) + "\"><rect x=\"" + c(cx - bw / 2) +
               "\" y=\"" + c(std::min(y0, yv)) + "\" width=\"" + c(bw) + "\" height=\"" +
               c(std::max(std::fabs(y0 - yv), 1.0)) + "\" fill=\"" + color + "\"><title>" + tip +
               "</title></rect>";
        double label_y = yr.y(std::max(b.value, 0.0));
        if (b.has_interval) {
            double yl = yr.y(b.low), yh = yr.y(b.high), cap = bw * 0.3;
            out += "<path class=\"whisker\" d=\"M" + c(cx) + ' ' + c(yl) + " L" + c(cx) + ' ' + c(yh) + " M" +
                   c(cx - cap) + ' ' + c(yl) + " L" + c(cx + cap) + ' ' + c(yl) + " M" + c(cx - cap) + ' ' +
                   c(yh) + " L" + c(cx + cap) + ' ' + c(yh) + "\"/>";
            label_y = std::min(label_y, yh);
        }
        out += "<text class=\"value\" x=\"" + c(cx) + "\" y=\"" + c(label_y - 6) +
               "\" text-anchor=\"middle\">" +
               html::escape(html::signed_number(b.value, 2) + ' ' + chart.y_unit) + "</text>";
        out += x_tick(cx, html::escape(b.label)) + "</g>";
    }
    return out + "</svg>";
}

} // namespace loadgen::svg
