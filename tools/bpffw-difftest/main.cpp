// bpffw-difftest: random filters x random packets, judged in the kernel (BPF_PROG_TEST_RUN) and by
// the reference interpreter. Every disagreement is a bug; the first few are shrunk and printed
// with a `bpffwc test` command that reproduces them. The last line is always
// "N pairs, M mismatches". With --flows, socket programs on real sockets against judge_flow, and
// judge_flow against the interpreter (flows.hpp); its last line is "N pairs, F flows, R refusals,
// M mismatches, V violations". Exit status: 0 no mismatch, 1 mismatches (or violations, or too few
// refusals), 2 usage error, 3 the system failed (not root, a test run refused).
#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>

#include "difftest.hpp"
#include "flows.hpp"

namespace {

constexpr int kExitMismatches = 1;
constexpr int kExitUsage = 2;
constexpr int kExitSystem = 3;

void print_line(const std::string& line) {
  std::fputs(line.c_str(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

void print_error(const bpffw::Error& error) {
  std::string message = "bpffw-difftest: error: " + error.message;
  if (!error.hint.empty()) message += " (" + error.hint + ")";
  std::fprintf(stderr, "%s\n", message.c_str());
}

// --flows: the socket programs (flows.hpp).
int run_flows(bpffw::difftest::FlowsOptions options) {
  print_line("bpffw-difftest: flows, seed " + std::to_string(options.seed) + ", " + std::to_string(options.pairs) +
             " pairs, " + std::to_string(options.flows_per_filter) + " flows per filter, " +
             std::to_string(options.packets_per_flow) + " packets per refused flow");
  auto stats = bpffw::difftest::run_flows(options, print_line);
  if (!stats) {
    print_error(stats.error());
    return kExitSystem;
  }
  char summary[240];
  std::snprintf(summary, sizeof summary,
                "%llu filters (%llu failing to load), %llu sendto() port 0 (EINVAL before the hooks), %llu bind() "
                "calls, %llu of them refused, %.1f s",
                static_cast<unsigned long long>(stats->filters), static_cast<unsigned long long>(stats->unloadable),
                static_cast<unsigned long long>(stats->to_port_0), static_cast<unsigned long long>(stats->bindings),
                static_cast<unsigned long long>(stats->binding_refusals), stats->seconds);
  print_line(summary);
  const bool decisive = stats->decisive();
  if (!decisive)
    print_line("too few refusals: fewer than one flow in 20 or one bind() in 100 refused, the check decides nothing");
  print_line(std::to_string(stats->pairs) + " pairs, " + std::to_string(stats->flows) + " flows, " +
             std::to_string(stats->refusals) + " refusals, " + std::to_string(stats->mismatches) + " mismatches, " +
             std::to_string(stats->violations) + " violations");
  return stats->mismatches == 0 && stats->violations == 0 && decisive ? 0 : kExitMismatches;
}

}  // namespace

int main(int argc, char** argv) {
  bpffw::difftest::DifftestOptions options;
  unsigned max_nodes = options.filter_options.max_nodes;
  bool no_shrink = false;
  bool flows = false;
  bpffw::difftest::FlowsOptions flows_options;
  CLI::App app{
      "bpffw-difftest: random filters x random packets, judged in the kernel and by the reference "
      "interpreter; prints a shrunk reproduction of every disagreement (needs root)"};
  app.add_option("-n,--pairs", options.pairs, "how many (filter, packet) pairs to run")->capture_default_str();
  app.add_option("-s,--seed", options.seed, "the random seed: the same seed runs the same pairs")
      ->capture_default_str();
  app.add_option("-k,--packets-per-filter", options.packets_per_filter,
                 "packets per compiled filter (compiling and loading costs far more than a test run)")
      ->check(CLI::Range(1u, 1000000u))
      ->capture_default_str();
  app.add_option("--max-nodes", max_nodes, "about how many AST nodes a random filter may have")
      ->check(CLI::Range(1u, 5000u))
      ->capture_default_str();
  app.add_option("--max-reports", options.max_reports, "mismatches shown (and shrunk) in full; all are counted")
      ->capture_default_str();
  app.add_flag("--no-shrink", no_shrink, "show mismatches as found, without shrinking them");
  app.add_flag("--sets", options.sets,
               "every filter tests a named set s, changed at random (add, remove, replace) while it judges");
  app.add_option("--change-every", options.change_every, "with --sets: packets between changes of the set")
      ->check(CLI::Range(1u, 1000000u))
      ->capture_default_str();
  app.add_option("--rules", options.rules,
                 "every filter is a random rule list of up to N terms (protocol, port, prefix: "
                 "docs/filter-language.md §7.4), most packets aimed at one of its terms")
      ->type_name("N")
      ->check(CLI::Range(1u, 1000000u));
  app.add_flag("--flows", flows,
               "egress filters' socket programs on real sockets (connect, send) against judge_flow, and "
               "each refused flow's random first packets against the interpreter (docs/filter-language.md §10); "
               "--pairs counts those packets");
  app.add_option("--flows-per-filter", flows_options.flows_per_filter, "with --flows: random flows per filter")
      ->check(CLI::Range(1u, 100000u))
      ->capture_default_str();
  app.add_option("--packets-per-flow", flows_options.packets_per_flow,
                 "with --flows: random first packets of each refused flow the interpreter judges")
      ->check(CLI::Range(1u, 100000u))
      ->capture_default_str();
  app.add_option("--stop-after", options.stop_after, "stop after this many mismatches (0: never)")
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    int code = app.exit(error);
    return code == 0 ? 0 : kExitUsage;
  }
  options.filter_options.max_nodes = max_nodes;
  options.shrink = !no_shrink;
  if (flows && (options.sets || options.rules != 0)) {
    std::fprintf(stderr, "bpffw-difftest: error: --flows takes neither --sets nor --rules\n");
    return kExitUsage;
  }
  if (flows) {
    flows_options.pairs = options.pairs;
    flows_options.seed = options.seed;
    flows_options.max_reports = options.max_reports;
    flows_options.filter_options = options.filter_options;
    return run_flows(flows_options);
  }

  print_line("bpffw-difftest: seed " + std::to_string(options.seed) + ", " + std::to_string(options.pairs) +
             " pairs, " + std::to_string(options.packets_per_filter) + " packets per filter");
  auto stats = bpffw::difftest::run_difftest(options, print_line);
  if (!stats) {
    print_error(stats.error());
    return kExitSystem;
  }
  char summary[160];
  std::snprintf(summary, sizeof summary, "%llu filters, %llu passed, %llu dropped, %.1f s (%.0f pairs/s)",
                static_cast<unsigned long long>(stats->filters), static_cast<unsigned long long>(stats->passes),
                static_cast<unsigned long long>(stats->pairs - stats->passes), stats->seconds,
                stats->seconds > 0 ? static_cast<double>(stats->pairs) / stats->seconds : 0.0);
  print_line(summary);
  if (options.sets)
    print_line(std::to_string(stats->set_changes) + " set changes, " + std::to_string(stats->set_mismatches) +
               " after which the set held what it should not");
  print_line(std::to_string(stats->pairs) + " pairs, " + std::to_string(stats->mismatches) + " mismatches");
  return stats->mismatches == 0 ? 0 : kExitMismatches;
}
