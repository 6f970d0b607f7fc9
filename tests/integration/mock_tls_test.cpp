// mock-llm integration: --tls-cert/--tls-key serve HTTPS (self-signed certificate made here).
#include "common/net.hpp"
#include "tests/integration/mock_fixture.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <sys/socket.h>
#include <sys/time.h>

using namespace mock_test;

namespace {

// Sends `request` over TLS (no verification: the certificate is self-signed) and returns all
// bytes until the server closes. Socket timeouts bound every blocking call.
std::string tls_exchange(std::uint16_t port, const std::string& request)
{
    net::io_context ioc;
    net::ssl::context ctx(net::ssl::context::tls_client);
    ctx.set_verify_mode(net::ssl::verify_none);
    net::ssl::stream<net::ip::tcp::socket> s(ioc, ctx);
    s.next_layer().connect({net::ip::make_address("127.0.0.1"), port});
    timeval tv{5, 0};
    ::setsockopt(s.next_layer().native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    s.handshake(net::ssl::stream_base::client);
    net::write(s, net::buffer(request));
    std::string out;
    char buf[4096];
    boost::system::error_code ec;
    for (;;) {
        auto n = s.read_some(net::buffer(buf), ec);
        out.append(buf, n);
        if (ec)
            break;
    }
    return out;
}

} // namespace

TEST_CASE("mock serves HTTPS with --tls-cert and --tls-key", "[integration]")
{
    auto dir = std::filesystem::temp_directory_path() / ("mock-tls-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    auto cert = (dir / "cert.pem").string();
    auto key = (dir / "key.pem").string();
    std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -keyout " + key +
                      " -out " + cert + " >/dev/null 2>&1";
    if (std::system(cmd.c_str()) != 0) {
        WARN("openssl command line tool missing: TLS test not run");
        return;
    }
    {
        mock_server m({"--tls-cert", cert, "--tls-key", key});
        auto reply =
            tls_exchange(m.port, "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
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
