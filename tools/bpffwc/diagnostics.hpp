// The one place bpffwc renders errors (stderr) and maps them to exit codes.
#pragma once

#include <string>
#include <string_view>

#include <bpffw/error.hpp>

namespace bpffwc {

inline constexpr const char* kProgram = "bpffwc";

// Exit codes, documented in --help and docs/bpffwc.md.
inline constexpr int kExitSuccess = 0;
inline constexpr int kExitInvalidExpression = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitFailure = 3;

// Prints the error and returns its exit code:
//   bpffwc: error: LINE:COL: MESSAGE       then the source line and a caret (expression errors)
//   bpffwc: error: MESSAGE                 otherwise
//   bpffwc: verifier log: ...              for a verifier refusal (a bug in bpffw)
//   bpffwc: hint: HINT                     when there is one
// `expression` is the filter text the error's span points into (empty if none).
int report(const bpffw::Error& error, std::string_view expression = {});

// A usage error: "bpffwc: error: MESSAGE", the hint if any, then "bpffwc: hint: try 'bpffwc --help'".
// Returns 2.
int report_usage(const std::string& message, const std::string& hint = {});

}  // namespace bpffwc
