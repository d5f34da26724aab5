#include "diagnostics.hpp"

#include <cstdio>
#include <string>
#include <utility>

namespace bpffwc {

namespace {

std::string usage_subcommand;  // set_usage_subcommand
std::string first_error_text;  // first_error

void write(std::string_view text) { std::fwrite(text.data(), 1, text.size(), stderr); }

void print_line(std::string_view label, std::string_view text) {
  if (label == "error" && first_error_text.empty()) first_error_text = text;
  write(std::string(kProgram) + ": " + std::string(label) + ": " + std::string(text) + "\n");
}

void print_raw(std::string_view text) {
  write(text);
  if (!text.empty() && text.back() != '\n') write("\n");
}

// "FILE:LINE:COL: " as compilers write it; "LINE:COL: " for an expression given as an argument.
std::string location(const bpffw::SourceSpan& span, std::string_view source_name) {
  std::string where = source_name.empty() ? "" : std::string(source_name) + ":";
  return where + std::to_string(span.line) + ":" + std::to_string(span.column) + ": ";
}

}  // namespace

int report(const bpffw::Error& error, std::string_view expression, std::string_view source_name) {
  if (error.span && error.kind == bpffw::ErrorKind::InvalidExpression) {
    print_line("error", location(*error.span, source_name) + error.message);
    print_raw(bpffw::render_source_excerpt(error, expression));
  } else {
    print_line("error", error.message);
  }
  if (!error.verifier_log.empty()) {
    std::string label = error.kind == bpffw::ErrorKind::Verifier ? "verifier log" : "libbpf log";
    print_line(label, "(" + std::to_string(error.verifier_log.size()) + " bytes)");
    print_raw(error.verifier_log);
  }
  if (!error.hint.empty()) print_line("hint", error.hint);
  std::fflush(stderr);
  return bpffw::exit_code_for(error.kind);
}

int report_usage(const std::string& message, const std::string& hint) {
  print_line("error", message);
  if (!hint.empty()) print_line("hint", hint);
  std::string help = usage_subcommand.empty() ? "bpffwc --help" : "bpffwc " + usage_subcommand + " --help";
  print_line("hint", "try '" + help + "'");
  std::fflush(stderr);
  return kExitUsage;
}

void report_warnings(const std::vector<bpffw::Warning>& warnings, std::string_view expression,
                     std::string_view source_name) {
  for (const bpffw::Warning& warning : warnings) {
    print_line("warning", location(warning.span, source_name) + warning.message);
    bpffw::Error located{bpffw::ErrorKind::InvalidExpression, warning.message, warning.span, 0, {}, {}};
    print_raw(bpffw::render_source_excerpt(located, expression));
    if (!warning.hint.empty()) print_line("hint", warning.hint);
  }
  std::fflush(stderr);
}

void set_usage_subcommand(std::string subcommand) { usage_subcommand = std::move(subcommand); }

const std::string& first_error() { return first_error_text; }

void report_note(const std::string& message) {
  print_line("note", message);
  std::fflush(stderr);
}

}  // namespace bpffwc
