// Hostile packets against filters built to expose bypasses: each shape's verdict under each filter
// follows from what docs/filter-language.md §5 says of the packet (hostile_shapes.cpp, by hand) and from the filter
// (below, by hand, not by the interpreter). The kernel and the reference interpreter must both
// give it; a packet that passes where the spec drops it is a bypass, and there must be none.
// Shapes with an IPv4/IPv6 fixed header cut short are judged in the kernel where BPF_PROG_TEST_RUN
// takes them (5.10; later kernels refuse them with EINVAL), else by the interpreter alone.
#include <doctest/doctest.h>

#include <functional>
#include <map>
#include <optional>
#include <set>

#include "../kernel/verdict_table.hpp"
#include "hostile_shapes.hpp"
#include "support/kernel_filter.hpp"

namespace {

using bpffw::test::HostileShape;
using bpffw::test::SpecView;
using bpffw::test::Transport;

struct BypassFilter {
  std::string text;
  // The verdict for a well-formed packet (every filter reads a variable, so malformed drops).
  std::function<bool(const SpecView&, std::size_t len)> passes;
};

const std::vector<BypassFilter>& bypass_filters() {
  static const std::vector<BypassFilter> filters = {
      {"!udp || dst_port == 53",
       [](const SpecView& v, std::size_t) { return v.transport != Transport::Udp || v.dst_port == 53; }},
      {"!(tcp && dst_port == 22)",
       [](const SpecView& v, std::size_t) { return !(v.transport == Transport::Tcp && v.dst_port == 22); }},
      {"tcp && dst_port == 80",
       [](const SpecView& v, std::size_t) { return v.transport == Transport::Tcp && v.dst_port == 80; }},
      {"len < 100", [](const SpecView&, std::size_t len) { return len < 100; }},
      {"!(icmp && icmp_type == ICMP_REDIRECT)",
       [](const SpecView& v, std::size_t) { return !(v.transport == Transport::Icmp && v.icmp_type == 5); }},
      {"icmp_type != ICMP_ECHO_REQUEST && icmp_type != ICMPV6_ECHO_REQUEST",
       [](const SpecView& v, std::size_t) { return v.icmp_type != 8 && v.icmp_type != 128; }},
      {"tcp && (tcp_flags & (SYN | ACK)) == SYN",
       [](const SpecView& v, std::size_t) { return v.transport == Transport::Tcp && (v.tcp_flags & 0x12) == 0x02; }},
      // Only from this host's own addresses: a packet that is not IP has none.
      {"src_addr in {10.0.0.1, fd00::1}",
       [](const SpecView& v, std::size_t) { return v.transport != Transport::None && v.default_source; }},
      // The IP header's fields (§4.7) and the socket's owner (§4.8): every shape is built with the
      // builder's TTL 64, TOS or traffic class 0 and flow label 0, and the test run's socket is
      // root's; a packet that is not IP reads -1 for each header field.
      {"ttl == 64 && dscp == 0 && ecn == 0",
       [](const SpecView& v, std::size_t) { return v.transport != Transport::None; }},
      {"ttl != 64 || uid != root", [](const SpecView& v, std::size_t) { return v.transport == Transport::None; }},
      {"flow_label <= 0 && uid == 0", [](const SpecView&, std::size_t) { return true; }},
  };
  return filters;
}

bool spec_verdict(const BypassFilter& filter, const HostileShape& shape) {
  return !shape.view.malformed && filter.passes(shape.view, shape.packet.bytes.size());
}

}  // namespace

TEST_CASE("hostile corpus: at least 40 distinct named shapes") {
  std::vector<HostileShape> shapes = bpffw::test::hostile_shapes();
  std::set<std::string> names;
  for (const HostileShape& shape : shapes) CHECK_MESSAGE(names.insert(shape.name).second, "twice: " << shape.name);
  CHECK(shapes.size() >= 40);
  MESSAGE(shapes.size() << " shapes");
}

TEST_CASE("hostile corpus: kernel and interpreter give the spec's verdict under each bypass filter") {
  std::vector<HostileShape> shapes = bpffw::test::hostile_shapes();
  std::vector<bpffw::test::VerdictRow> rows;
  for (const BypassFilter& filter : bypass_filters()) {
    for (const HostileShape& shape : shapes) {
      rows.push_back({shape.name, filter.text, shape.packet, spec_verdict(filter, shape)});
    }
  }
  bpffw::test::check_rows(rows);
}

TEST_CASE("hostile corpus: 0 bypasses, counted in the kernel and in the interpreter") {
  std::vector<HostileShape> shapes = bpffw::test::hostile_shapes();
  int judged_in_kernel = 0;
  int kernel_bypasses = 0;
  int interpreter_bypasses = 0;
  int spec_drops = 0;
  for (const BypassFilter& filter : bypass_filters()) {
    bpffw::test::KernelFilter loaded(filter.text);
    for (const HostileShape& shape : shapes) {
      if (spec_verdict(filter, shape)) continue;
      ++spec_drops;
      std::optional<bool> kernel = loaded.kernel_verdict_if_taken(shape.packet);
      judged_in_kernel += kernel.has_value();
      if (kernel.value_or(false)) {
        ++kernel_bypasses;
        FAIL_CHECK("kernel bypass: " << shape.name << "\n" << bpffw::test::describe_case(filter.text, shape.packet));
      }
      if (loaded.interpreter_verdict(shape.packet)) {
        ++interpreter_bypasses;
        FAIL_CHECK("interpreter bypass: " << shape.name << "\n"
                                          << bpffw::test::describe_case(filter.text, shape.packet));
      }
    }
  }
  MESSAGE(spec_drops << " (shape, filter) pairs the spec drops, " << judged_in_kernel << " of them in the kernel: "
                     << kernel_bypasses << " kernel bypasses, " << interpreter_bypasses << " interpreter bypasses");
  CHECK(spec_drops > 100);
  CHECK(kernel_bypasses == 0);
  CHECK(interpreter_bypasses == 0);
}
