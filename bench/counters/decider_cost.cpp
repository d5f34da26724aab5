// The per-packet cost of naming the deciding part in drop records (issue 27, item 5): each filter
// compiled three ways — without the drop log, with the log but no decider, with the log and the
// decider (as shipped) — all with counters, run on the same packet with BPF_PROG_TEST_RUN (repeat
// kRepeat, the kernel's average ns per run), in interleaved rounds whose order rotates. The limit is
// never reached, so every dropped run builds a record (the ring, which nobody reads here, is full
// after its first ~5,000 records; the write then fails and counts as lost, but the decider was
// found before it). The median of the per-round differences is each cost.
//   bpffw-bench-decider [ROUNDS]      (root)
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <bpffw/bpffw.hpp>

#include "codegen/emit.hpp"
#include "codegen/runtime_spec.hpp"
#include "packet/packet_builder.hpp"
#include "parser/filter_access.hpp"

namespace {

constexpr std::uint32_t kRepeat = 200000;

struct Case {
  std::string name;
  std::string filter;
  bpffw::packet::Packet packet;
};

enum class Build { NoLog, LogWithoutDecider, LogWithDecider };

[[noreturn]] void fail(const std::string& what, const bpffw::Error& error) {
  std::fprintf(stderr, "bpffw-bench-decider: %s: %s\n", what.c_str(), error.message.c_str());
  std::exit(3);
}

bpffw::Program load(const std::string& text, Build build) {
  bpffw::ParseOptions parse_options;
  std::string blocklist;
  for (int i = 0; i < 1000; ++i)
    blocklist += (i ? ", " : "") + std::to_string(10 + i / 250) + "." + std::to_string(i % 250) + ".0.0/16";
  auto items = bpffw::parse_set_items(blocklist);
  if (!items) fail("blocklist", items.error());
  parse_options.sets.push_back({"blocklist", *items});
  auto filter = bpffw::Filter::parse(text, parse_options);
  if (!filter) fail(text, filter.error());
  bpffw::CompileOptions options;
  if (build != Build::NoLog) options.log = bpffw::LogLimit{1000000, 1000000};
  bpffw::codegen::RuntimeSpec spec = bpffw::codegen::runtime_spec_for(*filter, options);
  spec.log_decider = build == Build::LogWithDecider;
  auto object = bpffw::codegen::compile_expression(bpffw::detail::FilterAccess::root(*filter), options, spec);
  if (!object) fail(text, object.error());
  object->sets = filter->sets();
  auto program = bpffw::Program::load(*object);
  if (!program) fail(text, program.error());
  return std::move(*program);
}

double ns_per_packet(const bpffw::Program& program, const bpffw::packet::Packet& packet) {
  auto run = program.test_run(packet.ethernet_frame(), kRepeat);
  if (!run) fail("test run", run.error());
  return run->duration_ns;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

std::string and_chain(int terms) {
  std::string text;
  for (int i = 1; i <= terms; ++i) text += (i > 1 ? " && dst_port != " : "dst_port != ") + std::to_string(i);
  return text;
}

bpffw::packet::PacketBuilder listed_source() {
  bpffw::packet::Ipv4Fields ip;
  ip.src = {10, 3, 7, 9};  // in 10.3.0.0/16
  bpffw::packet::PacketBuilder builder;
  builder.ipv4(ip);
  return builder;
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 9;
  using bpffw::packet::PacketBuilder;
  const std::string f1 = "icmp || (udp && dst_port == 53) || (tcp && dst_port == 80)";
  const std::string issue = "!(src_addr in blocklist) && tcp && dst_port == 8080";
  const std::vector<Case> cases = {
      {"F1, DNS passed", f1, PacketBuilder().ipv4().udp(40000, 53).payload(20).build()},
      {"F1, SSH dropped: 'dst_port == 80'", f1, PacketBuilder().ipv4().tcp(40000, 22).build()},
      {"issue, listed: 'src_addr in blocklist'", issue, listed_source().tcp(40000, 8080).build()},
      {"issue, port 22: 'dst_port == 8080'", issue, PacketBuilder().ipv4().tcp(40000, 22).build()},
      {"200 x dst_port != N, by the 200th", and_chain(200), PacketBuilder().ipv4().tcp(40000, 200).build()},
      {"200 x dst_port != N, by the first", and_chain(200), PacketBuilder().ipv4().tcp(40000, 1).build()},
      {"10,000 x dst_port != N: the run", and_chain(10000), PacketBuilder().ipv4().tcp(40000, 9999).build()},
  };
  std::printf("%-40s %9s %9s %9s %9s %9s\n", "case", "no log", "log", "+decider", "log cost", "decider");
  for (const Case& c : cases) {
    const Build builds[3] = {Build::NoLog, Build::LogWithoutDecider, Build::LogWithDecider};
    std::vector<bpffw::Program> programs;
    for (Build build : builds) programs.push_back(load(c.filter, build));
    std::vector<double> ns[3], log_cost, decider_cost;
    for (int round = 0; round < rounds; ++round) {
      double got[3] = {};
      // Rotated per round: the machine is shared and noisy.
      for (int k = 0; k < 3; ++k) {
        int which = (round + k) % 3;
        got[which] = ns_per_packet(programs[which], c.packet);
      }
      for (int k = 0; k < 3; ++k) ns[k].push_back(got[k]);
      log_cost.push_back(got[1] - got[0]);
      decider_cost.push_back(got[2] - got[1]);
    }
    std::printf("%-40s %9.0f %9.0f %9.0f %9.0f %9.0f\n", c.name.c_str(), median(ns[0]), median(ns[1]), median(ns[2]),
                median(log_cost), median(decider_cost));
  }
  return 0;
}
