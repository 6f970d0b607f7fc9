// SSE framing and line handling.
#include "common/sse.hpp"

namespace common {

std::string sse_data(std::string_view payload)
{
    std::string out;
    out.reserve(payload.size() + 8);
    out += "data: ";
    out += payload;
    out += "\n\n";
    return out;
}

bool sse_parser::end_line()
{
    // line_ is cleared on every exit path; views into it stay valid until then.
    struct clear_on_exit
    {
        std::string& s;
        ~clear_on_exit() { s.clear(); }
    } guard{line_};
    std::string_view line = line_;
    if (line.empty())
        return has_data_;
    if (line.front() == ':')
        return false;
    auto colon = line.find(':');
    std::string_view field = line.substr(0, colon);
    std::string_view value;
    if (colon != std::string_view::npos) {
        value = line.substr(colon + 1);
        if (!value.empty() && value.front() == ' ')
            value.remove_prefix(1);
    }
    if (field == "data") {
        if (has_data_)
            current_.data += '\n';
        current_.data += value;
        has_data_ = true;
    } else if (field == "event") {
        current_.event = std::string(value);
    } else if (field == "id") {
        current_.id = std::string(value);
    }
    return false;
}

} // namespace common
