// The per-packet cost of bpffw's counters: the same filters compiled with and without counters,
// each run on the same packet with BPF_PROG_TEST_RUN (repeat = 1,000,000, the kernel's average
// ns per run), in interleaved rounds; the median difference is the counters' cost. With --log, the
// same for the drop log (CompileOptions::log, issue 12): counters and log against counters alone.
//   bpffw-bench-counters [--log] [ROUNDS]      (root)
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <bpffw/bpffw.hpp>

#include "packet/packet_builder.hpp"

namespace {

constexpr std::uint32_t kRepeat = 1000000;

struct Case {
  const char* name;
  const char* filter;
  bpffw::packet::Packet packet;
};

bpffw::Program load(const char* text, const bpffw::CompileOptions& options) {
  bpffw::ParseOptions parse_options;
  parse_options.parameters = {{"mtu", 1500}};
  auto filter = bpffw::Filter::parse(text, parse_options);
  auto object =
      filter ? bpffw::compile(*filter, options) : bpffw::Result<bpffw::ObjectFile>(tl::unexpected(filter.error()));
  auto program = object ? bpffw::Program::load(*object) : bpffw::Result<bpffw::Program>(tl::unexpected(object.error()));
  if (!program) {
    std::fprintf(stderr, "bpffw-bench-counters: %s: %s\n", text, program.error().message.c_str());
    std::exit(3);
  }
  return std::move(*program);
}

double ns_per_packet(const bpffw::Program& program, const bpffw::packet::Packet& packet) {
  auto run = program.test_run(packet.ethernet_frame(), kRepeat);
  if (!run) {
    std::fprintf(stderr, "bpffw-bench-counters: %s\n", run.error().message.c_str());
    std::exit(3);
  }
  return run->duration_ns;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const bool log = argc > 1 && std::string(argv[1]) == "--log";
  int rounds = argc > 1 + log ? std::atoi(argv[1 + log]) : 15;
  // The default limit (100/s): nearly every drop of a million is suppressed, the bucket's cost. A
  // limit no run reaches: every drop is parsed again and written, until the ring (nobody reads it
  // here) is full after some 3,000; from then on the write fails and is counted as lost.
  bpffw::CompileOptions with_options, without_options;
  without_options.counters = !log;
  if (log) with_options.log = bpffw::LogLimit{};
  bpffw::CompileOptions unlimited = with_options;
  unlimited.log = bpffw::LogLimit{1000000, 1000000};
  using bpffw::packet::PacketBuilder;
  std::vector<Case> cases = {
      {"F1, DNS packet (passed)", "icmp || (udp && dst_port == 53) || (tcp && dst_port == 80)",
       PacketBuilder().ipv4().udp(40000, 53).payload(20).build()},
      {"F1, SSH packet (dropped)", "icmp || (udp && dst_port == 53) || (tcp && dst_port == 80)",
       PacketBuilder().ipv4().tcp(40000, 22).build()},
      {"len <= mtu (parameter), passed", "len <= mtu", PacketBuilder().ipv4().udp(40000, 53).payload(20).build()},
      {"1 (no packet parser), passed", "1", PacketBuilder().ipv4().udp(40000, 53).build()},
  };
  if (log)
    cases.push_back({"F1, SSH dropped, log within limit", "icmp || (udp && dst_port == 53) || (tcp && dst_port == 80)",
                     PacketBuilder().ipv4().tcp(40000, 22).build()});
  std::printf("%-34s %12s %12s %12s\n", "case", log ? "log ns" : "counters ns", "without ns", "cost ns");
  for (const Case& c : cases) {
    bool within_limit = log && &c == &cases.back();
    bpffw::Program with = load(c.filter, within_limit ? unlimited : with_options);
    bpffw::Program without = load(c.filter, without_options);
    std::vector<double> with_ns, without_ns, cost;
    for (int round = 0; round < rounds; ++round) {
      // Interleaved, alternating which goes first: the machine is shared and noisy.
      double a = 0, b = 0;
      if (round % 2 == 0) {
        a = ns_per_packet(with, c.packet);
        b = ns_per_packet(without, c.packet);
      } else {
        b = ns_per_packet(without, c.packet);
        a = ns_per_packet(with, c.packet);
      }
      with_ns.push_back(a);
      without_ns.push_back(b);
      cost.push_back(a - b);
    }
    std::printf("%-34s %12.0f %12.0f %12.0f\n", c.name, median(with_ns), median(without_ns), median(cost));
  }
  return 0;
}
