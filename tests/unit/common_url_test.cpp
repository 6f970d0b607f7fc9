// Unit tests: base URL parsing and path joining.
#include "common/url.hpp"

#include <catch2/catch.hpp>

TEST_CASE("base URLs", "[unit][url]")
{
    auto u = common::parse_url("https://openrouter.ai/api/v1");
    REQUIRE(u);
    CHECK(u->scheme == "https");
    CHECK(u->tls());
    CHECK(u->host == "openrouter.ai");
    CHECK(u->port == 443);
    CHECK(u->base_path == "/api/v1");
    CHECK(u->host_header() == "openrouter.ai");

    u = common::parse_url("http://127.0.0.1:3039/v1/");
    REQUIRE(u);
    CHECK(u->port == 3039);
    CHECK(u->base_path == "/v1");
    CHECK(u->host_header() == "127.0.0.1:3039");
    CHECK(u->to_string() == "http://127.0.0.1:3039/v1");

    u = common::parse_url("HTTP://[::1]:8000");
    REQUIRE(u);
    CHECK(u->host == "::1");
    CHECK(u->base_path.empty());
    CHECK(u->host_header() == "[::1]:8000");
}

TEST_CASE("bad base URLs", "[unit][url]")
{
    for (auto bad : {"", "127.0.0.1:3039", "ftp://x/", "http://", "http://:80/", "http://h:0/",
                     "http://h:70000/", "http://user@h/", "http://h/v1?x=1", "http://h/v1#f", "http://[::1/",
                     "http://h:8x/", "http://h o/"})
        CHECK_FALSE(common::parse_url(bad).has_value());
}

TEST_CASE("joining client paths onto a base", "[unit][url]")
{
    CHECK(common::join_path("/api/v1", "/chat/completions") == "/api/v1/chat/completions");
    CHECK(common::join_path("/v1", "/models?limit=2") == "/v1/models?limit=2");
    CHECK(common::join_path("", "/chat/completions") == "/chat/completions");
    CHECK(common::join_path("", "") == "/");
    CHECK(common::join_path("", "?a=1") == "/?a=1");
    CHECK(common::join_path("/v1", "") == "/v1");
}
