// The one place bpffwc renders errors (stderr) and maps them to exit codes.
#pragma once

#include <string>
#include <string_view>

#include <vector>

#include <bpffw/error.hpp>
#include <bpffw/filter.hpp>

namespace bpffwc {

inline constexpr const char* kProgram = "bpffwc";

// Exit codes, documented in --help and docs/bpffwc.md.
inline constexpr int kExitSuccess = 0;
inline constexpr int kExitInvalidExpression = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitFailure = 3;
// `show PIN --set NAME --match VALUE`: no entry of the set matches (as grep's 1); never an expression there.
inline constexpr int kExitNoMatch = 1;
// `status`: a named filter's running state and its files part somewhere.
inline constexpr int kExitDiverged = 1;

// Prints the error and returns its exit code:
//   bpffwc: error: LINE:COL: MESSAGE       then the source line and a caret (expression errors)
//   bpffwc: error: MESSAGE                 otherwise
//   bpffwc: verifier log: ...              for a verifier refusal (a bug in bpffw)
//   bpffwc: hint: HINT                     when there is one
// `expression` is the filter text the error's span points into (empty if none); `source_name`,
// when given, is the file it came from: "bpffwc: error: FILE:LINE:COL: MESSAGE".
int report(const bpffw::Error& error, std::string_view expression = {}, std::string_view source_name = {});

// A usage error: "bpffwc: error: MESSAGE", the hint if any, then "bpffwc: hint: try 'bpffwc --help'"
// ('bpffwc SUB --help' inside a subcommand, see set_usage_subcommand). Returns 2.
int report_usage(const std::string& message, const std::string& hint = {});

// The subcommand being parsed or run ("" for the top level), so that every usage error points at
// the --help that describes the options involved. main.cpp sets it once it knows; a process-wide
// setting because bpffwc runs exactly one command per process.
void set_usage_subcommand(std::string subcommand);

// The filter's warnings (bpffw::Filter::warnings), each as
//   bpffwc: warning: [FILE:]LINE:COL: MESSAGE     then the source line and a caret
// The caller's exit status does not change.
void report_warnings(const std::vector<bpffw::Warning>& warnings, std::string_view expression,
                     std::string_view source_name = {});

// Something worth knowing that is not an error: "bpffwc: note: MESSAGE" on stderr.
void report_note(const std::string& message);

// The first error this process reported (report, report_usage), as one line: "[FILE:]LINE:COL: MESSAGE"
// or "MESSAGE" (no caret, no hint); empty when there was none. For a summary elsewhere than
// standard error, e.g. the unit's status (unit_status.hpp).
const std::string& first_error();

}  // namespace bpffwc
