// HTML report: the section of one provider (charts, stream figures, status counts, config).
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>

namespace loadgen::report_detail {

// `name` is the results.json key (escaped here); `anchor` is a safe id for in-page links.
std::string provider_section(const std::string& name, const nlohmann::json& result,
                             const std::string& anchor);

} // namespace loadgen::report_detail
