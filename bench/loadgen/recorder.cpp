// Per-worker recording and the merge after join.
#include "bench/loadgen/recorder.hpp"

#include <algorithm>

namespace loadgen {
namespace {

std::uint64_t ns_between(clock::time_point a, clock::time_point b)
{
    return b > a ? static_cast<std::uint64_t>((b - a).count()) : 0;
}

} // namespace

void recorder::record(std::size_t t, const exchange_result& r, clock::time_point due,
                      clock::time_point measure_start, std::uint32_t window)
{
    if (due < measure_start)
        return; // warm-up
    auto& s = targets_[t];
    // Per-window figures only serve overhead mode (two targets): the bootstrap and each side's rate.
    window_stats* w = targets_.size() > 1 ? &s.windows[window] : nullptr;
    ++s.sent;
    if (w)
        ++w->sent;
    if (r.sent_at != clock::time_point{}) {
        auto at = (r.sent_at - measure_start).count();
        s.first_send_ns = s.first_send_ns < 0 ? at : std::min(s.first_send_ns, at);
        s.last_send_ns = std::max(s.last_send_ns, at);
        if (w) {
            w->first_send_ns = w->first_send_ns < 0 ? at : std::min(w->first_send_ns, at);
            w->last_send_ns = std::max(w->last_send_ns, at);
        }
    }
    auto sec = static_cast<std::size_t>((due - measure_start) / std::chrono::seconds(1));
    if (sec >= s.seconds.size())
        s.seconds.resize(sec + 1);
    if (r.drop != drop_reason::none) {
        ++s.drops[std::string(to_string(r.drop))];
        ++s.seconds[sec].errors;
        return;
    }
    ++s.status[r.status];
    if (r.status < 200 || r.status > 299) {
        // Timed apart so that the main figures stay those of successes: a fast 502 must not
        // make the latency look better, a slow 504 must still be visible.
        s.error_latency.record(ns_between(due, r.done_at));
        ++s.seconds[sec].errors;
        return;
    }
    ++s.ok;
    auto lat = ns_between(due, r.done_at);
    s.latency.record(lat);
    s.service.record(ns_between(r.sent_at, r.done_at));
    s.seconds[sec].latency.record(lat);
    if (w)
        w->latency.record(lat);
    if (r.events > 0) {
        auto ttft = ns_between(due, r.first_event_at);
        s.ttft.record(ttft);
        if (w)
            w->ttft.record(ttft);
        s.events += r.events;
        s.event_span_ns += ns_between(r.first_event_at, r.done_at);
    }
    if (r.server_timing_ms >= 0)
        s.server_timing.record(static_cast<std::uint64_t>(r.server_timing_ms * 1e6));
}

void target_stats::merge(const target_stats& o)
{
    latency.merge(o.latency);
    service.merge(o.service);
    ttft.merge(o.ttft);
    gap.merge(o.gap);
    server_timing.merge(o.server_timing);
    error_latency.merge(o.error_latency);
    events += o.events;
    event_span_ns += o.event_span_ns;
    sent += o.sent;
    ok += o.ok;
    late_sends += o.late_sends;
    if (o.first_send_ns >= 0)
        first_send_ns = first_send_ns < 0 ? o.first_send_ns : std::min(first_send_ns, o.first_send_ns);
    last_send_ns = std::max(last_send_ns, o.last_send_ns);
    for (auto& [k, v] : o.status)
        status[k] += v;
    for (auto& [k, v] : o.drops)
        drops[k] += v;
    if (o.seconds.size() > seconds.size())
        seconds.resize(o.seconds.size());
    for (std::size_t i = 0; i < o.seconds.size(); ++i) {
        seconds[i].latency.merge(o.seconds[i].latency);
        seconds[i].errors += o.seconds[i].errors;
    }
    for (auto& [k, w] : o.windows) {
        auto& mine = windows[k];
        mine.latency.merge(w.latency);
        mine.ttft.merge(w.ttft);
        mine.sent += w.sent;
        if (w.first_send_ns >= 0)
            mine.first_send_ns =
                mine.first_send_ns < 0 ? w.first_send_ns : std::min(mine.first_send_ns, w.first_send_ns);
        mine.last_send_ns = std::max(mine.last_send_ns, w.last_send_ns);
    }
}

void recorder::merge(const recorder& o)
{
    for (std::size_t i = 0; i < targets_.size() && i < o.targets_.size(); ++i)
        targets_[i].merge(o.targets_[i]);
}

} // namespace loadgen
