// proxy: reverse proxy for LLM API gateways (SPEC.md, docs/PROXY.md). main parses the
// configuration, sets up logging, starts the workers and joins them.
#include "common/dotenv.hpp"
#include "common/logging.hpp"
#include "proxy/config.hpp"
#include "proxy/worker.hpp"

#include <csignal>
#include <cstdio>
#include <exception>
#include <spdlog/spdlog.h>

int main(int argc, char** argv)
{
    std::vector<std::string> args(argv + 1, argv + argc);
    std::string env_error;
    auto env = common::env_lookup::from_file(proxy::find_env_file(args), env_error);
    if (!env_error.empty()) {
        std::fprintf(stderr, "proxy: %s\n", common::printable_line(env_error).c_str());
        return 2;
    }
    auto parsed = proxy::parse_args(args, env);
    if (parsed.help) {
        std::fputs(proxy::usage().c_str(), stdout);
        return 0;
    }
    if (!parsed.cfg) {
        std::fprintf(stderr, "proxy: %s\n", common::printable_line(parsed.error).c_str());
        return 2;
    }
    const auto& cfg = *parsed.cfg;
    common::setup_logging("proxy", cfg.log_level);
    spdlog::info("config: {}", proxy::describe(cfg));
    std::signal(SIGPIPE, SIG_IGN);
    try {
        auto workers = proxy::make_workers(cfg);
        proxy::run_workers(workers);
    } catch (const std::exception& e) {
        spdlog::error("{}", e.what());
        return 1;
    }
    spdlog::info("stopped");
    return 0;
}
