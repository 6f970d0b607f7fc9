// Support for tests on generated inputs (the differential tests of the proxy's and bench's HTTP
// parsing): a seeded chooser, byte-level damage, and a printable form of a failing case.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>
#include <string_view>

namespace test_support {

class case_generator
{
public:
    explicit case_generator(std::uint64_t seed) : rng_(seed) {}

    std::size_t below(std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_); }
    bool chance(unsigned percent) { return below(100) < percent; }
    template <typename T, std::size_t N>
    const T& pick(const T (&a)[N])
    {
        return a[below(N)];
    }
    // The first (usual) element most of the time, any element otherwise: most cases stay close
    // enough to valid that the checks past the first rejection are reached too.
    template <typename T, std::size_t N>
    const T& usually_first(const T (&a)[N])
    {
        return chance(75) ? a[0] : pick(a);
    }

    // n random lower-case letters (body bytes).
    std::string letters(std::size_t n)
    {
        std::string s(n, 'x');
        for (auto& c : s)
            c = static_cast<char>('a' + below(26));
        return s;
    }

    // n in hex as peers write chunk sizes: digits in either case, now and then leading zeros.
    std::string hex(std::size_t n)
    {
        // Digits through a pointer: GCC 12 at -O1 with -fsanitize=undefined miscompiled indexing
        // `(c ? "0123..." : "0123...")` directly (wrong digits, in the sanitizer build only).
        static constexpr char lower[] = "0123456789abcdef", upper[] = "0123456789ABCDEF";
        std::string out;
        do {
            const char* digits = chance(50) ? lower : upper;
            out.insert(out.begin(), digits[n % 16]);
            n /= 16;
        } while (n);
        if (chance(10))
            out.insert(0, below(3) + 1, '0');
        return out;
    }

    // One to three byte-level changes: insert one of `bytes` (those parsers disagree on), delete a
    // byte, or double one.
    template <std::size_t N>
    void damage(std::string& s, const char (&bytes)[N])
    {
        for (std::size_t k = 1 + below(3); k > 0 && !s.empty(); --k) {
            auto at = below(s.size());
            switch (below(3)) {
            case 0:
                s.insert(s.begin() + static_cast<std::ptrdiff_t>(at), pick(bytes));
                break;
            case 1:
                s.erase(at, 1);
                break;
            default:
                s.insert(s.begin() + static_cast<std::ptrdiff_t>(at), s[at]);
                break;
            }
        }
    }

private:
    std::mt19937_64 rng_;
};

// Cases per test and a seed offset from the environment: LGB_DIFF_CASES=1000000 LGB_DIFF_SEED=n
// search deeper than the `fallback` cases CI runs.
inline int generated_case_count(int fallback)
{
    const char* v = std::getenv("LGB_DIFF_CASES");
    return v ? std::atoi(v) : fallback;
}

inline std::uint64_t generated_seed(std::uint64_t base)
{
    const char* v = std::getenv("LGB_DIFF_SEED");
    return base + (v ? std::strtoull(v, nullptr, 10) : 0);
}

// Bytes as a test message shows them: CR, LF, control bytes and non-ASCII escaped, so that a
// failing generated case can be read and pasted back into a test.
inline std::string escaped(std::string_view s)
{
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    for (unsigned char c : s) {
        if (c == '\r')
            out += "\\r";
        else if (c == '\n')
            out += "\\n";
        else if (c < 0x20 || c >= 0x7f) {
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 15];
        } else
            out += static_cast<char>(c);
    }
    return out;
}

} // namespace test_support
