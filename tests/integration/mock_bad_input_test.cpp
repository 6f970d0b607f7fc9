// mock-llm integration: bad input gets OpenAI's status and error shape, and a bad client never
// stalls another.
#include "tests/integration/mock_fixture.hpp"

#include <arpa/inet.h>
#include <catch2/catch.hpp>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace mock_test;
using nlohmann::json;

namespace {

// A client that sends some bytes and then just sits there (raw socket, closed at scope end).
struct idle_client
{
    idle_client(std::uint16_t port, const std::string& bytes)
    {
        fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(port);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
        REQUIRE(::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size()));
    }
    ~idle_client() { ::close(fd); }
    idle_client(const idle_client&) = delete;
    idle_client& operator=(const idle_client&) = delete;
    int fd = -1;
};

void check_error(const test_support::http_reply& r, unsigned status)
{
    CHECK(r.status == status);
    CHECK(r.header("content-type") == "application/json");
    auto j = json::parse(r.body);
    REQUIRE(j.contains("error"));
    CHECK(j["error"]["message"].is_string());
    CHECK(j["error"]["type"].is_string());
    CHECK(j["error"].contains("param"));
    CHECK(j["error"].contains("code"));
}

} // namespace

TEST_CASE("mock bad JSON bodies get 400", "[integration]")
{
    mock_server m;
    auto r = m.post("/v1/chat/completions", "this is not json");
    check_error(r, 400);
    CHECK(json::parse(r.body)["error"]["type"] == "invalid_request_error");
    r = m.post("/v1/chat/completions", R"({"model":"gpt-4o"})");
    check_error(r, 400);
    CHECK(json::parse(r.body)["error"]["param"] == "messages");
    check_error(m.post("/v1/chat/completions", R"({"messages":"x"})"), 400);
    check_error(m.post("/v1/embeddings", R"({"model":"e"})"), 400);
    check_error(m.post("/v1/chat/completions", chat_body, {{"x-mock-latency", "soon"}}), 400);
    check_error(m.post("/v1/chat/completions", chat_body, {{"x-mock-fail", "teapot"}}), 400);
}

TEST_CASE("mock unknown route 404, wrong method 405", "[integration]")
{
    mock_server m;
    auto r = m.post("/v1/chat/complete", chat_body);
    check_error(r, 404);
    CHECK(json::parse(r.body)["error"]["message"] == "Invalid URL (POST /v1/chat/complete)");
    check_error(m.get("/v2/models"), 404);
    check_error(m.get("/v1/chat/completions"), 405);
    check_error(m.post("/v1/models", "{}"), 405);
    check_error(m.post("/healthz", "{}"), 405);
}

TEST_CASE("mock oversized body gets 413 and the connection closes", "[integration]")
{
    mock_server m({"--max-body", "1k"});
    auto r = m.post("/v1/chat/completions", std::string(2000, ' ') + chat_body);
    check_error(r, 413);
    CHECK_FALSE(r.keep_alive);
    // Chunked body over the limit (no Content-Length to refuse upfront).
    std::string raw = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
    raw += "800\r\n" + std::string(0x800, ' ') + "\r\n0\r\n\r\n";
    auto reply = test_support::raw_request(m.port, raw);
    CHECK(reply.rfind("HTTP/1.1 413", 0) == 0);
    // Expect: 100-continue with an announced oversized body: 413 at once, no 100.
    reply = test_support::raw_request(m.port, "POST /v1/chat/completions HTTP/1.1\r\nHost: "
                                              "x\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n");
    CHECK(reply.rfind("HTTP/1.1 413", 0) == 0);
    // Under the limit, Expect: 100-continue gets its 100 first.
    test_support::http_connection c(m.port);
    reply = c.raw_exchange("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                               std::to_string(chat_body.size()) + "\r\nExpect: 100-continue\r\n\r\n",
                           300ms);
    CHECK(reply == "HTTP/1.1 100 Continue\r\n\r\n");
}

TEST_CASE("mock malformed HTTP gets 400 and a close", "[integration]")
{
    mock_server m;
    for (std::string bad :
         {"GARBAGE\r\n\r\n", "GET / HTTP/9.9\r\n\r\n", "GET /v1/models HTTP/1.1\r\nBad Header\r\n\r\n",
          "POST /v1/chat/completions HTTP/1.1\r\nContent-Length: nope\r\n\r\n"}) {
        INFO(bad);
        auto reply = test_support::raw_request(m.port, bad);
        REQUIRE(reply.rfind("HTTP/1.1 400", 0) == 0);
        CHECK(reply.find("Connection: close") != std::string::npos);
        auto body = reply.substr(reply.find("\r\n\r\n") + 4);
        CHECK(json::parse(body)["error"]["type"] == "invalid_request_error");
    }
    // A header section over 64 KiB.
    auto reply = test_support::raw_request(
        m.port, "GET /v1/models HTTP/1.1\r\nX-Big: " + std::string(70000, 'a') + "\r\n\r\n");
    CHECK(reply.rfind("HTTP/1.1 431", 0) == 0);
    CHECK(m.get("/healthz").status == 200);
}

TEST_CASE("mock: a slow or broken client does not stall another", "[integration]")
{
    mock_server m;
    // Half a request header, never finished; a hanging request; a slow stream.
    idle_client half(m.port, "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Le");
    idle_client body_pending(m.port,
                             "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{");
    idle_client hung(
        m.port, "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nx-mock-fail: hang\r\nContent-Length: " +
                    std::to_string(chat_body.size()) + "\r\n\r\n" + chat_body);
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 10; ++i)
        REQUIRE(m.post("/v1/chat/completions", chat_body).status == 200);
    CHECK(std::chrono::steady_clock::now() - start < 1s);
    CHECK(m.stats()["open_connections"] == 4); // the three above and this one
}
