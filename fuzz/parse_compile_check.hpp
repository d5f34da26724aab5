// What the parse+compile fuzzer checks on each input, shared with the regression test that runs
// every committed corpus file and every past finding through it (test/fuzz_regressions/).
#pragma once

#include <string>
#include <string_view>

namespace bpffw::fuzz {

// Parses `text` and, when it parses, compiles it at -O2 or -O0. Returns "" when all went as spec
// §8 demands (a parse error with a span, or an object, or "too large" as an expression error),
// else what went wrong. Crashes, leaks and undefined behaviour are the sanitizers' to find.
std::string check_parse_compile(std::string_view text, unsigned optimization_level);

}  // namespace bpffw::fuzz
