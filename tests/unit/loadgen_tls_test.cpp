// Unit tests: HTTPS targets in bench's resolution (scheme, default port, Host header, TLS client
// made only for https) and the -ca-file flag. No I/O beyond reading a CA file.
#include "bench/loadgen/config.hpp"
#include "bench/loadgen/targets.hpp"
#include "bench/loadgen/tls.hpp"

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <unistd.h>

using loadgen::config;
using loadgen::resolved_run;

namespace {

config parsed(std::vector<std::string> args)
{
    auto r = loadgen::parse_args(args);
    if (auto* e = std::get_if<std::string>(&r))
        FAIL("unexpected error: " << *e);
    return std::get<config>(r);
}

resolved_run resolved(const config& c, const common::env_lookup& env, const std::string& provider)
{
    auto r = loadgen::resolve_run(c, env, provider, "hello");
    if (auto* e = std::get_if<std::string>(&r))
        FAIL("unexpected error: " << *e);
    return std::get<resolved_run>(std::move(r));
}

std::string request_of(const loadgen::target_endpoint& t)
{
    std::string out;
    t.builder->build(0, 0, out);
    return out;
}

} // namespace

TEST_CASE("ca-file flag in each style and an empty value rejected", "[unit][loadgen][tls]")
{
    CHECK(parsed({"-ca-file", "/x/ca.pem"}).ca_file == "/x/ca.pem");
    CHECK(parsed({"--ca-file=/x/ca.pem"}).ca_file == "/x/ca.pem");
    CHECK(parsed({}).ca_file.empty());
    auto r = loadgen::parse_args({"-ca-file="});
    REQUIRE(std::holds_alternative<std::string>(r));
    CHECK(std::get<std::string>(r).starts_with("-ca-file"));
}

TEST_CASE("https -url: port 443 by default, Host without it, a TLS client for the URL's host",
          "[unit][loadgen][tls]")
{
    common::env_lookup env;
    auto r = resolved(parsed({"-url", "https://127.0.0.1/v1/chat/completions"}), env, "");
    REQUIRE(r.targets.size() == 1);
    const auto& t = r.targets[0];
    CHECK(t.endpoint.port() == 443);
    CHECK(r.ports[0] == 443);
    REQUIRE(t.tls);
    CHECK(t.tls->host() == "127.0.0.1");
    CHECK(t.url == "https://127.0.0.1/v1/chat/completions");
    CHECK(request_of(t).find("\r\nHost: 127.0.0.1\r\n") != std::string::npos);

    auto e = resolved(parsed({"-url", "https://127.0.0.1:8443/v1/chat/completions"}), env, "");
    CHECK(e.targets[0].endpoint.port() == 8443);
    CHECK(request_of(e.targets[0]).find("\r\nHost: 127.0.0.1:8443\r\n") != std::string::npos);

    auto p = resolved(parsed({"-url", "http://127.0.0.1/v1/chat/completions"}), env, "");
    CHECK(p.targets[0].endpoint.port() == 80);
    CHECK_FALSE(p.targets[0].tls);
}

TEST_CASE("direct auto with an https upstream: direct target over TLS with the provider's headers",
          "[unit][loadgen][tls]")
{
    common::env_lookup env;
    env.set_override("OPENROUTER_PORT", "3001");
    env.set_override("OPENROUTER_UPSTREAM", "https://[::1]:9443/api/v1");
    env.set_override("OPENROUTER_API_KEY", "sk-unit");
    auto r = resolved(parsed({"-provider", "openrouter"}), env, "openrouter");
    REQUIRE(r.targets.size() == 2);
    CHECK_FALSE(r.targets[0].tls); // the proxy listens on plain HTTP
    const auto& d = r.targets[1];
    REQUIRE(d.tls);
    CHECK(d.tls->host() == "::1");
    CHECK(d.endpoint.port() == 9443);
    CHECK(d.url == "https://[::1]:9443/api/v1/chat/completions");
    auto req = request_of(d);
    CHECK(req.starts_with("POST /api/v1/chat/completions HTTP/1.1\r\n"));
    CHECK(req.find("\r\nAuthorization: Bearer sk-unit\r\n") != std::string::npos);
}

TEST_CASE("a CA file that is not PEM is an error naming -ca-file", "[unit][loadgen][tls]")
{
    auto path = "/tmp/lgb_unit_ca_" + std::to_string(getpid()) + ".pem";
    std::ofstream(path) << "not a certificate\n";
    auto t = loadgen::make_tls_client("127.0.0.1", path);
    REQUIRE(std::holds_alternative<std::string>(t));
    CHECK(std::get<std::string>(t).starts_with("-ca-file: cannot load CA certificates from " + path));
    std::remove(path.c_str());
    CHECK(std::holds_alternative<std::shared_ptr<const loadgen::tls_client>>(
        loadgen::make_tls_client("example.org", "")));
    common::env_lookup env;
    auto c = parsed({"-url", "https://127.0.0.1/v1/chat/completions", "-ca-file", path});
    auto r = loadgen::resolve_run(c, env, "", "hello");
    REQUIRE(std::holds_alternative<std::string>(r));
    CHECK(std::get<std::string>(r).find("-ca-file") != std::string::npos);
}
