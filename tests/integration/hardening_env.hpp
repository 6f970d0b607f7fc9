// Shared fixture of the proxy hardening tests: mock-llm and a proxy (one bifrost listener, one
// worker thread) in front of it, both on port 0, plus checks on the proxy's error replies.
#pragma once

#include "tests/integration/raw_peer.hpp"
#include "tests/support/child_process.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace hardening {

// Starts the proxy with `extra` flags in front of `upstream_url`, or of a fresh mock-llm when empty.
class env
{
public:
    explicit env(std::vector<std::string> extra = {}, std::string upstream_url = {});
    std::uint16_t port() const { return port_; }
    std::uint16_t mock_port() const { return mock_port_; }
    pid_t proxy_pid() const { return proxy_->pid(); }
    // Requests mock-llm has answered, not counting its /stats route (which this reads).
    std::uint64_t upstream_requests() const;

private:
    std::optional<test_support::child_process> mock_;
    std::optional<test_support::child_process> proxy_;
    std::uint16_t mock_port_ = 0;
    std::uint16_t port_ = 0;
};

// The proxy's own error reply: `status`, an OpenAI-shaped JSON body (error.message, error.type,
// error.code), the headers every proxy reply carries, and Connection: close. The reply to a
// `head_request` has the same head and no body.
void check_openai_error(const raw_peer::response& r, unsigned status, bool head_request = false);

// Resident set size of a process, in KiB (VmRSS of /proc/PID/status).
std::uint64_t rss_kib(pid_t pid);
// Peak resident set size since the start or the last reset_peak_rss (VmHWM), in KiB.
std::uint64_t peak_rss_kib(pid_t pid);
// Resets the peak to the current RSS (writes 5 to /proc/PID/clear_refs, Linux >= 4.0).
void reset_peak_rss(pid_t pid);

} // namespace hardening
