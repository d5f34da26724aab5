// One (filter, packet) pair judged twice: in the kernel with BPF_PROG_TEST_RUN and by the reference
// interpreter. Shared by bpffw-difftest, its shrinker and the difftest tests.
#pragma once

#include <optional>
#include <string>

#include <bpffw/bpffw.hpp>

#include "codegen/packet_parser.hpp"
#include "packet/packet_builder.hpp"

namespace bpffw::difftest {

// A filter parsed, compiled and loaded into the kernel.
struct LoadedFilter {
  Filter filter;
  Program program;
};

// How filters are built: parse options (the direction) and the packet parser's machine code to
// build with, the product's when null (tests: the helper-only one, test/support).
struct LoadSettings {
  ParseOptions parse;
  const codegen::PacketParserBytes* parsers = nullptr;
};

// Parses, compiles and loads `text`. A parse error is InvalidExpression; a compile or load
// failure of a filter that parses is a bpffw bug (docs/filter-language.md §8) and keeps its own
// error kind.
Result<LoadedFilter> load_filter(const std::string& text, const LoadSettings& settings = {});

struct Verdicts {
  bool kernel = false;
  bool interpreter = false;
  bool agree() const { return kernel == interpreter; }
};

// Both verdicts. The packet must fit BPF_PROG_TEST_RUN (Packet::fits_test_run()); a failing
// test run is ErrorKind::System.
Result<Verdicts> judge(const LoadedFilter& loaded, const packet::Packet& packet);

// "pass" or "drop".
const char* verdict_word(bool pass);

// "ethertype 0x86dd, 48 bytes (ipv6 udp 1 -> 53, 48 bytes): 60 00 ..." on one line.
std::string describe_packet_hex(const packet::Packet& packet);

// A command line that reproduces the pair: bpffwc test [-t DIR] 'FILTER' --packet 'ethertype=N hex:...'.
std::string reproduction_command(const std::string& filter, const packet::Packet& packet,
                                 std::optional<Direction> direction = std::nullopt);

// "ingress", "egress" or "none", for reports.
const char* direction_word(std::optional<Direction> direction);

}  // namespace bpffw::difftest
