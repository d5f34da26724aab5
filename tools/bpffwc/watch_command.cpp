// bpffwc watch PIN|id:N|CGROUP -t DIR [--interval SECONDS] [--count N]: a live view of a program's
// counters, with rates per second, and its parameters. A PIN is opened again at every sample: when it
// names another program (--force, --replace) a line says so, and when it is removed watch ends (exit 0). On a terminal
// one line is redrawn in place; otherwise (a pipe, a log) every sample is a line of its own:
//   passed 1200 (+10/s) 98000 B (+840 B/s)  dropped 3 (+0/s) 180 B (+0 B/s)  mtu=1500
// With --json every line is a JSON object instead (docs/bpffwc.md, "JSON output"): "start", then a
// "sample" per interval, "replaced" when the pin names another program, "gone" at its end.
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include <bpffw/runtime.hpp>

#include "command.hpp"
#include "diagnostics.hpp"
#include "runtime_text.hpp"

namespace bpffwc {
namespace {

std::string rate(std::uint64_t now, std::uint64_t before, double seconds, const char* unit) {
  if (seconds <= 0 || now < before) return "(-)";  // the first sample, or a program with fresh counters
  double per_second = static_cast<double>(now - before) / seconds;
  char text[64];
  std::snprintf(text, sizeof text, "(+%.0f%s/s)", per_second, unit);
  return text;
}

class WatchCommand final : public Command {
 public:
  void define(CLI::App& app) override {
    app.add_option("PIN", pin_,
                   "a program pinned by bpffwc -o (opened again at every sample: the view follows a replaced "
                   "program and ends when the pin is removed), a program id (id:N), or with -t a cgroup")
        ->required()
        ->type_name("");
    add_cgroup_direction_option(app, direction_);
    // The range is checked in run(): CLI11's Range would print it as "0.010000 to 3600.000000".
    app.add_option("--interval", interval_, "seconds between samples, from 0.01 to 3600 (default 1)")
        ->type_name("SECONDS");
    app.add_option("--count", count_, "stop after N samples (default: run until interrupted)")->type_name("N");
    app.add_flag("--json", json_,
                 "one JSON object per line: start, a sample per interval (counters, rates, parameters), "
                 "replaced, gone");
  }

  int run() override {
    if (!(interval_ >= 0.01 && interval_ <= 3600))
      return report_usage("--interval must be between 0.01 and 3600 seconds, not " + interval_text());
    auto program = open_program(pin_, direction_);
    if (!program) return report(program.error());
    auto metadata = bpffw::read_metadata(*program);
    if (!metadata) return report(metadata.error());
    if (int counted = require_counters(*metadata); counted != kExitSuccess) return counted;
    // A pin is opened again at every sample: after --force, --replace or a new pin the view follows
    // what the pin names now, and it ends when the pin is gone. An id or a cgroup stays that program.
    const bool follow_pin = !direction_ && pin_.rfind("id:", 0) != 0;
    bool terminal = !json_ && ::isatty(STDOUT_FILENO) != 0;
    std::uint32_t id = program_id(*program);
    std::string header = json_ ? "{\"event\":\"start\",\"program\":" + json_string(pin_) +
                                     ",\"id\":" + std::to_string(id) +
                                     ",\"expression\":" + json_string(metadata->expression) + "}\n"
                               : pin_ + ": " + metadata->expression + "\n";
    std::fwrite(header.data(), 1, header.size(), stdout);

    bpffw::Counters previous;
    auto previous_time = std::chrono::steady_clock::now();
    for (unsigned sample = 0; count_ == 0 || sample < count_; ++sample) {
      if (sample > 0) std::this_thread::sleep_for(std::chrono::duration<double>(interval_));
      if (follow_pin && sample > 0) {
        auto reopened = bpffw::Program::open_pinned(pin_);
        if (!reopened && reopened.error().sys_errno == ENOENT) {
          std::string gone = json_ ? "{\"event\":\"gone\"}\n"
                                   : std::string(terminal ? "\n" : "") + pin_ + ": the pin is gone; watch ends\n";
          std::fwrite(gone.data(), 1, gone.size(), stdout);
          return kExitSuccess;
        }
        if (!reopened) return report(reopened.error());
        std::uint32_t now_id = program_id(*reopened);
        if (now_id != id) {
          auto now_metadata = bpffw::read_metadata(*reopened);
          if (!now_metadata) return report(now_metadata.error());
          std::string changed =
              json_ ? "{\"event\":\"replaced\",\"id\":" + std::to_string(now_id) + ",\"was\":" + std::to_string(id) +
                          ",\"expression\":" + json_string(now_metadata->expression) + "}\n"
                    : std::string(terminal ? "\n" : "") + pin_ + ": now program " + std::to_string(now_id) + " (was " +
                          std::to_string(id) + "): " + now_metadata->expression + "\n";
          std::fwrite(changed.data(), 1, changed.size(), stdout);
          if (int counted = require_counters(*now_metadata); counted != kExitSuccess) return counted;
          id = now_id;
        }
        *program = std::move(*reopened);
      }
      auto counters = bpffw::read_counters(*program);
      if (!counters) return report(counters.error());
      auto parameters = bpffw::read_parameters(*program);
      if (!parameters) return report(parameters.error());
      auto now = std::chrono::steady_clock::now();
      double seconds = sample == 0 ? 0 : std::chrono::duration<double>(now - previous_time).count();
      const bpffw::Counters& c = *counters;
      std::string line =
          "passed " + std::to_string(c.passed_packets) + " " +
          rate(c.passed_packets, previous.passed_packets, seconds, "") + " " + std::to_string(c.passed_bytes) + " B " +
          rate(c.passed_bytes, previous.passed_bytes, seconds, " B") + "  dropped " +
          std::to_string(c.dropped_packets) + " " + rate(c.dropped_packets, previous.dropped_packets, seconds, "") +
          " " + std::to_string(c.dropped_bytes) + " B " + rate(c.dropped_bytes, previous.dropped_bytes, seconds, " B");
      if (!parameters->empty()) line += "  " + parameters_text(*parameters);
      line = terminal ? "\r\033[K" + line : line + "\n";
      if (json_) line = sample_json(id, seconds, c, previous, *parameters);
      std::fwrite(line.data(), 1, line.size(), stdout);
      std::fflush(stdout);
      previous = c;
      previous_time = now;
    }
    if (terminal) std::fputc('\n', stdout);
    return kExitSuccess;
  }

 private:
  static int require_counters(const bpffw::ProgramMetadata& metadata) {
    if (metadata.counters) return kExitSuccess;
    return report(bpffw::Error{bpffw::ErrorKind::Usage,
                               "the program has no counters to watch: it was compiled with --no-counters",
                               std::nullopt,
                               0,
                               "recompile it without --no-counters (bpffwc -o PIN --force ...)",
                               {}});
  }

  // {"event":"sample","id":N,"seconds":S,"counters":{...},"rates":{...}|null,"parameters":{...}}:
  // rates per second over the S seconds since the last sample; null at the first.
  static std::string sample_json(std::uint32_t id, double seconds, const bpffw::Counters& now,
                                 const bpffw::Counters& before, const std::vector<bpffw::Parameter>& parameters) {
    auto per_second = [&](std::uint64_t a, std::uint64_t b) {
      char text[64];
      std::snprintf(text, sizeof text, "%.3f", a < b ? 0.0 : static_cast<double>(a - b) / seconds);
      return std::string(text);
    };
    char elapsed[64];
    std::snprintf(elapsed, sizeof elapsed, "%.3f", seconds);
    std::string rates = seconds <= 0
                            ? "null"
                            : "{\"passed_packets\":" + per_second(now.passed_packets, before.passed_packets) +
                                  ",\"dropped_packets\":" + per_second(now.dropped_packets, before.dropped_packets) +
                                  ",\"passed_bytes\":" + per_second(now.passed_bytes, before.passed_bytes) +
                                  ",\"dropped_bytes\":" + per_second(now.dropped_bytes, before.dropped_bytes) + "}";
    return "{\"event\":\"sample\",\"id\":" + std::to_string(id) + ",\"seconds\":" + elapsed +
           ",\"counters\":" + counters_json(now) + ",\"rates\":" + rates +
           ",\"parameters\":" + parameters_json(parameters) + "}\n";
  }

  static std::uint32_t program_id(const bpffw::Program& program) {
    auto info = program.info();
    return info ? info->id : 0;
  }

  // As given, for the error message.
  std::string interval_text() const {
    char text[64];
    std::snprintf(text, sizeof text, "%g", interval_);
    return text;
  }

  std::string pin_;
  std::optional<std::string> direction_;
  double interval_ = 1.0;
  unsigned count_ = 0;
  bool json_ = false;
};

}  // namespace

std::unique_ptr<Command> make_watch_command() { return std::make_unique<WatchCommand>(); }

}  // namespace bpffwc
