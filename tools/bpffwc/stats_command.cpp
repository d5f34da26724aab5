// bpffwc stats PIN|id:N|CGROUP -t DIR [--json]: the packet counters of a pinned program, summed over all CPUs;
// for a PIN with socket programs beside it, their refusals per hook. stats --all: every bpffw
// program's (all_stats.hpp); --prometheus in the Prometheus text format; --output FILE atomically.
#include <algorithm>
#include <cstdio>
#include <optional>
#include <string>

#include <bpffw/metadata.hpp>
#include <bpffw/program.hpp>
#include <bpffw/runtime.hpp>

#include "all_stats.hpp"
#include "command.hpp"
#include "diagnostics.hpp"
#include "output_file.hpp"
#include "program_census.hpp"
#include "runtime_text.hpp"

namespace bpffwc {
namespace {

class StatsCommand final : public Command {
 public:
  void define(CLI::App& app) override {
    auto* pin = app.add_option("PIN", pin_, "a program pinned by bpffwc -o, a program id (id:N), or with -t a cgroup")
                    ->type_name("");
    auto* all = app.add_flag(
        "--all", all_, "every bpffw program loaded, pinned or not, with its pins and the cgroups it is attached to");
    pin->excludes(all);
    add_cgroup_direction_option(app, direction_);
    auto* json = app.add_flag("--json", json_,
                              "print one JSON object: passed_packets, dropped_packets, passed_bytes, dropped_bytes "
                              "(with --all: {\"programs\": [...]}, one object each)");
    app.add_flag("--prometheus", prometheus_,
                 "print the Prometheus text exposition format (node_exporter's textfile collector reads it)")
        ->excludes(json);
    app.add_option("--output", output_,
                   "write to FILE instead of standard output, atomically (a new file renamed over it)")
        ->type_name("FILE");
  }

  int run() override {
    if (pin_.empty() && !all_) return report_usage("PIN is required, or --all");
    if (all_ && direction_) return report_usage("-t names the cgroup of a PIN argument; --all takes no -t");
    if (all_ || prometheus_) return run_census();
    return run_one();
  }

 private:
  // --all, or --prometheus for one program: the census gives the labels (pins, cgroups, units).
  int run_census() {
    std::optional<std::uint32_t> only;
    if (!all_) {
      auto program = open_program(pin_, direction_);
      if (!program) return report(program.error());
      auto info = program->info();
      if (!info) return report(info.error());
      only = info->id;
    }
    auto census = take_census();
    if (!census) return report(census.error());
    if (only) std::erase_if(*census, [&](const CensusProgram& program) { return program.id != *only; });
    if (only && census->empty()) return report_usage(pin_ + " is not a bpffw packet program");
    std::vector<ProgramStats> stats = read_all_stats(*census);
    return emit(prometheus_ ? prometheus_text(stats) : json_ ? all_stats_json(stats) : all_stats_text(stats));
  }

  int emit(const std::string& out) {
    if (output_) {
      if (auto written = write_file_atomically(*output_, out); !written) return report(written.error());
      return kExitSuccess;
    }
    std::fwrite(out.data(), 1, out.size(), stdout);
    return kExitSuccess;
  }

  int run_one() {
    auto program = open_program(pin_, direction_);
    if (!program) return report(program.error());
    auto counters = bpffw::read_counters(*program);
    if (!counters) return report(counters.error());
    auto sets = bpffw::read_sets(*program);
    if (!sets) return report(sets.error());
    auto metadata = bpffw::read_metadata(*program);
    const bool audit = metadata && metadata->audit;
    std::string json = counters_json(*counters);
    // Named sets' sizes, only for a program that has sets: other programs' output stays as it was.
    if (!sets->empty()) json.insert(json.size() - 1, ",\"sets\":" + sets_json(*sets));
    json.insert(json.size() - 1, std::string(",\"audit\":") + (audit ? "true" : "false"));
    std::string out = json_ ? json + "\n"
                            : (audit ? "mode     " + audit_text() + "\n" : "") + "passed   " +
                                  std::to_string(counters->passed_packets) + " packets  " +
                                  std::to_string(counters->passed_bytes) + " bytes\n" + "dropped  " +
                                  std::to_string(counters->dropped_packets) + " packets  " +
                                  std::to_string(counters->dropped_bytes) + " bytes\n";
    // What an audit program let pass and would have dropped (also after a switch to enforcing).
    if (!json_ && (audit || counters->would_drop_packets != 0))
      out += "would drop  " + std::to_string(counters->would_drop_packets) + " packets  " +
             std::to_string(counters->would_drop_bytes) + " bytes (passed)\n";
    // A logging program's log counters too (a program without the log prints what it always did).
    if (auto log = bpffw::read_log_counters(*program)) {
      if (json_) {
        out.insert(out.size() - 2, ",\"logged\":" + std::to_string(log->logged) + ",\"suppressed\":" +
                                       std::to_string(log->suppressed) + ",\"lost\":" + std::to_string(log->lost));
      } else {
        out += "logged   " + std::to_string(log->logged) + "  suppressed " + std::to_string(log->suppressed) +
               "  lost " + std::to_string(log->lost) + "\n";
      }
    }
    // An egress filter's socket programs pinned beside it: their refusals (docs/filter-language.md §10),
    // and an audit program's would-be refusals.
    if (auto sockets = bpffw::open_pinned_socket_programs(pin_); sockets && !sockets->empty()) {
      std::string text = "refused ", would_text = "would refuse ", json_refusals, json_would;
      bool any_would = false;
      for (const bpffw::SocketProgram& socket : *sockets) {
        auto refused = bpffw::read_refusals(socket);
        if (!refused) continue;  // compiled with --no-counters
        const std::string hook = bpffw::to_string(socket.hook);
        const std::string would = std::to_string(bpffw::read_would_refusals(socket).value_or(0));
        any_would = any_would || would != "0";
        text += " " + hook + " " + std::to_string(*refused);
        would_text += " " + hook + " " + would;
        json_refusals += (json_refusals.empty() ? "\"" : ",\"") + hook + "\":" + std::to_string(*refused);
        json_would += (json_would.empty() ? "\"" : ",\"") + hook + "\":" + would;
      }
      if (!json_refusals.empty()) {
        if (json_) {
          out.insert(out.size() - 2, ",\"refusals\":{" + json_refusals + "},\"would_refuse\":{" + json_would + "}");
        } else {
          out += text + "\n";
          if (audit || any_would) out += would_text + "\n";
        }
      }
    }
    return emit(out);
  }

  std::string pin_;
  std::optional<std::string> direction_;
  bool all_ = false;
  bool json_ = false;
  bool prometheus_ = false;
  std::optional<std::string> output_;
};

}  // namespace

std::unique_ptr<Command> make_stats_command() { return std::make_unique<StatsCommand>(); }

}  // namespace bpffwc
