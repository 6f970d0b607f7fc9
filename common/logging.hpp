// Logging setup, done once in each program's main. spdlog writes to stderr so that stdout
// stays free for machine-readable output (the "listening" lines, bench's JSON).
#pragma once

#include <exception>
#include <string>
#include <string_view>

namespace common {

// Levels: trace, debug, info, warn, error, off. Returns false for an unknown level.
bool valid_log_level(std::string_view level);

// Sets the default logger's level and pattern; `program` prefixes each line.
void setup_logging(std::string_view program, std::string_view level);

// `text` made safe for one line on a terminal: control bytes (a line break, an escape sequence
// from a value in a config file or on the command line) and DEL written as \xNN.
std::string printable_line(std::string_view text);

// Completion handler for co_spawn: logs what escaped a coroutine (a bug: peers' I/O errors are
// values, not exceptions) at error level; only that coroutine ends.
void log_coroutine_exception(const std::exception_ptr& e);

} // namespace common
