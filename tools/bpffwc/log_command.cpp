// bpffwc log PIN|id:N|CGROUP -t DIR [--json]: follows a program's drop log (--log) live, one line
// (or JSON object) per recorded drop, and a line whenever the log's suppressed or lost counters
// grow. Ends with exit 0 on SIGINT or SIGTERM, and when the program goes away (its pin removed,
// or, for an id or a cgroup, the program unloaded). A pin replaced with --force keeps its ring
// (LoadOptions::keep_counters_of), so the log goes on with the new program.
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <optional>
#include <string>

#include <bpffw/drop_log.hpp>
#include <bpffw/runtime.hpp>

#include "command.hpp"
#include "diagnostics.hpp"
#include "drop_text.hpp"
#include "runtime_text.hpp"

namespace bpffwc {
namespace {

volatile std::sig_atomic_t stop_requested = 0;
void request_stop(int) { stop_requested = 1; }

// How often the program's presence and the log's counters are checked, in poll timeouts.
constexpr int kPollMilliseconds = 200;
constexpr int kPollsPerCheck = 5;

class LogCommand final : public Command {
 public:
  void define(CLI::App& app) override {
    app.add_option("PIN", pin_, "a program compiled with --log: pinned (PIN), by id (id:N), or with -t a cgroup")
        ->required()
        ->type_name("");
    add_cgroup_direction_option(app, direction_);
    app.add_flag("--json", json_, "one JSON object per line");
  }

  int run() override {
    CgroupNames names;
    std::optional<bpffw::DropLog> log;
    {
      // Not held beyond this block: a program we kept open would never go away.
      auto program = open_program(pin_, direction_);
      if (!program) return report(program.error());
      auto info = program->info();
      if (!info) return report(info.error());
      id_ = info->id;
      auto opened = bpffw::DropLog::open(*program, [&](const bpffw::DropRecord& record) {
        const CgroupNames::Name& cgroup = names.lookup(record.cgroup_id);
        print(json_ ? drop_json(record, cgroup) : drop_line(record, cgroup));
      });
      if (!opened) return report(opened.error());
      log.emplace(std::move(*opened));
      auto counters = bpffw::read_log_counters(*program);
      if (!counters) return report(counters.error());
      reported_ = *counters;
    }

    struct sigaction action{};
    action.sa_handler = request_stop;  // no SA_RESTART: the poll returns at once
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
    for (int polls = 1; !stop_requested; ++polls) {
      auto read = log->poll(kPollMilliseconds);
      if (!read) return report(read.error());
      if (polls % kPollsPerCheck != 0) continue;
      auto now = current_program();
      if (!now) {
        log->poll(0);  // what it recorded before it went
        print(json_ ? "{\"event\":\"gone\"}" : pin_ + ": the program is gone; log ends");
        return kExitSuccess;
      }
      if (auto counted = bpffw::read_log_counters(*now)) report_counters(*counted);
    }
    return kExitSuccess;
  }

 private:
  // The program the argument names now; nullopt once it is gone.
  std::optional<bpffw::Program> current_program() {
    const bool pin = !direction_ && pin_.rfind("id:", 0) != 0;
    auto now = pin ? bpffw::Program::open_pinned(pin_) : bpffw::Program::open_id(id_);
    if (!now) return std::nullopt;
    return std::move(*now);
  }

  void report_counters(const bpffw::LogCounters& counters) {
    if (counters.suppressed == reported_.suppressed && counters.lost == reported_.lost) return;
    if (json_) {
      print("{\"suppressed\":" + std::to_string(counters.suppressed) + ",\"lost\":" + std::to_string(counters.lost) +
            "}");
    } else {
      print("suppressed " + std::to_string(counters.suppressed) + " (+" +
            std::to_string(counters.suppressed - reported_.suppressed) + ") by the rate limit, lost " +
            std::to_string(counters.lost) + " (+" + std::to_string(counters.lost - reported_.lost) +
            ") to a full ring");
    }
    reported_ = counters;
  }

  static void print(const std::string& line) {
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
  }

  std::string pin_;
  std::optional<std::string> direction_;
  bool json_ = false;
  std::uint32_t id_ = 0;
  bpffw::LogCounters reported_;
};

}  // namespace

std::unique_ptr<Command> make_log_command() { return std::make_unique<LogCommand>(); }

}  // namespace bpffwc
