// judge_flow (bpffw/interpreter.hpp): the condition flow::may_pass makes of the filter, which the
// socket programs compile, evaluated on the flow's first packet's facts (docs/filter-language.md
// §10). The condition reads only what the flow fixes; the rest of the facts stay unset.
#include <bpffw/interpreter.hpp>

#include <algorithm>
#include <array>
#include <optional>
#include <vector>

#include "flow/may_pass.hpp"
#include "interpreter/evaluate.hpp"
#include "parser/filter_access.hpp"

namespace bpffw {
namespace {

constexpr std::uint8_t kTcp = 6, kUdp = 17;

// What a socket hook knows of every packet it judges: the family, the protocol and the port.
interpreter::PacketFacts socket_facts(bool ipv6, std::uint8_t protocol, std::uint16_t port) {
  interpreter::PacketFacts facts;
  facts.ip = ipv6 ? 0 : 1;
  facts.ipv6 = ipv6 ? 1 : 0;
  facts.tcp = protocol == kTcp;
  facts.udp = protocol == kUdp;
  facts.dst_port = port;
  return facts;
}

std::vector<std::int64_t> parameter_values(const Filter& filter) {
  std::vector<std::int64_t> values;
  for (const Parameter& parameter : filter.parameters()) values.push_back(parameter.value);
  return values;
}

}  // namespace

FlowVerdict judge_flow(const Filter& filter, const Flow& flow) {
  // Another protocol's socket (ping, raw): its packets are not a SYN or a datagram. UDP's
  // connect() sends nothing (its sends are judged).
  if (flow.protocol != kTcp && flow.protocol != kUdp) return FlowVerdict{false};
  if (flow.protocol == kUdp && flow.connected) return FlowVerdict{false};
  // An unspecified destination (0.0.0.0, ::): the kernel sends the packets to loopback or to the
  // socket's own address, after the hook, where it is not known.
  if (std::all_of(flow.remote_addr.begin(), flow.remote_addr.end(), [](std::uint8_t b) { return b == 0; }))
    return FlowVerdict{false};
  interpreter::PacketFacts facts = socket_facts(flow.ipv6, flow.protocol, flow.remote_port);
  facts.dst_addr = {flow.ipv6 ? 6 : 4, flow.remote_addr};
  const SocketState state = flow.protocol == kTcp ? SocketState::TcpSynSent
                            : flow.connected      ? SocketState::UdpConnected
                                                  : SocketState::UdpUnconnected;
  ast::ExprPtr condition = flow::may_pass(detail::FilterAccess::root(filter));
  std::int64_t may_pass = interpreter::evaluate_expression(*condition, facts, parameter_values(filter),
                                                           Direction::Egress, PacketSocket(state), filter.sets());
  return FlowVerdict{may_pass == 0};
}

FlowVerdict judge_binding(const Filter& filter, const Binding& binding) {
  if ((binding.protocol != kTcp && binding.protocol != kUdp) || binding.local_port == 0) return FlowVerdict{false};
  // The families the socket receives, each with the address bound (none: any address of it).
  struct Receives {
    bool ipv6;
    std::optional<std::array<std::uint8_t, 16>> address;
  };
  auto zero = [](auto begin, auto end) { return std::all_of(begin, end, [](std::uint8_t b) { return b == 0; }); };
  const auto& bytes = binding.local_addr;
  std::vector<Receives> receives;
  const bool mapped = binding.ipv6 && zero(bytes.begin(), bytes.begin() + 10) && bytes[10] == 0xff && bytes[11] == 0xff;
  if (!binding.ipv6 || mapped) {
    std::array<std::uint8_t, 16> ipv4{};
    std::copy_n(bytes.begin() + (mapped ? 12 : 0), 4, ipv4.begin());
    receives.push_back({false, zero(ipv4.begin(), ipv4.end()) ? std::nullopt : std::optional(ipv4)});
  } else if (zero(bytes.begin(), bytes.end())) {
    receives = {{false, std::nullopt}, {true, std::nullopt}};
  } else {
    receives.push_back({true, bytes});
  }
  const std::vector<std::int64_t> parameters = parameter_values(filter);
  for (const Receives& family : receives) {
    interpreter::PacketFacts facts = socket_facts(family.ipv6, binding.protocol, binding.local_port);
    if (family.address) facts.dst_addr = {family.ipv6 ? 6 : 4, *family.address};
    ast::ExprPtr condition =
        flow::may_pass(detail::FilterAccess::root(filter),
                       family.address ? flow::Judged::ToBoundAddress : flow::Judged::ToBoundWildcard);
    if (interpreter::evaluate_expression(*condition, facts, parameters, Direction::Ingress, PacketSocket(),
                                         filter.sets()) != 0)
      return FlowVerdict{false};
  }
  return FlowVerdict{true};
}

}  // namespace bpffw
