// Shared by the libFuzzer targets: a check that aborts with a message (libFuzzer saves the input
// that made it fail), and a small reader that takes the fuzzer's choices from the front of its
// input so that one input holds both the bytes under test and the way they are fed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace fuzz {

// An invariant of the code under test. Fuzzing is the only place these run, so they stay checks
// that abort (libFuzzer records the crashing input), not exceptions.
inline void require(bool ok, const char* what)
{
    if (!ok) {
        std::fprintf(stderr, "fuzz invariant broken: %s\n", what);
        std::abort();
    }
}

// Takes bytes from the front of the input for choices (split sizes, flags); the rest is data.
class input
{
public:
    input(const std::uint8_t* data, std::size_t size) : p_(reinterpret_cast<const char*>(data)), n_(size) {}

    std::uint8_t byte()
    {
        if (n_ == 0)
            return 0;
        --n_;
        return static_cast<std::uint8_t>(*p_++);
    }
    bool flag() { return (byte() & 1) != 0; }
    std::string_view rest() const { return {p_, n_}; }

private:
    const char* p_;
    std::size_t n_;
};

// True when every field of `from` that `kept(field)` selects is in `to` with the same name and
// value, in the same order (other fields may come between them): how a rewrite keeps the
// end-to-end fields of a head.
template <typename Fields, typename Keep>
bool fields_kept_in_order(const Fields& from, const Fields& to, Keep kept)
{
    std::size_t j = 0;
    for (const auto& f : from) {
        if (!kept(f))
            continue;
        while (j < to.size() && !(to[j].name == f.name && to[j].value == f.value))
            ++j;
        if (j == to.size())
            return false;
        ++j;
    }
    return true;
}

} // namespace fuzz
