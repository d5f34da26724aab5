// bpffwc watch PIN [--interval SECONDS] [--count N]: a live view of a pinned program's counters,
// with rates per second, and its parameters. On a terminal one line is redrawn in place;
// otherwise (a pipe, a log) every sample is a line of its own:
//   passed 1200 (+10/s) 98000 B (+840 B/s)  dropped 3 (+0/s) 180 B (+0 B/s)  mtu=1500
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include <unistd.h>

#include <bpffw/runtime.hpp>

#include "command.hpp"
#include "diagnostics.hpp"
#include "runtime_text.hpp"

namespace bpffwc {
namespace {

std::string rate(std::uint64_t now, std::uint64_t before, double seconds, const char* unit) {
  if (seconds <= 0) return "(-)";
  double per_second = static_cast<double>(now - before) / seconds;
  char text[64];
  std::snprintf(text, sizeof text, "(+%.0f%s/s)", per_second, unit);
  return text;
}

class WatchCommand final : public Command {
 public:
  void define(CLI::App& app) override {
    app.add_option("PIN", pin_, "a program pinned by bpffwc -o")->required()->type_name("");
    // The range is checked in run(): CLI11's Range would print it as "0.010000 to 3600.000000".
    app.add_option("--interval", interval_, "seconds between samples, from 0.01 to 3600 (default 1)")
        ->type_name("SECONDS");
    app.add_option("--count", count_, "stop after N samples (default: run until interrupted)")->type_name("N");
  }

  int run() override {
    if (!(interval_ >= 0.01 && interval_ <= 3600))
      return report_usage("--interval must be between 0.01 and 3600 seconds, not " + interval_text());
    auto program = bpffw::Program::open_pinned(pin_);
    if (!program) return report(program.error());
    auto metadata = bpffw::read_metadata(*program);
    if (!metadata) return report(metadata.error());
    if (!metadata->counters)
      return report(bpffw::Error{bpffw::ErrorKind::Usage, "the program has no counters to watch: it was compiled with --no-counters",
                                 std::nullopt, 0, "recompile it without --no-counters (bpffwc -o PIN --force ...)", {}});
    bool terminal = ::isatty(STDOUT_FILENO) != 0;
    std::string header = pin_ + ": " + metadata->expression + "\n";
    std::fwrite(header.data(), 1, header.size(), stdout);

    bpffw::Counters previous;
    auto previous_time = std::chrono::steady_clock::now();
    for (unsigned sample = 0; count_ == 0 || sample < count_; ++sample) {
      if (sample > 0) std::this_thread::sleep_for(std::chrono::duration<double>(interval_));
      auto counters = bpffw::read_counters(*program);
      if (!counters) return report(counters.error());
      auto parameters = bpffw::read_parameters(*program);
      if (!parameters) return report(parameters.error());
      auto now = std::chrono::steady_clock::now();
      double seconds = sample == 0 ? 0 : std::chrono::duration<double>(now - previous_time).count();
      const bpffw::Counters& c = *counters;
      std::string line = "passed " + std::to_string(c.passed_packets) + " " +
                         rate(c.passed_packets, previous.passed_packets, seconds, "") + " " +
                         std::to_string(c.passed_bytes) + " B " + rate(c.passed_bytes, previous.passed_bytes, seconds, " B") +
                         "  dropped " + std::to_string(c.dropped_packets) + " " +
                         rate(c.dropped_packets, previous.dropped_packets, seconds, "") + " " +
                         std::to_string(c.dropped_bytes) + " B " +
                         rate(c.dropped_bytes, previous.dropped_bytes, seconds, " B");
      if (!parameters->empty()) line += "  " + parameters_text(*parameters);
      line = terminal ? "\r\033[K" + line : line + "\n";
      std::fwrite(line.data(), 1, line.size(), stdout);
      std::fflush(stdout);
      previous = c;
      previous_time = now;
    }
    if (terminal) std::fputc('\n', stdout);
    return kExitSuccess;
  }

 private:
  // As given, for the error message.
  std::string interval_text() const {
    char text[64];
    std::snprintf(text, sizeof text, "%g", interval_);
    return text;
  }

  std::string pin_;
  double interval_ = 1.0;
  unsigned count_ = 0;
};

}  // namespace

std::unique_ptr<Command> make_watch_command() { return std::make_unique<WatchCommand>(); }

}  // namespace bpffwc
