// The `-report FILE.html` page: one self-contained HTML document (inline CSS and SVG, no script,
// no external resource) built from a whole results.json object.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>

namespace loadgen {

// Pure: no I/O. Accepts any JSON; missing or null fields are shown as absent ("n/a" or a note
// saying why a chart is missing). Every string taken from `results` is HTML-escaped.
std::string render_html_report(const nlohmann::json& results);

} // namespace loadgen
