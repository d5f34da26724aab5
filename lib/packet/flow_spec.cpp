#include "packet/flow_spec.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <string>

namespace bpffw::packet {
namespace {

constexpr const char* kFlowWords =
    "connect tcp|udp dst=ADDRESS dport=N, or sendto udp dst=ADDRESS dport=N (an unconnected UDP send)";

tl::unexpected<Error> flow_error(std::string_view spec, const std::string& what) {
  return make_error(ErrorKind::Usage, "flow '" + std::string(spec) + "': " + what, 0,
                    std::string("describe a flow as ") + kFlowWords);
}

}  // namespace

bool is_flow_spec(std::string_view spec) {
  const std::string_view first = spec.substr(0, spec.find(' '));
  return first == "connect" || first == "sendto";
}

Result<Flow> parse_flow_spec(std::string_view spec) {
  Flow flow;
  bool have_protocol = false, have_address = false, have_port = false;
  std::size_t at = 0;
  int index = 0;
  while (at < spec.size()) {
    std::size_t end = spec.find(' ', at);
    if (end == std::string_view::npos) end = spec.size();
    const std::string_view word = spec.substr(at, end - at);
    at = end + 1;
    if (word.empty()) continue;
    if (index++ == 0) {
      flow.connected = word == "connect";
      continue;
    }
    if (word == "tcp" || word == "udp") {
      flow.protocol = word == "tcp" ? 6 : 17;
      have_protocol = true;
    } else if (word.substr(0, 4) == "dst=") {
      const std::string text(word.substr(4));
      std::array<std::uint8_t, 16> v6{};
      if (::inet_pton(AF_INET, text.c_str(), flow.remote_addr.data()) == 1) {
        flow.ipv6 = false;
      } else if (::inet_pton(AF_INET6, text.c_str(), v6.data()) == 1) {
        // ::ffff:a.b.c.d leaves an AF_INET6 socket as the IPv4 packet it becomes.
        const bool mapped = std::all_of(v6.begin(), v6.begin() + 10, [](std::uint8_t b) { return b == 0; }) &&
                            v6[10] == 0xff && v6[11] == 0xff;
        flow.ipv6 = !mapped;
        flow.remote_addr = {};
        if (mapped) std::copy(v6.begin() + 12, v6.end(), flow.remote_addr.begin());
        else flow.remote_addr = v6;
      } else {
        return flow_error(spec, "'" + text + "' is not an IPv4 or IPv6 address");
      }
      have_address = true;
    } else if (word.substr(0, 6) == "dport=") {
      unsigned port = 0;
      const std::string_view text = word.substr(6);
      auto [end_of_number, error] = std::from_chars(text.data(), text.data() + text.size(), port);
      if (error != std::errc() || end_of_number != text.data() + text.size() || port > 65535)
        return flow_error(spec, "dport= takes a port, 0 to 65535");
      flow.remote_port = static_cast<std::uint16_t>(port);
      have_port = true;
    } else {
      return flow_error(spec, "unknown word '" + std::string(word) + "'");
    }
  }
  if (!have_protocol) return flow_error(spec, "say tcp or udp");
  if (!flow.connected && flow.protocol == 6)
    return flow_error(spec, "a TCP socket connects (TCP Fast Open's sendto() too): write connect tcp");
  if (!have_address || !have_port) return flow_error(spec, "a flow needs its destination: dst= and dport=");
  return flow;
}

std::string describe_flow(const Flow& flow) {
  char address[INET6_ADDRSTRLEN];
  ::inet_ntop(flow.ipv6 ? AF_INET6 : AF_INET, flow.remote_addr.data(), address, sizeof address);
  return std::string(flow.connected ? "connect " : "sendto ") + (flow.protocol == 6 ? "tcp " : "udp ") + address +
         " port " + std::to_string(flow.remote_port);
}

}  // namespace bpffw::packet
