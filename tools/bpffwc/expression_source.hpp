// Where a command's filter comes from: the EXPRESSION argument, or -f FILE (`-f -`: standard
// input), and the errors about it, which name the file: "web.filter:3:14: ..." with the line and
// a caret (the compile command and `bpffwc test`).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
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

// The whole of a text file of at most 16 MiB, or of standard input for "-". Errors name the file
// and say why; a directory is refused (it would read as empty).
bpffw::Result<std::string> read_text_file(const std::string& path);

// Reads a text file ("-": standard input) of any size piece by piece: every piece given to `take`
// ends at a line's end, but the last, which ends at the file's. Stops early, with success, when
// `take` returns false. The errors of read_text_file; a file that cannot be opened is a usage
// error (exit 2), one that fails while being read a system error.
bpffw::Result<void> read_text_pieces(const std::string& path, const std::function<bool(std::string_view)>& take);

}  // namespace bpffwc
