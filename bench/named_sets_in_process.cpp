// `bpffwc -o PIN --set-file s=FILE EXPRESSION` measured inside one process (no process start, no
// command line): reading and parsing the set file, parsing and compiling the filter, loading it
// (which fills the set maps) and pinning it, each timed, as bpfilter publishes its figures.
// bench/named_sets.sh runs it beside the whole process. As root, with bpffs. Usage:
//   bpffw-bench-sets FILE PIN EXPRESSION     prints "read MS compile MS load MS pin MS total MS"
//   bpffw-bench-sets read FILE               only reads the file: prints "read MS items N"
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include <bpffw/compiler.hpp>
#include <bpffw/filter.hpp>
#include <bpffw/program.hpp>
#include <bpffw/sets.hpp>

namespace {

double since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

// The file through SetFileParser in pieces cut at a line's end, as bpffwc reads it.
bool read_set_file(const char* path, bpffw::SetItems& items) {
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bpffw::SetFileParser parser;
  std::vector<char> buffer(1 << 20);
  std::size_t held = 0;
  for (;;) {
    ssize_t got = ::read(fd, buffer.data() + held, buffer.size() - held);
    if (got < 0) return ::close(fd), false;
    held += static_cast<std::size_t>(got);
    std::size_t end = held;
    if (got != 0)
      while (end > 0 && buffer[end - 1] != '\n') --end;
    if (end == 0 && got != 0) buffer.resize(buffer.size() * 2);  // a line longer than the buffer
    if (end > 0 && !parser.feed(std::string_view(buffer.data(), end))) return ::close(fd), false;
    std::copy(buffer.begin() + static_cast<std::ptrdiff_t>(end), buffer.begin() + static_cast<std::ptrdiff_t>(held),
              buffer.begin());
    held -= end;
    if (got == 0) break;
  }
  ::close(fd);
  items = parser.finish();
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::string_view(argv[1]) == "read") {
    auto start = std::chrono::steady_clock::now();
    bpffw::SetItems items;
    if (!read_set_file(argv[2], items)) return std::fprintf(stderr, "%s: not read\n", argv[2]), 1;
    std::printf("read %.1f items %zu\n", since(start), items.prefixes.size() + items.ranges.size());
    return 0;
  }
  if (argc != 4) {
    std::fprintf(stderr, "usage: bpffw-bench-sets FILE PIN EXPRESSION | bpffw-bench-sets read FILE\n");
    return 2;
  }
  auto start = std::chrono::steady_clock::now();
  bpffw::ParseOptions options;
  options.sets.push_back({"s", {}});
  if (!read_set_file(argv[1], options.sets[0].items)) return std::perror(argv[1]), 1;
  double read = since(start);
  auto step = std::chrono::steady_clock::now();
  auto filter = bpffw::Filter::parse(argv[3], std::move(options));
  if (!filter) return std::fprintf(stderr, "%s\n", filter.error().message.c_str()), 1;
  auto object = bpffw::compile(std::move(*filter));
  if (!object) return std::fprintf(stderr, "%s\n", object.error().message.c_str()), 1;
  double compiled = since(step);
  step = std::chrono::steady_clock::now();
  auto program = bpffw::Program::load(*object);
  if (!program) return std::fprintf(stderr, "%s\n", program.error().message.c_str()), 1;
  double loaded = since(step);
  step = std::chrono::steady_clock::now();
  if (auto pinned = program->pin(argv[2]); !pinned)
    return std::fprintf(stderr, "%s\n", pinned.error().message.c_str()), 1;
  double pinned = since(step);
  std::printf("read %.1f compile %.1f load %.1f pin %.1f total %.1f\n", read, compiled, loaded, pinned, since(start));
  return 0;
}
