// Inline SVG charts for the HTML report: line charts (linear or HdrHistogram-style percentile x
// axis) and bar charts with interval whiskers. Pure functions returning <svg> markup; every text
// they are given is escaped here, and non-finite values are dropped, never printed.
#pragma once

#include <string>
#include <vector>

namespace loadgen::svg {

// A non-finite y ends the current line segment (a gap, e.g. a second with no successful request).
struct point
{
    double x = 0;
    double y = 0;
};

struct series
{
    std::string name;  // legend text (escaped when drawn)
    std::string color; // CSS color, from the fixed palette below
    std::vector<point> points;
    bool dashed = false;    // second cue besides the color, for color-blind readers
    bool secondary = false; // drawn against the right-hand axis (e.g. errors/s beside req/s)
};

enum class x_scale
{
    linear,
    percentile // x given as a percentile 0..100, drawn as -log10(1 - q/100): 0, 90, 99, 99.9, ...
};

struct line_chart
{
    std::string title;   // shown above the chart and as the accessible name
    std::string x_label; // axis title, with its unit
    std::string y_label;
    std::string x_unit; // appended to tick labels ("s", "ms"); empty for none
    std::string y_unit;
    x_scale scale = x_scale::linear;
    std::vector<series> lines;
    std::string y2_label = {}; // right-hand axis, used by `secondary` series
    std::string y2_unit = {};
};

struct interval_bar
{
    std::string label; // category under the bar
    double value = 0;
    double low = 0; // the interval; drawn only when has_interval
    double high = 0;
    bool has_interval = false;
};

struct bar_chart
{
    std::string title;
    std::string y_label;
    std::string y_unit;
    std::string color;
    std::vector<interval_bar> bars;
};

// Okabe-Ito palette: distinguishable with the common color-vision deficiencies.
inline constexpr const char* color_proxy = "#0072B2";  // blue
inline constexpr const char* color_direct = "#D55E00"; // vermillion
inline constexpr const char* color_p99 = "#009E73";    // bluish green
inline constexpr const char* color_extra = "#CC79A7";  // reddish purple
inline constexpr const char* color_errors = "#E69F00"; // orange

// Position of percentile q (0..100) on the log axis; clamped to 99.9999.
double percentile_position(double q);

// "Nice" ticks covering [lo, hi]: steps of 1, 2 or 5 x 10^k, about `target` of them.
std::vector<double> nice_ticks(double lo, double hi, int target = 5);

std::string render(const line_chart& chart);
std::string render(const bar_chart& chart);

} // namespace loadgen::svg
