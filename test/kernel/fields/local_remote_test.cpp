// local_addr, remote_addr, local_port and remote_port (docs/filter-language.md §4.6), compiled
// with ParseOptions::direction, and `established` in the kernel's test run (§4.5), verdicts
// written by hand: on ingress the local end is the destination, on egress the source.
#include <doctest/doctest.h>

#include "../verdict_table.hpp"

namespace {

using bpffw::Direction;
using bpffw::test::check_rows;
using bpffw::test::kDrop;
using bpffw::test::kPass;
using bpffw::test::packet_of;

constexpr Direction kIngress = Direction::Ingress;
constexpr Direction kEgress = Direction::Egress;

}  // namespace

TEST_CASE("§4.6 local_port and remote_port: dst_port and src_port on ingress, the other way on egress") {
  bpffw::packet::Packet web = packet_of("ipv4 tcp sport=40000 dport=443");
  bpffw::packet::Packet dns = packet_of("ipv6 udp sport=53 dport=5353");
  check_rows({
      {"ingress: local is the destination", "local_port == 443", web, kPass, kIngress},
      {"egress: local is the source", "local_port == 443", web, kDrop, kEgress},
      {"egress: local is the source", "local_port == 40000", web, kPass, kEgress},
      {"ingress: remote is the source", "remote_port == 40000", web, kPass, kIngress},
      {"egress: remote is the destination", "remote_port == 443", web, kPass, kEgress},
      {"ingress: UDP on IPv6", "local_port == 5353 && remote_port == 53", dns, kPass, kIngress},
      {"egress: UDP on IPv6", "local_port == 53 && remote_port == 5353", dns, kPass, kEgress},
      {"egress: UDP on IPv6 (negative)", "local_port == 5353", dns, kDrop, kEgress},
      {"ingress: the same as dst_port", "local_port == dst_port && remote_port == src_port", web, kPass, kIngress},
      {"egress: the same as src_port", "local_port == src_port && remote_port == dst_port", web, kPass, kEgress},
      {"no ports on ICMP", "local_port == 0 && remote_port == 0", packet_of("ipv4 icmp"), kPass, kEgress},
      {"no ports on a non-first fragment", "local_port == 0", packet_of("ipv6 frag=8 tcp dport=443"), kPass, kIngress},
      {"a server's requests and replies, ingress", "tcp && local_port == 8080",
       packet_of("ipv4 tcp sport=50000 dport=8080"), kPass, kIngress},
      {"a server's requests and replies, egress", "tcp && local_port == 8080",
       packet_of("ipv4 tcp sport=8080 dport=50000"), kPass, kEgress},
      {"malformed: dropped", "local_port != 1", packet_of("ipv4 tcp cut=30"), kDrop, kIngress},
  });
}

TEST_CASE("§4.6 local_addr and remote_addr: dst_addr and src_addr on ingress, the other way on egress") {
  bpffw::packet::Packet v4 = packet_of("ipv4 src=192.0.2.1 dst=10.0.0.9 udp");
  bpffw::packet::Packet v6 = packet_of("ipv6 src=2001:db8::1 dst=fd00::9 tcp");
  check_rows({
      {"ingress: local is the destination", "local_addr == 10.0.0.0/8", v4, kPass, kIngress},
      {"egress: local is the source", "local_addr == 10.0.0.0/8", v4, kDrop, kEgress},
      {"egress: local is the source", "local_addr == 192.0.2.1", v4, kPass, kEgress},
      {"ingress: remote is the source", "remote_addr == 192.0.2.0/24", v4, kPass, kIngress},
      {"egress: remote is the destination", "remote_addr == 10.0.0.9", v4, kPass, kEgress},
      {"ingress: IPv6", "local_addr == fd00::/8 && remote_addr == 2001:db8::/32", v6, kPass, kIngress},
      {"egress: IPv6", "local_addr == 2001:db8::1 && remote_addr == fd00::9", v6, kPass, kEgress},
      {"egress: IPv6 (negative)", "local_addr == fd00::/8", v6, kDrop, kEgress},
      {"internal network only, both families", "remote_addr in {10.0.0.0/8, fd00::/8}", v6, kPass, kEgress},
      {"internal network only, both families (negative)", "remote_addr in {10.0.0.0/8, fd00::/8}", v6, kDrop, kIngress},
      {"ingress: local_addr is dst_addr", "local_addr == dst_addr && remote_addr == src_addr", v4, kPass, kIngress},
      {"egress: local_addr is not dst_addr", "local_addr == dst_addr", v4, kDrop, kEgress},
      {"egress: local_addr is src_addr", "local_addr == src_addr && remote_addr == dst_addr", v6, kPass, kEgress},
      {"local == remote on a packet to itself", "local_addr == remote_addr",
       packet_of("ipv4 src=127.0.0.1 dst=127.0.0.1 tcp"), kPass, kIngress},
      {"not IP: no address", "local_addr != 10.0.0.9", packet_of("arp payload=28"), kPass, kIngress},
      {"not IP: no address", "remote_addr == 0.0.0.0/0", packet_of("arp payload=28"), kDrop, kEgress},
  });
}

TEST_CASE("§4.5 established is 0 in the kernel's test run, which has no socket") {
  check_rows({
      {"established", "established", packet_of("ipv4 tcp flags=syn,ack"), kDrop},
      {"!established", "!established", packet_of("ipv6 udp"), kPass},
      {"established on egress", "established == 0", packet_of("ipv4 tcp"), kPass, kEgress},
      {"the spec's inbound filter: 443 served", "established || (tcp && local_port == 443)",
       packet_of("ipv4 tcp dport=443"), kPass, kIngress},
      {"the spec's inbound filter: 22 refused", "established || (tcp && local_port == 443)",
       packet_of("ipv4 tcp dport=22"), kDrop, kIngress},
      {"a malformed packet is dropped", "!established", packet_of("ipv4 icmp cut=22"), kDrop},
  });
}
