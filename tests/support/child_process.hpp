// Test support: starts one of the project's programs as a child process, waits for the
// "listening <name> <addr>:<port>" lines it prints on stdout once bound (port 0 in tests),
// and kills it at the end of the test whatever happens.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <sys/types.h>
#include <utility>
#include <vector>

namespace test_support {

class child_process
{
public:
    // Starts `exe` with `args`; `env` entries are added to (or replace) the inherited environment.
    // Throws std::runtime_error when the program cannot be started. When `stderr_path` is given,
    // the child's stderr goes to that file (created or truncated) instead of the test's stderr.
    child_process(const std::string& exe, const std::vector<std::string>& args,
                  const std::vector<std::pair<std::string, std::string>>& env = {},
                  const std::string& stderr_path = {});
    child_process(child_process&& other) noexcept;
    child_process& operator=(child_process&&) = delete;
    child_process(const child_process&) = delete;
    ~child_process(); // SIGKILL and reap if still running

    // Reads stdout lines until "listening <name> ..." appears; returns its port. Throws on
    // timeout or when the child exits first (its stdout so far is in the message).
    std::uint16_t wait_listening(const std::string& name,
                                 std::chrono::milliseconds timeout = std::chrono::seconds(10));

    // Reads stdout lines until one starts with `prefix`; returns it. Throws on timeout or EOF.
    std::string wait_line(const std::string& prefix, std::chrono::milliseconds timeout);

    void send_signal(int sig);
    // Exit code, 128+signal when killed, or -1 when still running after `timeout`.
    int wait_exit(std::chrono::milliseconds timeout);
    // Everything read from stdout so far (and the rest, once the child has exited).
    std::string stdout_text();
    pid_t pid() const { return pid_; }

private:
    bool read_line(std::string& line, std::chrono::steady_clock::time_point deadline);

    pid_t pid_ = -1;
    int stdout_fd_ = -1;
    std::string buffer_;  // unread stdout bytes
    std::string history_; // every stdout byte read so far
    int exit_code_ = -1;
};

// Path of a built program, from the compile definitions the tests get (see tests/CMakeLists.txt).
std::string program_path(const std::string& name);

} // namespace test_support
