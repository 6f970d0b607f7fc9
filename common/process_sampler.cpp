// /proc readers and the sampling thread.
#include "common/process_sampler.hpp"

#include "common/process_census.hpp"

#include <algorithm>
#include <dirent.h>
#include <fstream>
#include <sstream>
#include <string_view>
#include <unistd.h>
#include <vector>

namespace common {
namespace {

// Inodes of listening sockets on `port` in one /proc/net/tcp-style file.
void listening_inodes(const char* path, std::uint16_t port, std::vector<std::string>& out)
{
    std::ifstream in(path);
    std::string line;
    std::getline(in, line); // header
    while (std::getline(in, line)) {
        std::istringstream s(line);
        std::string sl, local, remote, state, queues, timer, retr, uid, timeout, inode;
        if (!(s >> sl >> local >> remote >> state >> queues >> timer >> retr >> uid >> timeout >> inode))
            continue;
        if (state != "0A") // TCP_LISTEN
            continue;
        auto colon = local.rfind(':');
        if (colon == std::string::npos)
            continue;
        if (std::stoul(local.substr(colon + 1), nullptr, 16) == port)
            out.push_back(inode);
    }
}

// True when one of pid's descriptors is "socket:[inode]" for an inode of `targets`.
bool holds_socket(const std::string& pid, const std::vector<std::string>& targets)
{
    std::string dir = "/proc/" + pid + "/fd";
    DIR* d = opendir(dir.c_str());
    if (!d)
        return false;
    bool found = false;
    while (auto* e = readdir(d)) {
        char link[128];
        std::string p = dir + "/" + e->d_name;
        auto n = readlink(p.c_str(), link, sizeof link - 1);
        if (n <= 0)
            continue;
        std::string_view l(link, static_cast<std::size_t>(n));
        if (!l.starts_with("socket:["))
            continue;
        l.remove_prefix(8);
        l.remove_suffix(1);
        if (std::find(targets.begin(), targets.end(), l) != targets.end()) {
            found = true;
            break;
        }
    }
    closedir(d);
    return found;
}

} // namespace

std::vector<pid_t> find_listening_pids(std::uint16_t port)
{
    std::vector<std::string> inodes;
    listening_inodes("/proc/net/tcp", port, inodes);
    listening_inodes("/proc/net/tcp6", port, inodes);
    std::erase(inodes, "0");
    std::vector<pid_t> pids;
    if (inodes.empty())
        return pids;
    for (auto pid : list_pids()) // sorted, so the result is too
        if (holds_socket(std::to_string(pid), inodes))
            pids.push_back(pid);
    return pids;
}

process_reading read_process(pid_t pid)
{
    process_reading r;
    auto p = read_process_stat(pid);
    if (!p)
        return r;
    r.cpu_ticks = p->cpu_ticks;
    r.rss_bytes = p->rss_pages * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
    r.ok = true;
    return r;
}

process_sampler::process_sampler(std::vector<pid_t> pids, std::chrono::milliseconds interval)
    : pids_(std::move(pids)), interval_(interval)
{
    usage_.pid = pids_.empty() ? 0 : pids_.front();
    usage_.processes = pids_.size();
}

process_sampler::~process_sampler()
{
    stop();
}

void process_sampler::start()
{
    take_sample();
    thread_ = std::thread([this] { loop(); });
}

void process_sampler::stop()
{
    if (!thread_.joinable())
        return;
    stop_ = true;
    thread_.join();
    take_sample();
}

void process_sampler::loop()
{
    auto next = std::chrono::steady_clock::now() + interval_;
    while (!stop_) {
        // Short sleeps so that stop() returns quickly.
        auto left = next - std::chrono::steady_clock::now();
        if (left > std::chrono::steady_clock::duration::zero())
            std::this_thread::sleep_for(
                std::min<std::chrono::steady_clock::duration>(left, std::chrono::milliseconds(20)));
        if (std::chrono::steady_clock::now() >= next) {
            take_sample();
            next += interval_;
        }
    }
}

void process_sampler::take_sample()
{
    process_reading r;
    for (auto pid : pids_) {
        auto one = read_process(pid);
        r.ok = r.ok || one.ok;
        r.rss_bytes += one.rss_bytes;
        r.cpu_ticks += one.cpu_ticks;
    }
    auto now = std::chrono::steady_clock::now();
    if (!r.ok)
        return;
    static const double ticks_per_s = static_cast<double>(sysconf(_SC_CLK_TCK));
    std::lock_guard lock(mutex_);
    double mb = static_cast<double>(r.rss_bytes) / (1024.0 * 1024.0);
    usage_.peak_rss_mb = std::max(usage_.peak_rss_mb, mb);
    rss_sum_mb_ += mb;
    if (usage_.samples == 0) {
        first_ticks_ = r.cpu_ticks;
        first_at_ = now;
    } else {
        double dt = std::chrono::duration<double>(now - last_at_).count();
        if (dt > 0.05) {
            double pct = static_cast<double>(r.cpu_ticks - last_ticks_) / ticks_per_s / dt * 100.0;
            usage_.cpu_percent_peak = std::max(usage_.cpu_percent_peak, pct);
        }
        double total = std::chrono::duration<double>(now - first_at_).count();
        if (total > 0)
            usage_.cpu_percent_avg =
                static_cast<double>(r.cpu_ticks - first_ticks_) / ticks_per_s / total * 100.0;
    }
    last_ticks_ = r.cpu_ticks;
    last_at_ = now;
    ++usage_.samples;
    usage_.avg_rss_mb = rss_sum_mb_ / static_cast<double>(usage_.samples);
}

process_usage process_sampler::summary() const
{
    std::lock_guard lock(mutex_);
    return usage_;
}

} // namespace common
