// Unit tests: .env parsing and the environment-over-file lookup.
#include "common/dotenv.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>

using common::parse_dotenv;

TEST_CASE(".env lines, comments, quotes and export", "[unit][dotenv]")
{
    auto r = parse_dotenv("# a comment\n"
                          "\n"
                          "PLAIN=value\n"
                          "export EXPORTED=yes\n"
                          "  SPACED = padded  \n"
                          "SINGLE='a \\n # not a comment'\n"
                          "DOUBLE=\"line\\nbreak \\\"q\\\"\"\n"
                          "INLINE=abc # trailing comment\n"
                          "HASHED=abc#def\n"
                          "EMPTY=\n"
                          "CRLF=dos\r\n"
                          "URL=http://127.0.0.1:8000/v1?x=1\n"
                          "PLAIN=second wins\n");
    CHECK(r.errors.empty());
    CHECK(r.values["PLAIN"] == "second wins");
    CHECK(r.values["EXPORTED"] == "yes");
    CHECK(r.values["SINGLE"] == "a \\n # not a comment");
    CHECK(r.values["SPACED"] == "padded");
    CHECK(r.values["DOUBLE"] == "line\nbreak \"q\"");
    CHECK(r.values["INLINE"] == "abc");
    CHECK(r.values["HASHED"] == "abc#def");
    CHECK(r.values["EMPTY"].empty());
    CHECK(r.values["CRLF"] == "dos");
    CHECK(r.values["URL"] == "http://127.0.0.1:8000/v1?x=1");
}

TEST_CASE(".env bad lines are reported with their number, good ones kept", "[unit][dotenv]")
{
    auto r = parse_dotenv("GOOD=1\nno equals sign\n1BAD=x\nQUOTE='open\nALSO_GOOD=2\nTAIL=\"a\" junk\n");
    REQUIRE(r.errors.size() == 4);
    CHECK(r.errors[0].line == 2);
    CHECK(r.errors[1].line == 3);
    CHECK(r.errors[2].line == 4);
    CHECK(r.errors[2].message == "unterminated quote");
    CHECK(r.errors[3].line == 6);
    CHECK(r.values.at("GOOD") == "1");
    CHECK(r.values.at("ALSO_GOOD") == "2");
}

TEST_CASE("environment wins over the file, and empty means unset", "[unit][dotenv]")
{
    common::env_lookup env({{"LGB_TEST_A", "from-file"}, {"LGB_TEST_B", "file-b"}, {"LGB_TEST_EMPTY", ""}});
    ::setenv("LGB_TEST_A", "from-env", 1);
    CHECK(env.get("LGB_TEST_A") == "from-env");
    CHECK(env.get("LGB_TEST_B") == "file-b");
    CHECK_FALSE(env.get("LGB_TEST_EMPTY").has_value());
    CHECK_FALSE(env.get("LGB_TEST_NOT_THERE").has_value());
    CHECK(env.get_or("LGB_TEST_NOT_THERE", "dflt") == "dflt");
    env.set_override("LGB_TEST_A", "override");
    CHECK(env.get("LGB_TEST_A") == "override");
    ::unsetenv("LGB_TEST_A");
}

TEST_CASE(".env file loading", "[unit][dotenv]")
{
    auto dir = std::filesystem::temp_directory_path() / ("lgb-dotenv-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    std::string error;

    auto missing = common::env_lookup::from_file((dir / "absent.env").string(), error);
    CHECK(error.empty());
    CHECK_FALSE(missing.get("LGB_TEST_FILE_KEY").has_value());

    auto path = (dir / "good.env").string();
    std::ofstream(path) << "LGB_TEST_FILE_KEY=42\nbroken line\n";
    auto loaded = common::env_lookup::from_file(path, error);
    CHECK(loaded.get("LGB_TEST_FILE_KEY") == "42");
    CHECK(error.find("good.env:2") != std::string::npos);

    auto unreadable = common::env_lookup::from_file(dir.string(), error); // a directory
    CHECK_FALSE(error.empty());
    std::filesystem::remove_all(dir);
}
