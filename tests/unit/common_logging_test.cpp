// common/logging: the names of the levels, and error lines made safe for a terminal.
#include "common/logging.hpp"

#include <catch2/catch.hpp>

TEST_CASE("log levels: the six names", "[unit][common]")
{
    for (const char* l : {"trace", "debug", "info", "warn", "error", "off"})
        CHECK(common::valid_log_level(l));
    CHECK_FALSE(common::valid_log_level("INFO"));
    CHECK_FALSE(common::valid_log_level(""));
}

TEST_CASE("printable_line: control bytes and DEL escaped, everything else kept", "[unit][common]")
{
    CHECK(common::printable_line("--port 'x': not a port") == "--port 'x': not a port");
    CHECK(common::printable_line("a\nb\r\tc") == "a\\x0ab\\x0d\\x09c");
    CHECK(common::printable_line("\x1b[31mred") == "\\x1b[31mred"); // no terminal escape gets through
    CHECK(common::printable_line(std::string("nul\0end", 7)) == "nul\\x00end");
    CHECK(common::printable_line("\x7f") == "\\x7f");
    CHECK(common::printable_line("caf\xc3\xa9") == "caf\xc3\xa9"); // UTF-8 stays as it is
}
