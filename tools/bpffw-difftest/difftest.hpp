// The differential tester behind bpffw-difftest: random filters, each compiled and loaded once and
// run on many random packets, in the kernel (BPF_PROG_TEST_RUN) and in the reference interpreter.
// A disagreement is shrunk to a small reproduction. Prints nothing: lines go to a sink.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include <bpffw/error.hpp>

#include "codegen/packet_parser.hpp"
#include "random/random_filter.hpp"

namespace bpffw::difftest {

struct DifftestOptions {
  std::uint64_t pairs = 100000;
  std::uint64_t seed = 1;
  unsigned packets_per_filter = 100;  // one compiled program serves this many packets
  unsigned max_reports = 3;           // mismatches reported (and shrunk) in full; all are counted
  bool shrink = true;
  std::uint64_t stop_after = 0;  // stop after this many mismatches (0: run every pair)
  random::RandomFilterOptions filter_options;
  // Named sets (--sets): every filter tests a random set `s`, which changes at random (add,
  // remove, replace) every `change_every` packets; the interpreter judges with what it must hold,
  // and the program's contents must equal that.
  bool sets = false;
  // Rule lists (--rules N, docs/filter-language.md §7.4): every filter is a random rule list of up to
  // N terms (random/random_rules.hpp), and most packets are aimed at one of its terms. Mismatches
  // are reported unshrunk.
  unsigned rules = 0;
  unsigned change_every = 10;
  // The packet parser's machine code to build with; the product's when null (tests pass the
  // helper-only one, test/support/helper_only_parsers.hpp).
  const codegen::PacketParserBytes* packet_parsers = nullptr;
};

struct DifftestStats {
  std::uint64_t pairs = 0;
  std::uint64_t mismatches = 0;      // disagreements, plus the pairs of a filter that failed to load
  std::uint64_t set_changes = 0;     // with --sets: changes made to loaded programs' sets
  std::uint64_t set_mismatches = 0;  // changes after which a program's set held what it should not
  std::uint64_t passes = 0;          // pairs the kernel passed
  std::uint64_t filters = 0;
  double seconds = 0;
};

// Receives the report, one line (without newline) at a time.
using LineSink = std::function<void(const std::string& line)>;

// Runs options.pairs pairs. An error means the system failed (a test run refused, no privileges),
// not that the verdicts disagreed: that is counted in the stats.
Result<DifftestStats> run_difftest(const DifftestOptions& options, const LineSink& out);

}  // namespace bpffw::difftest
