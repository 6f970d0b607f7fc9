// A blocking TLS client for tests: raw bytes over one TLS connection to 127.0.0.1.
#pragma once

#include <cstdint>
#include <string>

namespace test_support {

// Sends `request` over TLS (no certificate verification: the tests make their own certificates)
// and returns every byte received until the server closes. A 5 s socket timeout bounds each
// blocking read.
std::string tls_raw_request(std::uint16_t port, const std::string& request);

} // namespace test_support
