// A yardstick for wsframe's UTF-8 -> str transcoder: simdutf, timed on the same inputs.
//
// Built and run by `python -m bench.yardstick SIMDUTF_CHECKOUT` (see bench/yardstick.py),
// which compiles this file against simdutf's amalgamated single header.  Not part of
// the package or of CI: simdutf is neither a dependency nor installable here.
//
//   yardstick_simdutf KIND FILE [KIND FILE ...]
//
// KIND is the target width of the str the input decodes to: latin1, utf16 or utf32.
// For every simdutf implementation this CPU runs (the portable fallback left out),
// one call is the output length (`*_length_from_utf8`) and the validating conversion
// into a buffer allocated once: what a str builder needs, less the allocation, the
// choice of the kind and the str itself, which simdutf does not do.  One line per
// implementation and input:
//
//   FILE IMPLEMENTATION MIN_NS MEDIAN_NS
//
// (the fastest and the median of 21 rounds, each at least 0.5 ms long).
#include "simdutf.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;

struct Input {
    std::string kind;
    std::string path;
    std::vector<char> bytes;
};

// One length + conversion, returning the code units written (0 on ill-formed input).
size_t convert_once(const simdutf::implementation &impl, const Input &in, void *out)
{
    const char *s = in.bytes.data();
    const size_t n = in.bytes.size();
    if (in.kind == "latin1") {
        size_t k = impl.latin1_length_from_utf8(s, n);
        return k + impl.convert_utf8_to_latin1(s, n, static_cast<char *>(out));
    }
    if (in.kind == "utf16") {
        size_t k = impl.utf16_length_from_utf8(s, n);
        return k + impl.convert_utf8_to_utf16le(s, n, static_cast<char16_t *>(out));
    }
    size_t k = impl.utf32_length_from_utf8(s, n);
    return k + impl.convert_utf8_to_utf32(s, n, static_cast<char32_t *>(out));
}

double seconds_for(const simdutf::implementation &impl, const Input &in, void *out,
                   long loops, size_t *sink)
{
    auto start = clock_type::now();
    for (long i = 0; i < loops; i++) {
        *sink += convert_once(impl, in, out);
    }
    return std::chrono::duration<double>(clock_type::now() - start).count();
}

void time_input(const simdutf::implementation &impl, const Input &in)
{
    std::vector<char32_t> out(in.bytes.size() + 64);
    size_t sink = 0;
    if (convert_once(impl, in, out.data()) == 0) {
        std::fprintf(stderr, "%s: simdutf refused the input\n", in.path.c_str());
        std::exit(1);
    }
    long loops = 1;
    while (seconds_for(impl, in, out.data(), loops, &sink) < 0.0005) {
        loops *= 2;
    }
    std::vector<double> ns;
    for (int r = 0; r < 21; r++) {
        ns.push_back(seconds_for(impl, in, out.data(), loops, &sink) / loops * 1e9);
    }
    std::sort(ns.begin(), ns.end());
    std::printf("%s %s %.1f %.1f\n", in.path.c_str(), std::string(impl.name()).c_str(),
                ns.front(), ns[ns.size() / 2]);
    if (sink == 1) {  // keeps the calls from being optimised away
        std::puts("");
    }
}

}  // namespace

int main(int argc, char **argv)
{
    std::vector<Input> inputs;
    for (int a = 1; a + 1 < argc; a += 2) {
        std::ifstream f(argv[a + 1], std::ios::binary);
        if (!f) {
            std::fprintf(stderr, "cannot read %s\n", argv[a + 1]);
            return 2;
        }
        Input in{argv[a], argv[a + 1],
                 std::vector<char>(std::istreambuf_iterator<char>(f), {})};
        if (in.kind != "latin1" && in.kind != "utf16" && in.kind != "utf32") {
            std::fprintf(stderr, "unknown kind %s (latin1, utf16, utf32)\n", argv[a]);
            return 2;
        }
        inputs.push_back(std::move(in));
    }
    if (inputs.empty() || argc % 2 == 0) {
        std::fprintf(stderr, "usage: %s KIND FILE [KIND FILE ...]\n", argv[0]);
        return 2;
    }
    for (auto impl : simdutf::get_available_implementations()) {
        if (!impl->supported_by_runtime_system() || impl->name() == "fallback") {
            continue;
        }
        for (const Input &in : inputs) {
            time_input(*impl, in);
        }
    }
    return 0;
}
