// Failure plan: percentages, per-key rules, periodic stall.
#include "bench/mock/failure_plan.hpp"

#include "common/units.hpp"

namespace mock {
namespace {

constexpr std::array<std::string_view, failure_kind_count> names{"none",  "500",  "429", "503",
                                                                 "reset", "hang", "cut", "malformed"};

} // namespace

std::optional<failure_kind> parse_failure_kind(std::string_view text)
{
    for (std::size_t i = 0; i < names.size(); ++i)
        if (text == names[i])
            return static_cast<failure_kind>(i);
    return std::nullopt;
}

std::string_view to_string(failure_kind k)
{
    return names[static_cast<std::size_t>(k)];
}

double failure_rates::total() const
{
    double sum = 0;
    for (double p : pct)
        sum += p;
    return sum;
}

std::optional<key_rule> parse_key_rule(std::string_view text)
{
    auto eq = text.rfind('=');
    if (eq == std::string_view::npos || eq == 0 || eq + 1 == text.size())
        return std::nullopt;
    key_rule rule;
    rule.key = std::string(text.substr(0, eq));
    auto what = text.substr(eq + 1);
    constexpr std::string_view latency_prefix = "latency:";
    if (what.substr(0, latency_prefix.size()) == latency_prefix) {
        auto d = common::parse_duration(what.substr(latency_prefix.size()), common::bare_unit::milliseconds);
        if (!d)
            return std::nullopt;
        rule.latency = *d;
        return rule;
    }
    auto k = parse_failure_kind(what);
    if (!k || *k == failure_kind::none)
        return std::nullopt;
    rule.fail = *k;
    return rule;
}

failure_plan::failure_plan(failure_rates rates, std::vector<key_rule> rules, std::uint64_t stall_every,
                           std::chrono::nanoseconds stall_for)
    : rates_(rates), total_(rates.total()), rules_(std::move(rules)), stall_every_(stall_every),
      stall_for_(stall_for)
{}

failure_decision failure_plan::decide(std::uint64_t sequence, std::string_view api_key,
                                      std::mt19937_64& rng) const
{
    failure_decision d;
    if (stall_every_ > 0 && sequence % stall_every_ == 0)
        d.stall = stall_for_;
    bool key_failure = false;
    if (!api_key.empty()) {
        for (const auto& r : rules_) {
            if (r.key != api_key)
                continue;
            if (r.fail) {
                d.fail = *r.fail;
                key_failure = true;
            }
            if (r.latency)
                d.latency = r.latency;
        }
    }
    if (key_failure || total_ <= 0)
        return d;
    double u = std::uniform_real_distribution<double>(0.0, 100.0)(rng);
    for (std::size_t i = 1; i < failure_kind_count; ++i) {
        if (u < rates_.pct[i]) {
            d.fail = static_cast<failure_kind>(i);
            break;
        }
        u -= rates_.pct[i];
    }
    return d;
}

} // namespace mock
