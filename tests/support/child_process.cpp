// Child process control for integration tests.
#include "tests/support/child_process.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <stdexcept>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char** environ;

namespace test_support {

child_process::child_process(const std::string& exe, const std::vector<std::string>& args,
                             const std::vector<std::pair<std::string, std::string>>& env,
                             const std::string& stderr_path)
{
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0)
        throw std::runtime_error("pipe failed");
    std::vector<std::string> env_strings;
    for (char** e = environ; *e != nullptr; ++e) {
        std::string entry(*e);
        bool replaced = false;
        for (const auto& [k, v] : env)
            replaced = replaced || entry.rfind(k + "=", 0) == 0;
        if (!replaced)
            env_strings.push_back(entry);
    }
    for (const auto& [k, v] : env)
        env_strings.push_back(k + "=" + v);

    std::vector<char*> argv{const_cast<char*>(exe.c_str())};
    for (const auto& a : args)
        argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (auto& e : env_strings)
        envp.push_back(e.data());
    envp.push_back(nullptr);

    // fork + exec rather than posix_spawn so the child can ask to be killed when the test
    // process dies: a test that aborts (a sanitizer report, a fatal signal) must not leave
    // servers behind holding ctest's output pipe open, which would turn a failure into a hang.
    // Only async-signal-safe calls happen between fork and exec.
    if (::access(exe.c_str(), X_OK) != 0) {
        ::close(fds[0]);
        ::close(fds[1]);
        throw std::runtime_error("cannot start " + exe + ": not an executable file");
    }
    int err_fd = -1;
    if (!stderr_path.empty()) {
        err_fd = ::open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (err_fd < 0) {
            ::close(fds[0]);
            ::close(fds[1]);
            throw std::runtime_error("cannot open " + stderr_path + ": " + std::strerror(errno));
        }
    }
    const pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent)
            ::_exit(127); // the parent died before prctl took effect
        ::dup2(fds[1], STDOUT_FILENO);
        if (err_fd >= 0)
            ::dup2(err_fd, STDERR_FILENO);
        ::execve(exe.c_str(), argv.data(), envp.data());
        ::_exit(127);
    }
    const int fork_errno = errno;
    ::close(fds[1]);
    if (err_fd >= 0)
        ::close(err_fd);
    if (pid_ < 0) {
        ::close(fds[0]);
        throw std::runtime_error("cannot start " + exe + ": " + std::strerror(fork_errno));
    }
    stdout_fd_ = fds[0];
}

child_process::child_process(child_process&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), stdout_fd_(std::exchange(other.stdout_fd_, -1)),
      buffer_(std::move(other.buffer_)), history_(std::move(other.history_)), exit_code_(other.exit_code_)
{}

child_process::~child_process()
{
    if (pid_ > 0 && exit_code_ < 0) {
        ::kill(pid_, SIGKILL);
        int status = 0;
        ::waitpid(pid_, &status, 0);
    }
    if (stdout_fd_ >= 0)
        ::close(stdout_fd_);
}

bool child_process::read_line(std::string& line, std::chrono::steady_clock::time_point deadline)
{
    for (;;) {
        if (auto nl = buffer_.find('\n'); nl != std::string::npos) {
            line = buffer_.substr(0, nl);
            buffer_.erase(0, nl + 1);
            return true;
        }
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                                          std::chrono::steady_clock::now());
        if (left.count() <= 0 || stdout_fd_ < 0)
            return false;
        pollfd p{stdout_fd_, POLLIN, 0};
        int r = ::poll(&p, 1, static_cast<int>(left.count()));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        char chunk[4096];
        ssize_t n = ::read(stdout_fd_, chunk, sizeof chunk);
        if (n <= 0) {
            ::close(stdout_fd_);
            stdout_fd_ = -1;
            return false;
        }
        buffer_.append(chunk, static_cast<std::size_t>(n));
        history_.append(chunk, static_cast<std::size_t>(n));
    }
}

std::string child_process::wait_line(const std::string& prefix, std::chrono::milliseconds timeout)
{
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string line;
    while (read_line(line, deadline))
        if (line.rfind(prefix, 0) == 0)
            return line;
    throw std::runtime_error("no line starting with '" + prefix + "' from child; its stdout was:\n" +
                             history_);
}

std::uint16_t child_process::wait_listening(const std::string& name, std::chrono::milliseconds timeout)
{
    auto line = wait_line("listening " + name + " ", timeout);
    auto colon = line.rfind(':');
    return static_cast<std::uint16_t>(std::stoul(line.substr(colon + 1)));
}

void child_process::send_signal(int sig)
{
    if (pid_ > 0 && exit_code_ < 0)
        ::kill(pid_, sig);
}

int child_process::wait_exit(std::chrono::milliseconds timeout)
{
    if (exit_code_ >= 0)
        return exit_code_;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        int status = 0;
        pid_t r = ::waitpid(pid_, &status, WNOHANG);
        if (r == pid_) {
            exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            return exit_code_;
        }
        if (std::chrono::steady_clock::now() >= deadline)
            return -1;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

std::string child_process::stdout_text()
{
    std::string line;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(exit_code_ >= 0 ? 1000 : 0);
    while (read_line(line, deadline)) {
    }
    return history_;
}

std::string program_path(const std::string& name)
{
#ifdef LGB_BIN_DIR
    return std::string(LGB_BIN_DIR) + "/" + name;
#else
    return name;
#endif
}

} // namespace test_support
