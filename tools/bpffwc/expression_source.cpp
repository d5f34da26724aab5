#include "expression_source.hpp"

#include <cerrno>
#include <cstring>
#include <memory>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diagnostics.hpp"

namespace bpffwc {

namespace {

// A filter is text a person wrote; anything this large is the wrong file.
constexpr std::size_t kMaxFilterFileBytes = 16u << 20;
// What read_text_pieces reads at a time: a piece is this and the rest of its last line.
constexpr std::size_t kReadBytes = 1u << 20;

}  // namespace

bpffw::Result<void> read_text_pieces(const std::string& path, const std::function<bool(std::string_view)>& take) {
  int fd = STDIN_FILENO;
  if (path != "-") {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      int error = errno;
      return bpffw::make_error(bpffw::ErrorKind::Usage, "cannot read '" + path + "': " + std::strerror(error), error);
    }
  }
  // Closes what this opened (never standard input) on every way out.
  std::unique_ptr<int, void (*)(int*)> closer(fd == STDIN_FILENO ? nullptr : &fd,
                                              [](int* opened) { ::close(*opened); });
  std::string name = path == "-" ? "standard input" : "'" + path + "'";
  // A directory opens and reads as nothing: it would be an empty file, an empty set.
  if (struct stat status; ::fstat(fd, &status) == 0 && S_ISDIR(status.st_mode))
    return bpffw::make_error(bpffw::ErrorKind::Usage, "cannot read " + name + ": it is a directory", EISDIR);
  // Not zeroed: only what read() writes is touched (zeroing a fresh megabyte cost its page faults,
  // more than reading a 10^4-line file).
  std::size_t capacity = kReadBytes;
  auto buffer = std::make_unique_for_overwrite<char[]>(capacity);
  std::size_t used = 0;
  for (;;) {
    if (used == capacity) {  // a line longer than a piece: room for another piece
      auto larger = std::make_unique_for_overwrite<char[]>(capacity + kReadBytes);
      std::memcpy(larger.get(), buffer.get(), used);
      buffer = std::move(larger);
      capacity += kReadBytes;
    }
    ssize_t got;
    do got = ::read(fd, buffer.get() + used, capacity - used);
    while (got < 0 && errno == EINTR);
    if (got < 0) {
      int error = errno;
      return bpffw::make_error(bpffw::ErrorKind::System, "cannot read " + name + ": " + std::strerror(error), error);
    }
    if (got == 0) break;
    const std::size_t kept = used;
    used += static_cast<std::size_t>(got);
    std::string_view text(buffer.get(), used);
    std::size_t last_line_end = text.rfind('\n');
    if (last_line_end == std::string_view::npos || last_line_end < kept) continue;  // no whole line yet
    if (!take(text.substr(0, last_line_end + 1))) return {};
    used -= last_line_end + 1;
    std::memmove(buffer.get(), buffer.get() + last_line_end + 1, used);
  }
  if (used != 0) take(std::string_view(buffer.get(), used));
  return {};
}

bpffw::Result<std::string> read_text_file(const std::string& path) {
  std::string text;
  bool too_large = false;
  auto read = read_text_pieces(path, [&](std::string_view piece) {
    too_large = text.size() + piece.size() > kMaxFilterFileBytes;
    if (!too_large) text += piece;
    return !too_large;
  });
  if (!read) return tl::unexpected(std::move(read.error()));
  if (too_large)
    return bpffw::make_error(bpffw::ErrorKind::Usage, "'" + path + "' is larger than 16 MiB: not a filter");
  return text;
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
