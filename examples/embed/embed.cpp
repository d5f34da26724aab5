// A tiny program embedding libbpffw, built against the installed package (CMake or pkg-config):
// compile a filter with a runtime parameter and a named set, load it, run a packet through it,
// change the parameter in place, run the packet again, add its source to the set, run it once
// more, read the counters. Prints one line per step.
#include <cstdio>
#include <vector>

#include <bpffw/bpffw.hpp>

namespace {

int fail(const bpffw::Error& error) {
  std::fprintf(stderr, "embed: error: %s\n", error.message.c_str());
  return bpffw::exit_code_for(error.kind);
}

// An Ethernet frame carrying IPv4 + UDP to `port`, as BPF_PROG_TEST_RUN wants it.
std::vector<unsigned char> udp_frame(unsigned port) {
  std::vector<unsigned char> frame(14 + 20 + 8, 0);
  frame[12] = 0x08;  // ethertype IPv4
  unsigned char* ip = frame.data() + 14;
  ip[0] = 0x45;  // version 4, IHL 5
  ip[3] = 28;    // total length
  ip[8] = 64;    // TTL
  ip[9] = 17;    // UDP
  unsigned char* udp = ip + 20;
  udp[2] = static_cast<unsigned char>(port >> 8);
  udp[3] = static_cast<unsigned char>(port);
  udp[5] = 8;  // UDP length
  return frame;
}

}  // namespace

int main() {
  std::printf("bpffw %s\n", bpffw::kVersion);
  bpffw::ParseOptions options;
  options.parameters = {{"port", 53}};
  options.sets = {{"blocked", {}}};  // empty: an address set, from its use
  auto filter = bpffw::Filter::parse("udp && dst_port == port && !(src_addr in blocked)", options);
  if (!filter) return fail(filter.error());
  auto object = bpffw::compile(*filter);
  if (!object) return fail(object.error());
  std::printf("compiled %zu bytes\n", object->bytes.size());

  auto program = bpffw::Program::load(*object);
  if (!program) return fail(program.error());
  std::vector<unsigned char> frame = udp_frame(123);
  auto first = program->test_run(frame);
  if (!first) return fail(first.error());
  if (auto set = bpffw::set_parameters(*program, {{"port", 123}}); !set) return fail(set.error());
  auto second = program->test_run(frame);
  if (!second) return fail(second.error());
  auto source = bpffw::parse_set_items("0.0.0.0");  // the frame's source address
  if (!source) return fail(source.error());
  if (auto added = bpffw::add_to_set(*program, "blocked", *source); !added) return fail(added.error());
  auto third = program->test_run(frame);
  if (!third) return fail(third.error());
  std::printf("verdicts %u %u %u\n", first->verdict, second->verdict, third->verdict);

  auto counters = bpffw::read_counters(*program);
  if (!counters) return fail(counters.error());
  std::printf("passed %llu dropped %llu\n", static_cast<unsigned long long>(counters->passed_packets),
              static_cast<unsigned long long>(counters->dropped_packets));
  return 0;
}
