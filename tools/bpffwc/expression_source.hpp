// Where a command's filter comes from: the EXPRESSION argument, or -f FILE (`-f -`: standard
// input), and the errors about it, which name the file: "web.filter:3:14: ..." with the line and
// a caret (the compile command and `bpffwc test`).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include <bpffw/error.hpp>
#include <bpffw/filter.hpp>

namespace bpffwc {

class ExpressionSource {
 public:
  // Adds the EXPRESSION positional (described by `help`) and -f,--file FILE.
  void define(CLI::App& app, const std::string& help);

  // Reads the file, if one was named. A usage error (exit code 2, already printed) when neither or
  // both are given or the file cannot be read; kExitSuccess otherwise.
  int read();

  const std::string& text() const { return text_; }

  // Prints an error or the filter's warnings with FILE:LINE:COLUMN (just LINE:COLUMN for the
  // command line); report() returns the error's exit code.
  int report(const bpffw::Error& error) const;
  void report_warnings(const std::vector<bpffw::Warning>& warnings) const;

 private:
  std::optional<std::string> argument_;
  std::optional<std::string> file_;
  std::string text_;
  std::string name_;  // the file as errors name it; empty for the command line
};

// The whole of a text file, or of standard input for "-". Errors name the file and say why.
bpffw::Result<std::string> read_text_file(const std::string& path);

}  // namespace bpffwc
