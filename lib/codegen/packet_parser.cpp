// The packet parser's text (packet_parser.hpp says what it is and what it promises).
//
// Adding a field the parser must copy (one the table in fields/packet_fields.hpp cannot take from
// what ParsedPacket holds already):
//   1. add it to ParsedPacket; its offset here comes from offsetof, never a bare number;
//   2. copy it on both ways of every family that has it: the in-place loads of `in_place()` and
//      the out-of-line helper read, so that the two leave the same verifier state at the join;
//   3. if only some filters read it, make it a PacketParserVariant flag (an index bit, kPacketParserVariants)
//      and skip it otherwise: a filter must not pay for bytes it does not read;
//   4. run test/kernels/run-matrix: a verifier that accepts it proves nothing about the next.
#include "codegen/packet_parser.hpp"

#include <linux/bpf.h>

#include <cstddef>

namespace bpffw::codegen {
namespace {

using fields::ParsedPacket;

// Fields of struct __sk_buff and struct bpf_sock the parser reads (the verifier rewrites these).
constexpr std::size_t kSkbLen = offsetof(__sk_buff, len);
constexpr std::size_t kSkbProtocol = offsetof(__sk_buff, protocol);  // ethertype, network byte order
constexpr std::size_t kSkbData = offsetof(__sk_buff, data);          // the IP header, linear part
constexpr std::size_t kSkbDataEnd = offsetof(__sk_buff, data_end);   // the end of the linear part

// Where the parser writes (r9 points at the ParsedPacket).
constexpr std::size_t kTransport = offsetof(ParsedPacket, transport);
constexpr std::size_t kSrcAddr = offsetof(ParsedPacket, src_addr);
constexpr std::size_t kDstAddr = offsetof(ParsedPacket, dst_addr);
constexpr std::size_t kFragmentBits = offsetof(ParsedPacket, fragment_bits);
constexpr std::size_t kBuffer = offsetof(ParsedPacket, buffer);

constexpr int kIpv4HeaderSize = 20, kIpv6HeaderSize = 40;
constexpr int kExtFragment = 44, kExtAuth = 51, kLargestExtType = 60;
// Bits 0 (Hop-by-Hop), 43 (Routing), 44 (Fragment), 51 (Authentication), 60 (Destination Options).
constexpr unsigned long long kExtTypeBits = 1ull << 0 | 1ull << 43 | 1ull << 44 | 1ull << 51 | 1ull << 60;
constexpr int kMaxExtensionHeaders = 8;
// An extension header is at most 2,048 bytes, so after 8 the transport header starts below
// 40 + 8 * 2048: a bound the verifier can use for the in-place reads at that offset.
constexpr int kLargestTransportOffset = 0x7fff;
static_assert(kIpv6HeaderSize + kMaxExtensionHeaders * 2048 <= kLargestTransportOffset);

// The transport headers the parser checks: the bytes each must have (else the packet is
// malformed), how many it copies into ParsedPacket::transport, and what they hold.
struct TransportHeader {
  const char* name;
  std::uint64_t protocol;
  int minimum;
  int copied;
  std::uint8_t holds;
};
constexpr TransportHeader kTcp{"tcp", kProtoTcp, 20, 16, kHoldsPorts | kHoldsTcp};
constexpr TransportHeader kUdp{"udp", kProtoUdp, 8, 4, kHoldsPorts};
constexpr TransportHeader kIcmp{"icmp", kProtoIcmp, 4, 4, kHoldsIcmp};
constexpr TransportHeader kIcmpv6{"icmpv6", kProtoIcmpv6, 4, 4, kHoldsIcmp};
static_assert(kTcp.copied <= static_cast<int>(sizeof(ParsedPacket::transport)));
constexpr int kPortBytes = 4;  // source and destination port, first in TCP and UDP

std::string n(long long value) { return std::to_string(value); }
std::string at(std::size_t offset) { return "(r9 + " + n(static_cast<long long>(offset)) + ")"; }

// Loads and stores that copy `size` bytes (4, 8 or 16) from `base` + `from` to r9 + `to`, via r1.
// The helper way copies what bpf_skb_load_bytes put in the buffer the same way as the in-place
// way copies from the packet: both then leave the same kind of stack slots (spilled registers),
// so the verifier prunes the helper way at the join instead of walking the rest twice.
std::string copy(const std::string& base, int from, int size, std::size_t to) {
  std::string text;
  for (int done = 0; done < size;) {
    int step = size - done >= 8 ? 8 : 4;
    const std::string width = step == 8 ? "u64" : "u32";
    text += "r1 = *(" + width + " *)(" + base + " + " + n(from + done) + ")\n";
    text += "*(" + width + " *)" + at(to + static_cast<std::size_t>(done)) + " = r1\n";
    done += step;
  }
  return text;
}

// The parser's text, built line by line. Labels start with ".L" (assembler-local: no symbols in
// the object); out-of-line blocks (the helper reads) are collected and placed after the hot path.
class PacketParserText {
 public:
  explicit PacketParserText(const PacketParserVariant& variant) : variant_(variant) {}

  const PacketParserVariant& variant() const { return variant_; }
  void line(const std::string& text) { hot_ += text + "\n"; }
  void lines(const std::string& text) { hot_ += text; }
  void label(const std::string& name) { hot_ += ".Lbpffw_" + name + ":\n"; }
  static std::string to(const std::string& name) { return ".Lbpffw_" + name; }

  // When the packet bytes [r2 + offset, r2 + offset + size) lie in the linear data (r2 = skb->data
  // and r3 = skb->data_end on entry; offset a register, or empty for 0): r2 += offset, then
  // `loads`, which read them through r2. Otherwise, jumps to the out-of-line block `slow`.
  void in_place(const std::string& offset, int size, const std::string& slow, const std::string& loads) {
    if (variant_.helper_only) {
      line("goto " + to(slow));
      return;
    }
    if (!offset.empty()) line("r2 += " + offset);
    line("r1 = r2");
    line("r1 += " + n(size));
    line("if r1 > r3 goto " + to(slow));
    hot_ += loads;
  }
  static std::string data_pointers() {
    return "r2 = *(u32 *)(r6 + " + n(kSkbData) + ")\nr3 = *(u32 *)(r6 + " + n(kSkbDataEnd) + ")\n";
  }

  // Lines that copy `size` packet bytes at `offset` (a register or a number) to r9 + `to` with
  // bpf_skb_load_bytes, which reads wherever the bytes lie and fails exactly when the packet is
  // shorter (then it is malformed).
  static std::string helper_read(const std::string& offset, int size, std::size_t into) {
    return "r1 = r6\nr2 = " + offset + "\nr3 = r9\nr3 += " + n(static_cast<long long>(into)) + "\nr4 = " +
           n(size) + "\ncall " + n(BPF_FUNC_skb_load_bytes) + "\nif r0 != 0 goto " + to("malformed") + "\n";
  }
  // An out-of-line block `name`: `text`, which ends in a jump back.
  void cold(const std::string& name, const std::string& text) { cold_ += ".Lbpffw_" + name + ":\n" + text; }

  std::string text() const { return hot_ + cold_; }

 private:
  PacketParserVariant variant_;
  std::string hot_;
  std::string cold_;
};

// Jumps to `not_extension` unless r7 is one of the five IPv6 extension header types.
void unless_extension(PacketParserText& p, const std::string& not_extension) {
  p.line("if r7 > " + n(kLargestExtType) + " goto " + p.to(not_extension));
  p.line("r1 = " + n(static_cast<long long>(kExtTypeBits)) + " ll");
  p.line("r1 >>= r7");
  p.line("r1 &= 1");
  p.line("if r1 == 0 goto " + p.to(not_extension));
}

// skb->protocol read as a little-endian u32: IPv4 0x0008, IPv6 0xDD86; anything else is not IP.
void dispatch(PacketParserText& p) {
  p.line("r1 = *(u32 *)(r6 + " + n(kSkbProtocol) + ")");
  p.line("r7 = 0");
  p.line("r8 = 0");
  p.line("if r1 == 8 goto " + p.to("ipv4"));
  p.line("if r1 == 56710 goto " + p.to("ipv6"));
  p.line("r0 = " + n(kPacketParserNotIp));
  p.line("goto " + p.to("end"));
}

// How many of a transport header's bytes this variant copies (0: it checks the length only).
int copied(const PacketParserVariant& variant, const TransportHeader& h) {
  const bool tcp = h.protocol == kProtoTcp, udp = h.protocol == kProtoUdp;
  if (tcp && variant.tcp_header) return h.copied;
  if ((tcp || udp) && variant.ports) return kPortBytes;
  return !tcp && !udp && variant.icmp ? h.copied : 0;
}

// One transport header of a family: complete (else malformed), and, when the variant copies some
// of it, r8 = what the copied bytes hold. Protocol r7 at offset r8, r2/r3 = data/data_end.
void transport_header(PacketParserText& p, const std::string& family, std::uint64_t status,
                      const TransportHeader& h) {
  const std::string name = family + "_" + h.name;
  const std::string end = "r0 = " + n(static_cast<long long>(status)) + "\ngoto " + p.to("end") + "\n";
  const std::string complete = "r1 = " + n(h.minimum) + "\nr1 += r8\nr2 = *(u32 *)(r6 + " + n(kSkbLen) +
                               ")\nif r1 > r2 goto " + p.to("malformed") + "\n";
  const int size = copied(p.variant(), h);
  p.label(name);
  if (size == 0) {
    p.lines(complete + "r8 = 0\n" + end);
    return;
  }
  // In place, the header lies in the linear data, so within the packet: no length check needed.
  // The verifier learns a packet range from a constant added to the pointer, so each header has
  // its own check.
  p.in_place("r8", h.minimum, name + "_helper", copy("r2", 0, size, kTransport));
  p.label(name + "_copied");
  const std::uint8_t holds = size >= 14 ? h.holds : static_cast<std::uint8_t>(h.holds & ~kHoldsTcp);
  p.line("r8 = " + n(holds));
  p.lines(end);
  p.cold(name + "_helper", complete + PacketParserText::helper_read("r8", size, kBuffer) +
                               copy("r9", static_cast<int>(kBuffer), size, kTransport) + "goto " +
                               p.to(name + "_copied") + "\n");
}

// The ICMP header's 4 bytes (§5.4), checked without branching on the protocol when the filter
// reads nothing of it: the packet must hold offset r8 + 4 * (r7 == protocol). A branch would
// make the verifier walk an ICMP path of its own to the end.
void icmp_length_check(PacketParserText& p, std::uint64_t protocol) {
  p.line("r1 = r7");
  p.line("r1 ^= " + n(static_cast<long long>(protocol)));
  p.line("r1 += -1");
  p.line("r1 >>= 63");  // 1 for the ICMP of the family (r7 < 256), else 0
  p.line("r1 <<= 2");
  p.line("r1 += r8");
  p.line("r2 = *(u32 *)(r6 + " + n(kSkbLen) + ")");
  p.line("if r1 > r2 goto " + p.to("malformed"));
}

// The transport header of protocol r7 at offset r8 (r2/r3 = skb->data/data_end): TCP, UDP and,
// when the filter reads ICMP fields, the family's ICMP are checked and copied; other protocols
// jump to FAMILY_other, which the caller emits. Ends with r0 = status.
void transport(PacketParserText& p, const std::string& family, std::uint64_t status,
               const TransportHeader& icmp) {
  p.label(family + "_transport");
  p.line("if r7 == " + n(kProtoTcp) + " goto " + p.to(family + "_tcp"));
  if (p.variant().icmp)
    p.line("if r7 == " + n(static_cast<long long>(icmp.protocol)) + " goto " + p.to(family + "_" + icmp.name));
  p.line("if r7 != " + n(kProtoUdp) + " goto " + p.to(family + "_other"));
  transport_header(p, family, status, kUdp);
  transport_header(p, family, status, kTcp);
  if (p.variant().icmp) transport_header(p, family, status, icmp);
}

// The end of a packet without a transport header to read (another protocol, or a non-first
// fragment): `transport` holds nothing.
void no_transport(PacketParserText& p, const std::string& family, std::uint64_t status) {
  p.label(family + "_no_transport");
  p.line("r8 = 0");
  p.line("r0 = " + n(static_cast<long long>(status)));
  p.line("goto " + p.to("end"));
}

// The addresses, for the in-place loads (r2 = the IP header) and the helper way.
std::string addresses_in_place(int src, int size) {
  return copy("r2", src, size, kSrcAddr) + copy("r2", src + size, size, kDstAddr);
}
// Through the buffer, which this overwrites.
std::string addresses_by_helper(int src, int size) {
  const int buffer = static_cast<int>(kBuffer);
  return PacketParserText::helper_read(n(src), size, kBuffer) + copy("r9", buffer, size, kSrcAddr) +
         PacketParserText::helper_read(n(src + size), size, kBuffer) + copy("r9", buffer, size, kDstAddr);
}

// IPv4: version 4, IHL >= 5, IHL * 4 bytes present; fragment offset at 6, protocol at 9, the
// addresses at 12 and 16. A non-first fragment has a protocol but no transport header. Reading
// the transport header in place also shows the IP header is complete; only the others check that.
void ipv4(PacketParserText& p) {
  const bool addresses = p.variant().addresses;
  p.label("ipv4");
  p.lines(PacketParserText::data_pointers());
  p.in_place("", kIpv4HeaderSize, "ipv4_helper",
             (addresses ? addresses_in_place(12, 4) : "") +
                 "r1 = *(u8 *)(r2 + 0)\nr4 = *(u16 *)(r2 + 6)\nr7 = *(u8 *)(r2 + 9)\n");
  p.label("ipv4_read");  // r1 = version and IHL, r4 = flags and fragment offset as read, r7 = protocol
  p.line("r8 = r1");
  p.line("r8 &= 15");
  p.line("r1 &= 240");
  p.line("if r1 != 64 goto " + p.to("malformed"));
  p.line("if r8 < 5 goto " + p.to("malformed"));
  p.line("r8 <<= 2");
  p.line("r4 &= 65311");  // the 13 offset bits of the big-endian field, read little-endian: 0xff1f
  p.line("if r4 != 0 goto " + p.to("ipv4_fragment"));  // a non-first fragment; else the transport header
  transport(p, "ipv4", kPacketParserIpv4, kIcmp);
  p.label("ipv4_other");  // the IP header (and an ICMP header) must lie within the packet
  if (!p.variant().icmp) {
    icmp_length_check(p, kProtoIcmp);
    p.line("goto " + p.to("ipv4_no_transport"));
  }
  p.label("ipv4_fragment");  // the IP header must lie within the packet
  p.line("r1 = *(u32 *)(r6 + " + n(kSkbLen) + ")");
  p.line("if r8 > r1 goto " + p.to("malformed"));
  no_transport(p, "ipv4", kPacketParserIpv4);
  // 10 bytes are enough for the fields; the IHL check then finds a shorter header.
  // The addresses go through the buffer too, so they come first.
  p.cold("ipv4_helper", (addresses ? addresses_by_helper(12, 4) : "") +
                            PacketParserText::helper_read("0", 10, kBuffer) + "r1 = *(u8 *)" + at(kBuffer) +
                            "\nr4 = *(u16 *)" + at(kBuffer + 6) + "\nr7 = *(u8 *)" + at(kBuffer + 9) + "\n" +
                            PacketParserText::data_pointers() + "goto " + p.to("ipv4_read") + "\n");
}

// One extension header at r8, of type r7 (known to be one), then the next: at most 8, a 9th is
// malformed. Unrolled: older verifiers (5.10, 6.1) refuse a loop whose counter lives in the
// stack ("infinite loop detected"), and the copies cost nothing on the common path. The header
// size comes without branching on the type, so the verifier walks one path per header whatever
// the chain: Fragment 8, Authentication (length + 2) * 4, the others (length + 1) * 8.
void extension_header(PacketParserText& p, int index) {
  const std::string name = "extension" + n(index);
  const std::string read = name + "_read";
  p.label(name);
  p.lines(PacketParserText::data_pointers());
  p.in_place("r8", 4, name + "_helper", "r1 = *(u8 *)(r2 + 0)\nr3 = *(u16 *)(r2 + 2)\nr2 = *(u8 *)(r2 + 1)\n");
  p.label(read);  // r1 = next header, r2 = length field, r3 = Fragment offset field as read
  // r4 = -1 for a Fragment header, else 0: ((type ^ 44) - 1) >> 63, arithmetic (type < 64).
  p.line("r4 = r7");
  p.line("r4 ^= " + n(kExtFragment));
  p.line("r4 += -1");
  p.line("r4 s>>= 63");
  // A Fragment header's 13 offset bits (non-zero: a non-first fragment), kept across the chain.
  p.line("r3 &= 63743");  // 0xf8ff: the offset bits of the big-endian field, read little-endian
  p.line("r3 &= r4");
  p.line("r5 = *(u64 *)" + at(kFragmentBits));
  p.line("r5 |= r3");
  p.line("*(u64 *)" + at(kFragmentBits) + " = r5");
  // Size: (length + 1) << 3, with length 0 for Fragment, and (length + 2) << 2 for AH.
  p.line("r4 ^= -1");
  p.line("r2 &= r4");
  p.line("r4 = r7");
  p.line("r4 ^= " + n(kExtAuth));
  p.line("r4 += -1");
  p.line("r4 >>= 63");  // 1 for AH, else 0
  p.line("r2 += 1");
  p.line("r2 += r4");
  p.line("r3 = 3");
  p.line("r3 -= r4");
  p.line("r2 <<= r3");
  p.line("r7 = r1");
  p.line("r8 += r2");
  p.line("r1 = *(u32 *)(r6 + " + n(kSkbLen) + ")");
  p.line("if r8 > r1 goto " + p.to("malformed"));  // the header runs past the end of the packet
  p.line("if r8 > " + n(kLargestTransportOffset) + " goto " + p.to("malformed"));  // never; bounds r8
  unless_extension(p, "chain_end");
  p.cold(name + "_helper", PacketParserText::helper_read("r8", 4, kBuffer) + "r1 = *(u8 *)" + at(kBuffer) +
                               "\nr3 = *(u16 *)" + at(kBuffer + 2) + "\nr2 = *(u8 *)" + at(kBuffer + 1) +
                               "\ngoto " + p.to(read) + "\n");
}

// IPv6: version 6, 40 bytes present; next header at 6, the addresses at 8 and 24. TCP, UDP and
// ICMPv6, the common next headers, go straight to the transport header at 40; the others may
// start an extension-header chain.
void ipv6(PacketParserText& p) {
  const bool addresses = p.variant().addresses;
  p.label("ipv6");
  p.lines(PacketParserText::data_pointers());
  p.in_place("", kIpv6HeaderSize, "ipv6_helper",
             (addresses ? addresses_in_place(8, 16) : "") + "r1 = *(u8 *)(r2 + 0)\nr7 = *(u8 *)(r2 + 6)\n");
  p.label("ipv6_read");  // r1 = version and traffic class, r7 = next header
  p.line("r1 &= 240");
  p.line("if r1 != 96 goto " + p.to("malformed"));
  p.line("r8 = " + n(kIpv6HeaderSize));
  transport(p, "ipv6", kPacketParserIpv6, kIcmpv6);
  p.label("ipv6_other");
  if (!p.variant().icmp) icmp_length_check(p, kProtoIcmpv6);  // 0 bytes more for an extension header
  unless_extension(p, "ipv6_no_transport");
  p.line("r1 = 0");
  p.line("*(u64 *)" + at(kFragmentBits) + " = r1");
  for (int index = 1; index <= kMaxExtensionHeaders; ++index) extension_header(p, index);
  p.line("goto " + p.to("malformed"));  // a 9th extension header
  // The chain's end: a protocol that is no extension header, at r8.
  p.label("chain_end");
  p.line("r1 = *(u64 *)" + at(kFragmentBits));
  p.line("if r1 != 0 goto " + p.to("ipv6_no_transport"));  // a non-first fragment
  p.lines(PacketParserText::data_pointers());
  p.line("if r7 == " + n(kProtoTcp) + " goto " + p.to("ipv6_tcp"));
  p.line("if r7 == " + n(kProtoUdp) + " goto " + p.to("ipv6_udp"));
  if (p.variant().icmp) {
    p.line("if r7 == " + n(kProtoIcmpv6) + " goto " + p.to("ipv6_icmpv6"));
  } else {
    icmp_length_check(p, kProtoIcmpv6);
  }
  no_transport(p, "ipv6", kPacketParserIpv6);
  p.cold("ipv6_helper", "r1 = *(u32 *)(r6 + " + n(kSkbLen) + ")\nif r1 < " + n(kIpv6HeaderSize) + " goto " +
                            p.to("malformed") + "\n" + (addresses ? addresses_by_helper(8, 16) : "") +
                            PacketParserText::helper_read("0", 8, kBuffer) + "r1 = *(u8 *)" + at(kBuffer) +
                            "\nr7 = *(u8 *)" + at(kBuffer + 6) + "\n" + PacketParserText::data_pointers() + "goto " +
                            p.to("ipv6_read") + "\n");
}

void malformed(PacketParserText& p) {
  p.label("malformed");  // the program drops the packet; the fields hold whatever they hold
  p.line("r0 = " + n(kPacketParserMalformed));
  p.line("r7 = 0");
  p.line("r8 = 0");
  p.line("goto " + p.to("end"));
}

}  // namespace

std::string packet_parser_asm(const PacketParserVariant& variant) {
  PacketParserText p(variant);
  dispatch(p);
  ipv4(p);
  ipv6(p);
  malformed(p);
  // The helper reads, then the end, which the inline asm falls out of.
  return p.text() + ".Lbpffw_end:\n";
}

bool transport_bytes_only_for(const PacketParserVariant& variant, fields::Guard guard, std::size_t offset) {
  auto has = [guard](const TransportHeader& h) {
    switch (guard) {
      case fields::Guard::TcpOrUdp: return h.protocol == kProtoTcp || h.protocol == kProtoUdp;
      case fields::Guard::Tcp: return h.protocol == kProtoTcp;
      case fields::Guard::Icmp: return h.protocol == kProtoIcmp || h.protocol == kProtoIcmpv6;
      default: return false;
    }
  };
  for (const TransportHeader* h : {&kTcp, &kUdp, &kIcmp, &kIcmpv6})
    if (!has(*h) && copied(variant, *h) > static_cast<int>(offset)) return false;
  return true;
}

}  // namespace bpffw::codegen
