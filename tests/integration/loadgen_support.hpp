// Helpers for bench's integration tests: start mock-llm on port 0, run bench to completion with
// its stdout and stderr captured, read the results file.
#pragma once

#include "tests/support/child_process.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <string>
#include <unistd.h>
#include <vector>

namespace loadgen_test {

struct mock_server
{
    test_support::child_process proc;
    std::uint16_t port;
};

inline mock_server start_mock(std::vector<std::string> args = {})
{
    args.insert(args.begin(), {"--port", "0", "--log-level", "warn"});
    test_support::child_process p(test_support::program_path("mock-llm"), args);
    auto port = p.wait_listening("mock");
    return {std::move(p), port};
}

struct bench_run
{
    int exit_code;
    std::string output; // stdout and stderr together
};

// Runs bench with a hard time limit; env entries are added to its environment.
inline bench_run run_bench(const std::vector<std::string>& args,
                           const std::vector<std::pair<std::string, std::string>>& env = {},
                           std::chrono::milliseconds limit = std::chrono::seconds(20))
{
    std::vector<std::string> sh = {"-c", "exec \"$0\" \"$@\" 2>&1", test_support::program_path("bench")};
    sh.insert(sh.end(), args.begin(), args.end());
    test_support::child_process p("/bin/sh", sh, env);
    int code = p.wait_exit(limit);
    return {code, p.stdout_text()};
}

// A fresh path under /tmp for this test process.
inline std::string temp_file(const std::string& name)
{
    return "/tmp/lgb_it_" + std::to_string(getpid()) + "_" + name;
}

inline nlohmann::json read_json(const std::string& path)
{
    std::ifstream in(path);
    if (!in)
        return nullptr;
    return nlohmann::json::parse(in, nullptr, false);
}

} // namespace loadgen_test
