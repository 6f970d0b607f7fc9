// spdlog setup.
#include "common/logging.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace common {

bool valid_log_level(std::string_view level)
{
    for (auto l : {"trace", "debug", "info", "warn", "error", "off"})
        if (level == l)
            return true;
    return false;
}

std::string printable_line(std::string_view text)
{
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(text.size());
    for (char ch : text) {
        auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c == 0x7f) {
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 15];
        } else {
            out += ch;
        }
    }
    return out;
}

void setup_logging(std::string_view program, std::string_view level)
{
    auto logger = spdlog::stderr_color_mt(std::string(program));
    spdlog::set_default_logger(logger);
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ [%n] %v");
    spdlog::set_level(spdlog::level::from_str(std::string(level)));
    spdlog::flush_on(spdlog::level::warn);
}

void log_coroutine_exception(const std::exception_ptr& e)
{
    if (!e)
        return;
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& ex) {
        spdlog::error("coroutine ended by an exception: {}", ex.what());
    } catch (...) {
        spdlog::error("coroutine ended by an unknown exception");
    }
}

} // namespace common
