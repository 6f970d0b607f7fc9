// mock-llm integration: --tls-cert/--tls-key serve HTTPS (self-signed certificate made here).
#include "tests/integration/mock_fixture.hpp"
#include "tests/support/tls_client.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <unistd.h>

using namespace mock_test;

TEST_CASE("mock serves HTTPS with --tls-cert and --tls-key", "[integration]")
{
    auto dir = std::filesystem::temp_directory_path() / ("mock-tls-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    auto cert = (dir / "cert.pem").string();
    auto key = (dir / "key.pem").string();
    std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -keyout " + key +
                      " -out " + cert + " >/dev/null 2>&1";
    if (std::system(cmd.c_str()) != 0) {
        FAIL("could not make the test certificates with the openssl command line tool "
             "(docker/install-deps.sh installs it)");
    }
    {
        mock_server m({"--tls-cert", cert, "--tls-key", key});
        auto reply = test_support::tls_raw_request(
            m.port, "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                    "Content-Length: " +
                        std::to_string(chat_body.size()) + "\r\n\r\n" + chat_body);
        CHECK(reply.rfind("HTTP/1.1 200 OK", 0) == 0);
        CHECK(reply.find("chat.completion") != std::string::npos);
        // Plain HTTP on the TLS port does not get an answer.
        CHECK(
            test_support::raw_request(m.port, "GET /healthz HTTP/1.1\r\n\r\n", 500ms).find("HTTP/1.1 200") ==
            std::string::npos);
    }
    test_support::child_process bad(test_support::program_path("mock-llm"),
                                    {"--port", "0", "--tls-cert", cert, "--tls-key", cert + ".missing"});
    CHECK(bad.wait_exit(5s) == 1);
    std::filesystem::remove_all(dir);
}
