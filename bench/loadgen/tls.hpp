// TLS for bench's client: one OpenSSL client context per HTTPS target (verification against the
// system store plus -ca-file), per-connection SNI and host name check, a readable description of
// handshake failures, and the reachability probe's handshake. OpenSSL headers stay in tls.cpp.
#pragma once

#include "common/net.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <variant>

struct ssl_st; // OpenSSL's SSL

namespace boost::asio::ssl {
class context;
}

namespace loadgen {

// What every connection to one HTTPS target shares. Immutable once made, so the worker threads
// share it: OpenSSL contexts may create connections from several threads at once.
class tls_client
{
public:
    tls_client(std::unique_ptr<net::ssl::context> ctx, std::string host);
    ~tls_client();
    tls_client(const tls_client&) = delete;
    tls_client& operator=(const tls_client&) = delete;

    net::ssl::context& context() const { return *ctx_; }
    const std::string& host() const { return host_; }

    // Sets up a fresh connection's SSL object: SNI (host names only, never IP literals, as RFC 6066
    // says) and the check that the certificate names this host (or this IP address). False on failure.
    bool prepare(ssl_st* ssl) const;

private:
    std::unique_ptr<net::ssl::context> ctx_;
    std::string host_;
};

// A client context that verifies peers against the system store (SSL_CERT_FILE and SSL_CERT_DIR
// are honoured by OpenSSL) and, when `ca_file` is not empty, also against the PEM certificates in
// it. Returns the reason on failure (unreadable or not PEM).
std::variant<std::shared_ptr<const tls_client>, std::string> make_tls_client(const std::string& host,
                                                                             const std::string& ca_file);

// One line about a failed handshake: the certificate verification result when that is what
// failed ("certificate verify failed: hostname mismatch"), else the error's message.
std::string describe_handshake_error(ssl_st* ssl, const boost::system::error_code& ec);

// Connects within `timeout` and, when `tls` is given, completes a TLS handshake in the same
// time: "" on success, else the reason; `connected` says whether the TCP connection was made
// (then the handshake is what failed).
std::string probe_connection(const net::ip::tcp::endpoint& ep, const tls_client* tls,
                             std::chrono::milliseconds timeout, bool& connected);

} // namespace loadgen
