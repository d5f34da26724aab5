// bpffw-difftest --flows (issue 29): an egress filter's socket programs judged on real sockets
// against judge_flow, and judge_flow's refusals against the packet interpreter; the same text as an
// ingress filter's bind programs (--refuse-bind) against judge_binding, and its refusals against
// the interpreter's verdicts on random packets that could reach the bound socket. Random egress
// filters, each with random flows (TCP connect(), connect() then send() on UDP, sendto() on
// unconnected UDP; IPv4, IPv6, and IPv4-mapped destinations on AF_INET6 sockets). Each flow is
// made by a worker process in a scratch cgroup where only the socket programs are attached, and in
// a network namespace of its own with nothing but `lo` (nothing leaves the machine): EPERM is a
// refusal, any other outcome is not. Every refusal must be judge_flow's, and every refused
// flow's random first packets must all be dropped by the interpreter (docs/filter-language.md §10).
#pragma once

#include <cstdint>

#include <bpffw/error.hpp>

#include "difftest.hpp"
#include "random/random_filter.hpp"

namespace bpffw::difftest {

struct FlowsOptions {
  std::uint64_t pairs = 100000;  // (refused flow, packet) pairs to check
  std::uint64_t seed = 1;
  unsigned flows_per_filter = 50;  // one compiled filter serves this many flows
  unsigned packets_per_flow = 20;  // random first packets of each refused flow
  unsigned max_reports = 3;        // mismatches and violations shown in full; all are counted
  random::RandomFilterOptions filter_options;
};

struct FlowsStats {
  std::uint64_t pairs = 0;  // (refused call, packet) pairs the interpreter judged
  std::uint64_t flows = 0;
  std::uint64_t to_port_0 = 0;         // sendto() port 0: EINVAL before the hooks (udp_sendmsg), not judged
  std::uint64_t refusals = 0;          // flows the kernel refused (EPERM)
  std::uint64_t bindings = 0;          // bind() calls under the same filters as ingress ones (--refuse-bind)
  std::uint64_t binding_refusals = 0;  // of them refused (EPERM)
  std::uint64_t mismatches =
      0;  // the kernel and judge_flow (judge_binding) disagree; every call of an unloadable filter
  std::uint64_t violations = 0;  // a refused call's packet that the interpreter passes
  std::uint64_t filters = 0;
  std::uint64_t unloadable =
      0;  // filters (as egress, as ingress) that do not parse, or whose programs do not compile or load
  double seconds = 0;
  // The check is decisive only if it refuses often: at least one flow in 20, one bind() in 100.
  bool decisive() const { return refusals * 20 >= flows && flows > 0 && binding_refusals * 100 >= bindings; }
};

// Runs until options.pairs pairs are checked (or, should refusals be rarer than one flow in 20,
// until as many flows as would then have given them). Needs root: it makes a cgroup under the
// cgroup2 mount (removed at the end), attaches programs there and makes a network namespace. An
// error means the system failed; disagreements are counted in the stats.
Result<FlowsStats> run_flows(const FlowsOptions& options, const LineSink& out);

}  // namespace bpffw::difftest
