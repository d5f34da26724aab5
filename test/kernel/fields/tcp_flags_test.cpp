// tcp_flags (docs/filter-language.md §4.3) and the flag names (§4.4), verdicts written by hand:
// byte 13 of the TCP header wherever the header lies, 0 for everything else, masks as iptables
// writes them, the `&` precedence trap of §3, and headers cut before and after the flags byte.
#include <doctest/doctest.h>

#include "../verdict_table.hpp"

using namespace bpffw::test;

TEST_CASE("§4.4 each flag name is its bit of byte 13") {
  const char* names[] = {"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"};
  std::vector<VerdictRow> rows;
  for (int bit = 0; bit < 8; ++bit) {
    std::string name = names[bit];
    std::string flags = "flags=" + std::to_string(1 << bit);
    bpffw::packet::Packet alone = packet_of("ipv4 tcp " + flags);
    rows.push_back({name + " alone", "tcp_flags == " + name, alone, kPass});
    rows.push_back({name + " alone, as a number", "tcp_flags == " + std::to_string(1 << bit), alone, kPass});
    rows.push_back({name + " under its mask", "(tcp_flags & " + name + ") != 0", alone, kPass});
    rows.push_back({"every flag but " + name, "(tcp_flags & " + name + ") != 0",
                    packet_of("ipv6 tcp flags=" + std::to_string(0xff & ~(1 << bit))), kDrop});
  }
  check_rows(rows);
}

TEST_CASE("§4.3 masks: a new connection, resets, all and none") {
  const std::string syn_only = "tcp && (tcp_flags & (SYN | ACK)) == SYN";
  check_rows({
      {"--syn: SYN", syn_only, packet_of("ipv4 tcp flags=syn"), kPass},
      {"--syn: SYN with ECE and CWR", syn_only, packet_of("ipv4 tcp flags=syn,ece,cwr"), kPass},
      {"--syn: SYN-ACK", syn_only, packet_of("ipv4 tcp flags=syn,ack"), kDrop},
      {"--syn: ACK", syn_only, packet_of("ipv6 tcp flags=ack"), kDrop},
      {"--syn: nothing", syn_only, packet_of("ipv6 tcp flags=0"), kDrop},
      {"resets", "tcp && (tcp_flags & RST) != 0", packet_of("ipv4 tcp flags=rst,ack"), kPass},
      {"resets (negative)", "tcp && (tcp_flags & RST) != 0", packet_of("ipv4 tcp flags=fin,ack"), kDrop},
      {"all eight", "tcp_flags == 0xff", packet_of("ipv4 tcp flags=0xff"), kPass},
      {"all eight by name", "tcp_flags == (FIN | SYN | RST | PSH | ACK | URG | ECE | CWR)",
       packet_of("ipv6 tcp flags=fin,syn,rst,psh,ack,urg,ece,cwr"), kPass},
      {"none", "tcp && tcp_flags == 0", packet_of("ipv4 tcp flags=0"), kPass},
      {"the value is at most 255", "tcp_flags > 255 || tcp_flags < 0", packet_of("ipv4 tcp flags=0xff"), kDrop},
      {"§3: & binds looser than ==, SYN == SYN is 1, so this is tcp_flags & 1", "tcp_flags & SYN == SYN",
       packet_of("ipv4 tcp flags=syn"), kDrop},
      {"§3: ... and FIN makes it pass", "tcp_flags & SYN == SYN", packet_of("ipv4 tcp flags=fin"), kPass},
  });
}

TEST_CASE("§4.3 tcp_flags is 0 when the packet is not TCP or is a non-first fragment") {
  check_rows({
      {"UDP with a payload byte where TCP's flags would be", "tcp_flags == 0", packet_of("ipv4 udp payload=20"), kPass},
      {"ICMP", "tcp_flags == 0", packet_of("ipv6 icmpv6 payload=20"), kPass},
      {"not IP", "tcp_flags == 0", packet_of("arp payload=40"), kPass},
      {"an IPv4 non-first fragment", "tcp_flags == 0", packet_of("ipv4 frag=3 tcp flags=0x12"), kPass},
      {"an IPv6 non-first fragment", "tcp_flags == 0", packet_of("ipv6 frag=3 tcp flags=0x12"), kPass},
      {"an IPv4 first fragment (MF)", "tcp_flags == 0x12", packet_of("ipv4 mf tcp flags=0x12"), kPass},
      {"an IPv6 first fragment", "tcp_flags == 0x12", packet_of("ipv6 frag=0 tcp flags=0x12"), kPass},
  });
}

TEST_CASE("§4.3 byte 13 wherever the TCP header lies") {
  check_rows({
      {"after 40 bytes of IPv4 options", "tcp_flags == (PSH | ACK)", packet_of("ipv4 options=40 tcp flags=psh,ack"),
       kPass},
      {"after IPv4 options (negative)", "tcp_flags == (PSH | ACK)", packet_of("ipv4 options=40 tcp flags=ack"), kDrop},
      {"after three extension headers", "tcp_flags == (FIN | ACK)",
       packet_of("ipv6 hbh=1 ah=2 dstopts tcp flags=fin,ack"), kPass},
      {"after 8 extension headers", "tcp_flags == URG",
       packet_of("ipv6 hbh routing dstopts ah frag dstopts routing hbh tcp flags=urg"), kPass},
      {"with a payload behind it", "tcp_flags == CWR", packet_of("ipv4 tcp flags=cwr payload=100"), kPass},
  });
}

TEST_CASE("§5.4 §5.6 a TCP header cut before or after the flags byte is malformed") {
  std::vector<VerdictRow> rows;
  for (int bytes : {0, 12, 13, 14, 19}) {
    std::string what = "ipv4 tcp, " + std::to_string(bytes) + " of its 20 bytes";
    rows.push_back({what, "tcp_flags == 0 || tcp_flags != 0",
                    packet_of("ipv4 tcp flags=0x12 cut=" + std::to_string(20 + bytes)), kDrop});
    rows.push_back(
        {"ipv6 hbh " + what.substr(5), "!tcp", packet_of("ipv6 hbh tcp cut=" + std::to_string(48 + bytes)), kDrop});
  }
  rows.push_back({"all 20 bytes", "tcp_flags == 0x12", packet_of("ipv4 tcp flags=0x12 len=40"), kPass});
  rows.push_back({"a non-first fragment cut before the flags", "tcp && tcp_flags == 0",
                  packet_of("ipv4 frag=1 tcp cut=30"), kPass});
  check_rows(rows);
}
