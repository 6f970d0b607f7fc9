// mock-llm: a fast mock OpenAI-compatible provider. main parses the configuration, sets up
// logging, starts the workers, prints the listening line and waits for SIGINT/SIGTERM.
#include "bench/mock/config.hpp"
#include "bench/mock/server.hpp"
#include "common/dotenv.hpp"
#include "common/logging.hpp"
#include "common/net.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <cstdio>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

int main(int argc, char** argv)
{
    std::vector<std::string> args(argv + 1, argv + argc);
    std::string env_error;
    auto env = common::env_lookup::from_file(mock::env_file_from_args(args), env_error);
    if (!env_error.empty()) {
        fmt::print(stderr, "mock-llm: {}\n", common::printable_line(env_error));
        return 2;
    }
    auto parsed = mock::parse_args(args, env);
    if (!parsed.config) {
        fmt::print(stderr, "mock-llm: {}\n", common::printable_line(parsed.error));
        return 2;
    }
    const auto& cfg = *parsed.config;
    if (cfg.help) {
        fmt::print("{}", mock::usage());
        return 0;
    }
    common::setup_logging("mock", cfg.log_level);
    try {
        mock::server srv(cfg);
        net::io_context main_ioc;
        net::signal_set signals(main_ioc, SIGINT, SIGTERM);
        signals.async_wait([&srv](const boost::system::error_code&, int) { srv.stop(); });
        srv.start();
        spdlog::info("config: {}", mock::describe(cfg));
        fmt::print("listening mock {}:{}\n", srv.address(), srv.port());
        std::fflush(stdout);
        main_ioc.run();
        srv.join();
    } catch (const std::exception& e) {
        spdlog::error("{}", e.what());
        return 1;
    }
    return 0;
}
