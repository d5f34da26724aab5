#include "expression_source.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "diagnostics.hpp"

namespace bpffwc {

namespace {

// A filter is text a person wrote; anything this large is the wrong file.
constexpr std::size_t kMaxFilterFileBytes = 16u << 20;

}  // namespace

bpffw::Result<std::string> read_text_file(const std::string& path) {
  std::ostringstream text;
  if (path == "-") {
    text << std::cin.rdbuf();
    if (std::cin.bad()) return bpffw::make_error(bpffw::ErrorKind::System, "cannot read standard input");
    return text.str();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    int error = errno;
    return bpffw::make_error(error == ENOENT ? bpffw::ErrorKind::Usage : bpffw::ErrorKind::System,
                             "cannot read '" + path + "': " + std::strerror(error), error);
  }
  text << in.rdbuf();
  if (in.bad()) return bpffw::make_error(bpffw::ErrorKind::System, "cannot read '" + path + "'");
  if (text.tellp() > static_cast<std::streamoff>(kMaxFilterFileBytes))
    return bpffw::make_error(bpffw::ErrorKind::Usage, "'" + path + "' is larger than 16 MiB: not a filter");
  return text.str();
}

void ExpressionSource::define(CLI::App& app, const std::string& help) {
  app.add_option("EXPRESSION", argument_, help)->type_name("");  // the name says it: no CLI11 "TEXT"
  app.add_option("-f,--file", file_,
                 "read the expression from FILE ('-': standard input); it may span lines and carry # comments")
      ->type_name("FILE");
}

int ExpressionSource::read() {
  if (argument_ && file_) return report_usage("give the expression either as an argument or with -f FILE, not both");
  if (argument_) {
    text_ = *argument_;
    return kExitSuccess;
  }
  if (!file_) return report_usage("missing EXPRESSION or -f FILE");
  auto text = read_text_file(*file_);
  if (!text) return bpffwc::report(text.error());
  text_ = std::move(*text);
  name_ = *file_ == "-" ? "<stdin>" : *file_;
  return kExitSuccess;
}

int ExpressionSource::report(const bpffw::Error& error) const { return bpffwc::report(error, text_, name_); }

void ExpressionSource::report_warnings(const std::vector<bpffw::Warning>& warnings) const {
  bpffwc::report_warnings(warnings, text_, name_);
}

}  // namespace bpffwc
