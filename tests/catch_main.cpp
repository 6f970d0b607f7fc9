// The Catch2 main shared by all test executables.
//
// Two warnings are always on, so that a test cannot pass without testing anything:
//  - NoTests: a run whose name filter matches no case fails. ctest runs each case by name
//    (catch_discover_tests), and a ';' or an unbalanced '[' in a name breaks CMake's list handling:
//    eighteen cases once passed empty under ctest that way.
//  - NoAssertions: a case, or a section, that checks nothing fails.
// (Catch2 2.13 takes one --warn on the command line, so they are set here.)
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

int main(int argc, char* argv[])
{
    Catch::Session session;
    if (int rc = session.applyCommandLine(argc, argv); rc != 0)
        return rc;
    auto& config = session.configData();
    config.warnings = static_cast<Catch::WarnAbout::What>(config.warnings | Catch::WarnAbout::NoTests |
                                                          Catch::WarnAbout::NoAssertions);
    return session.run();
}
