// The packet parser's text (packet_parser.hpp says what it is and what it promises).
//
// Adding a field the parser must copy (one the table in fields/packet_fields.hpp cannot take from
// what ParsedPacket holds already):
//   1. add it to ParsedPacket; its offset here comes from offsetof, never a bare number;
//   2. copy it on both ways of every family that has it (fields read into registers: one FieldLoads
//      description, which gives both): the in-place loads of `in_place()` and
//      the out-of-line helper read, so that the two leave the same verifier state at the join;
//   3. if only some filters read it, make it a PacketParserVariant flag (an index bit, kPacketParserVariants)
//      and skip it otherwise: a filter must not pay for bytes it does not read;
//   4. run test/kernels/run-matrix: a verifier that accepts it proves nothing about the next.
#include "codegen/packet_parser.hpp"

#include <linux/bpf.h>

#include <cstddef>
#include <initializer_list>
#include <set>

#include "layout/map_layout.hpp"

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
constexpr std::size_t kIpHeader = offsetof(ParsedPacket, ip_header);
constexpr int kIpHeaderWindowBytes = static_cast<int>(sizeof(ParsedPacket::ip_header));
constexpr std::size_t kFragmentBits = offsetof(ParsedPacket, fragment_bits);
constexpr std::size_t kBuffer = offsetof(ParsedPacket, buffer);

// The shift that turns a 64-bit value's sign bit into bit 0 (the branch-free tests below).
constexpr int kSignShift = 63;

// docs/filter-language.md §5.1: the ethertypes, and skb->protocol (big-endian in its low 16 bits)
// as the parser's u32 load reads them.
constexpr std::uint16_t kEthertypeIpv4 = 0x0800, kEthertypeIpv6 = 0x86DD;
constexpr long long as_loaded(std::uint16_t ethertype) { return (ethertype & 0xff) << 8 | ethertype >> 8; }

// docs/filter-language.md §5.2: the IPv4 header's fields the parser reads, by byte offset.
constexpr int kIpv4MinHeaderBytes = 20;
static_assert(kIpHeaderWindowBytes <= kIpv4MinHeaderBytes, "the window lies within every IP header");
constexpr int kIpv4VersionIhl = 0;     // version in the high 4 bits, IHL (4-byte words) in the low 4
constexpr int kIpv4FragmentField = 6;  // flags and fragment offset, big-endian u16
constexpr int kIpv4Protocol = 9;
constexpr int kIpv4SrcAddr = 12, kIpv4AddrBytes = 4;     // the destination follows
constexpr int kIpv4FieldsReadBytes = kIpv4Protocol + 1;  // what the helper way reads: up to the protocol
constexpr int kIhlMask = 0x0f, kIhlToBytesShift = 2, kMinIhl = kIpv4MinHeaderBytes >> kIhlToBytesShift;
// The 13 offset bits of the big-endian flags-and-offset field, read as a little-endian u16.
constexpr int kIpv4FragmentOffsetMask = 0xff1f;

// docs/filter-language.md §5.3: the IPv6 header's fields.
constexpr int kIpv6HeaderBytes = 40;
constexpr int kIpv6Version = 0;  // in the high 4 bits
constexpr int kIpv6NextHeader = 6;
constexpr int kIpv6SrcAddr = 8, kIpv6AddrBytes = 16;  // the destination follows
constexpr int kIpv6FieldsReadBytes = 8;               // what the helper way reads: up to the next header, one u64
constexpr int kVersionMask = 0xf0, kIpv4VersionBits = 4 << 4, kIpv6VersionBits = 6 << 4;

// docs/filter-language.md §5.3: the extension headers bpffw follows, and their fields.
constexpr int kExtHopByHop = 0, kExtRouting = 43, kExtFragment = 44, kExtAuth = 51, kExtDestinationOptions = 60;
constexpr int kLargestExtType = kExtDestinationOptions;
constexpr unsigned long long kExtTypeBits = 1ull << kExtHopByHop | 1ull << kExtRouting | 1ull << kExtFragment |
                                            1ull << kExtAuth | 1ull << kExtDestinationOptions;
constexpr int kExtNextHeader = 0, kExtLength = 1;  // bytes; the length counts 8-byte units beyond the first
constexpr int kExtFragmentOffsetField = 2;         // the Fragment header's offset and flags, big-endian u16
constexpr int kExtFieldsReadBytes = 4;             // next header, length and that field
// The Fragment header's 13 offset bits of that field, read as a little-endian u16.
constexpr int kExtFragmentOffsetMask = 0xf8ff;
// Size: (length + 1) << 3 bytes; Authentication (length + 2) << 2 (RFC 4302).
constexpr int kExtUnitShift = 3;
constexpr int kMaxExtensionHeaders = 8;
constexpr int kLargestExtensionHeaderBytes = (255 + 1) << kExtUnitShift;  // the length is one byte
// After 8 extension headers the transport header starts below 40 + 8 * 2,048 bytes: a bound the
// verifier can use for the in-place reads at that offset.
constexpr int kLargestTransportOffset = 0x7fff;
static_assert(kIpv6HeaderBytes + kMaxExtensionHeaders * kLargestExtensionHeaderBytes <= kLargestTransportOffset);

// The fields/packet_fields.hpp row of `variable`, at compile time (this file is also built into
// bpffw-encode-parser, which has no packet_fields.cpp).
constexpr const fields::PacketField& row(fields::Variable variable) {
  for (const fields::PacketField& field : fields::kPacketFields)
    if (field.variable == variable) return field;
  return fields::kPacketFields[0];
}

// The transport headers the parser checks: the bytes each must have (else the packet is
// malformed), how many it copies into ParsedPacket::transport, and what they hold.
struct TransportHeader {
  const char* name;
  std::uint64_t protocol;
  int minimum;
  int copied;
  std::uint8_t holds;
};
// docs/filter-language.md §5.4: the bytes each header must have.
constexpr int kTcpMinHeaderBytes = 20, kUdpHeaderBytes = 8, kIcmpMinHeaderBytes = 4;
// Source and destination port, first in TCP and UDP.
constexpr int kPortBytes =
    static_cast<int>(row(fields::Variable::DstPort).offset + row(fields::Variable::DstPort).width);
// TCP's copied bytes hold the flags when they reach its flags byte.
constexpr int kTcpBytesWithFlags = static_cast<int>(row(fields::Variable::TcpFlags).offset + 1);
constexpr int kTransportBytes = static_cast<int>(sizeof(ParsedPacket::transport));
constexpr TransportHeader kTcp{"tcp", kProtoTcp, kTcpMinHeaderBytes, kTransportBytes, kHoldsPorts | kHoldsTcp};
constexpr TransportHeader kUdp{"udp", kProtoUdp, kUdpHeaderBytes, kPortBytes, kHoldsPorts};
constexpr TransportHeader kIcmp{"icmp", kProtoIcmp, kIcmpMinHeaderBytes, kIcmpMinHeaderBytes, kHoldsIcmp};
constexpr TransportHeader kIcmpv6{"icmpv6", kProtoIcmpv6, kIcmpMinHeaderBytes, kIcmpMinHeaderBytes, kHoldsIcmp};
constexpr int kIcmpMinHeaderShift = 2;  // the branch-free length check multiplies by 4 with a shift
static_assert(1 << kIcmpMinHeaderShift == kIcmpMinHeaderBytes);
static_assert(kTcp.copied <= kTcpMinHeaderBytes && kTcpBytesWithFlags <= kTcp.copied && kPortBytes == 4);

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

// The fields of a header the parser reads into registers, in order: one description from which
// both ways are written, the loads in place through r2 (the header in the linear data) and the
// loads from the buffer that bpf_skb_load_bytes filled, so that the two cannot drift apart.
struct FieldLoad {
  const char* into;   // the register
  const char* width;  // u8, u16
  int offset;         // in the header
};
using FieldLoads = std::initializer_list<FieldLoad>;
std::string loads(const std::string& base, std::size_t base_offset, FieldLoads fields) {
  std::string text;
  for (const FieldLoad& field : fields)
    text += std::string(field.into) + " = *(" + field.width + " *)(" + base + " + " +
            n(static_cast<long long>(base_offset) + field.offset) + ")\n";
  return text;
}
std::string loads_in_place(FieldLoads fields) { return loads("r2", 0, fields); }
std::string loads_from_buffer(FieldLoads fields) { return loads("r9", kBuffer, fields); }

// §5.2: r1 = version and IHL, r4 = flags and fragment offset as read, r7 = protocol.
constexpr FieldLoads kIpv4Fields = {
    {"r1", "u8", kIpv4VersionIhl}, {"r4", "u16", kIpv4FragmentField}, {"r7", "u8", kIpv4Protocol}};
// §5.3: r1 = version and traffic class, r7 = next header.
constexpr FieldLoads kIpv6Fields = {{"r1", "u8", kIpv6Version}, {"r7", "u8", kIpv6NextHeader}};
// §5.3: r1 = next header, r3 = the Fragment offset field as read, r2 = length field (last: in
// place, r2 is the header itself).
constexpr FieldLoads kExtFields = {
    {"r1", "u8", kExtNextHeader}, {"r3", "u16", kExtFragmentOffsetField}, {"r2", "u8", kExtLength}};

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

  // The label of a malformed packet that broke `rule` (layout::kMalformed*, §5.6): it sets r8 to
  // the rule and joins `malformed`. Emitted once per rule used, out of line.
  std::string malformed(std::uint8_t rule) {
    const std::string name = "malformed_" + n(rule);
    if (rules_.insert(rule).second) cold(name, "r8 = " + n(rule) + "\ngoto " + to("malformed") + "\n");
    return to(name);
  }

  // Lines that copy `size` packet bytes at `offset` (a register or a number) to r9 + `to` with
  // bpf_skb_load_bytes, which reads wherever the bytes lie and fails exactly when the packet is
  // shorter (then it is malformed, at `short_packet`).
  static std::string helper_read(const std::string& offset, int size, std::size_t into,
                                 const std::string& short_packet) {
    return "r1 = r6\nr2 = " + offset + "\nr3 = r9\nr3 += " + n(static_cast<long long>(into)) + "\nr4 = " + n(size) +
           "\ncall " + n(BPF_FUNC_skb_load_bytes) + "\nif r0 != 0 goto " + short_packet + "\n";
  }
  // An out-of-line block `name`: `text`, which ends in a jump back.
  void cold(const std::string& name, const std::string& text) { cold_ += ".Lbpffw_" + name + ":\n" + text; }

  std::string text() const { return hot_ + cold_; }

 private:
  PacketParserVariant variant_;
  std::string hot_;
  std::string cold_;
  std::set<std::uint8_t> rules_;  // the malformed_RULE blocks emitted
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
  p.line("if r1 == " + n(as_loaded(kEthertypeIpv4)) + " goto " + p.to("ipv4"));
  p.line("if r1 == " + n(as_loaded(kEthertypeIpv6)) + " goto " + p.to("ipv6"));
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
void transport_header(PacketParserText& p, const std::string& family, std::uint64_t status, const TransportHeader& h) {
  const std::string name = family + "_" + h.name;
  const std::string end = "r0 = " + n(static_cast<long long>(status)) + "\ngoto " + p.to("end") + "\n";
  const std::string complete = "r1 = " + n(h.minimum) + "\nr1 += r8\nr2 = *(u32 *)(r6 + " + n(kSkbLen) +
                               ")\nif r1 > r2 goto " + p.to(family + "_short") + "\n";
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
  const std::uint8_t holds = size >= kTcpBytesWithFlags ? h.holds : static_cast<std::uint8_t>(h.holds & ~kHoldsTcp);
  p.line("r8 = " + n(holds));
  p.lines(end);
  p.cold(name + "_helper", complete + PacketParserText::helper_read("r8", size, kBuffer, p.to(family + "_short")) +
                               copy("r9", static_cast<int>(kBuffer), size, kTransport) + "goto " +
                               p.to(name + "_copied") + "\n");
}

// The ICMP header's 4 bytes (§5.4), checked without branching on the protocol when the filter
// reads nothing of it: the packet must hold offset r8 + 4 * (r7 == protocol). A branch would
// make the verifier walk an ICMP path of its own to the end.
void icmp_length_check(PacketParserText& p, const std::string& family, std::uint64_t protocol) {
  p.line("r1 = r7");
  p.line("r1 ^= " + n(static_cast<long long>(protocol)));
  p.line("r1 += -1");
  p.line("r1 >>= " + n(kSignShift));  // 1 for the ICMP of the family (r7 < 256), else 0
  p.line("r1 <<= " + n(kIcmpMinHeaderShift));
  p.line("r1 += r8");
  p.line("r2 = *(u32 *)(r6 + " + n(kSkbLen) + ")");
  p.line("if r1 > r2 goto " + p.to(family + "_short"));
}

// Where a packet goes whose transport header (at r8) is cut short: transport-length, or, for
// IPv4, whose helper way reads only the first bytes of the IP header, ipv4-length when the packet
// ends before the IP header does. IPv6's header and extension headers are known complete there.
void short_transport(PacketParserText& p, const std::string& family) {
  std::string text;
  if (family == "ipv4")
    text =
        "r1 = *(u32 *)(r6 + " + n(kSkbLen) + ")\nif r8 > r1 goto " + p.malformed(layout::kMalformedIpv4Length) + "\n";
  p.cold(family + "_short", text + "goto " + p.malformed(layout::kMalformedTransportLength) + "\n");
}

// The transport header of protocol r7 at offset r8 (r2/r3 = skb->data/data_end): TCP, UDP and,
// when the filter reads ICMP fields, the family's ICMP are checked and copied; other protocols
// jump to FAMILY_other, which the caller emits. Ends with r0 = status.
void transport(PacketParserText& p, const std::string& family, std::uint64_t status, const TransportHeader& icmp) {
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
std::string addresses_by_helper(int src, int size, const std::string& short_packet) {
  const int buffer = static_cast<int>(kBuffer);
  return PacketParserText::helper_read(n(src), size, kBuffer, short_packet) + copy("r9", buffer, size, kSrcAddr) +
         PacketParserText::helper_read(n(src + size), size, kBuffer, short_packet) + copy("r9", buffer, size, kDstAddr);
}

// What the variant copies of the IP header (r2 = the IP header in place): the addresses at `src`
// (each `size` bytes, the destination follows) and the window of its first bytes.
std::string header_copies_in_place(const PacketParserVariant& variant, int src, int size) {
  return (variant.addresses ? addresses_in_place(src, size) : "") +
         (variant.ip_header ? copy("r2", 0, kIpHeaderWindowBytes, kIpHeader) : "");
}
std::string header_copies_by_helper(const PacketParserVariant& variant, int src, int size,
                                    const std::string& short_packet) {
  return (variant.addresses ? addresses_by_helper(src, size, short_packet) : "") +
         (variant.ip_header ? PacketParserText::helper_read("0", kIpHeaderWindowBytes, kBuffer, short_packet) +
                                  copy("r9", static_cast<int>(kBuffer), kIpHeaderWindowBytes, kIpHeader)
                            : "");
}

// IPv4: version 4, IHL >= 5, IHL * 4 bytes present; fragment offset at 6, protocol at 9, the
// addresses at 12 and 16. A non-first fragment has a protocol but no transport header. Reading
// the transport header in place also shows the IP header is complete; only the others check that.
void ipv4(PacketParserText& p) {
  p.label("ipv4");
  p.lines(PacketParserText::data_pointers());
  p.in_place("", kIpv4MinHeaderBytes, "ipv4_helper",
             header_copies_in_place(p.variant(), kIpv4SrcAddr, kIpv4AddrBytes) + loads_in_place(kIpv4Fields));
  p.label("ipv4_read");  // r1 = version and IHL, r4 = flags and fragment offset as read, r7 = protocol
  p.line("r8 = r1");
  p.line("r8 &= " + n(kIhlMask));
  p.line("r1 &= " + n(kVersionMask));
  p.line("if r1 != " + n(kIpv4VersionBits) + " goto " + p.malformed(layout::kMalformedIpv4Version));
  p.line("if r8 < " + n(kMinIhl) + " goto " + p.malformed(layout::kMalformedIpv4Ihl));
  p.line("r8 <<= " + n(kIhlToBytesShift));
  p.line("r4 &= " + n(kIpv4FragmentOffsetMask));
  p.line("if r4 != 0 goto " + p.to("ipv4_fragment"));  // a non-first fragment; else the transport header
  transport(p, "ipv4", kPacketParserIpv4, kIcmp);
  p.label("ipv4_other");  // the IP header (and an ICMP header) must lie within the packet
  if (!p.variant().icmp) {
    icmp_length_check(p, "ipv4", kProtoIcmp);
    p.line("goto " + p.to("ipv4_no_transport"));
  }
  p.label("ipv4_fragment");  // the IP header must lie within the packet
  p.line("r1 = *(u32 *)(r6 + " + n(kSkbLen) + ")");
  p.line("if r8 > r1 goto " + p.malformed(layout::kMalformedIpv4Length));
  no_transport(p, "ipv4", kPacketParserIpv4);
  short_transport(p, "ipv4");
  // The bytes up to the protocol are enough for the fields; the IHL check then finds a shorter
  // header. The addresses and the window go through the buffer too, so they come first.
  const std::string short_header = p.malformed(layout::kMalformedIpv4Length);
  p.cold("ipv4_helper", header_copies_by_helper(p.variant(), kIpv4SrcAddr, kIpv4AddrBytes, short_header) +
                            PacketParserText::helper_read("0", kIpv4FieldsReadBytes, kBuffer, short_header) +
                            loads_from_buffer(kIpv4Fields) + PacketParserText::data_pointers() + "goto " +
                            p.to("ipv4_read") + "\n");
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
  p.in_place("r8", kExtFieldsReadBytes, name + "_helper", loads_in_place(kExtFields));
  p.label(read);  // r1 = next header, r2 = length field, r3 = Fragment offset field as read
  // r4 = -1 for a Fragment header, else 0: ((type ^ 44) - 1) >> 63, arithmetic (type < 64).
  p.line("r4 = r7");
  p.line("r4 ^= " + n(kExtFragment));
  p.line("r4 += -1");
  p.line("r4 s>>= " + n(kSignShift));
  // A Fragment header's 13 offset bits (non-zero: a non-first fragment), kept across the chain.
  p.line("r3 &= " + n(kExtFragmentOffsetMask));
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
  p.line("r4 >>= " + n(kSignShift));  // 1 for AH, else 0
  p.line("r2 += 1");
  p.line("r2 += r4");
  p.line("r3 = " + n(kExtUnitShift));
  p.line("r3 -= r4");
  p.line("r2 <<= r3");
  p.line("r7 = r1");
  p.line("r8 += r2");
  p.line("r1 = *(u32 *)(r6 + " + n(kSkbLen) + ")");
  const std::string too_long = p.malformed(layout::kMalformedExtensionLength);
  p.line("if r8 > r1 goto " + too_long);                                  // the header runs past the end of the packet
  p.line("if r8 > " + n(kLargestTransportOffset) + " goto " + too_long);  // never; bounds r8
  unless_extension(p, "chain_end");
  p.cold(name + "_helper", PacketParserText::helper_read("r8", kExtFieldsReadBytes, kBuffer, too_long) +
                               loads_from_buffer(kExtFields) + "goto " + p.to(read) + "\n");
}

// IPv6: version 6, 40 bytes present; next header at 6, the addresses at 8 and 24. TCP, UDP and
// ICMPv6, the common next headers, go straight to the transport header at 40; the others may
// start an extension-header chain.
void ipv6(PacketParserText& p) {
  p.label("ipv6");
  p.lines(PacketParserText::data_pointers());
  p.in_place("", kIpv6HeaderBytes, "ipv6_helper",
             header_copies_in_place(p.variant(), kIpv6SrcAddr, kIpv6AddrBytes) + loads_in_place(kIpv6Fields));
  p.label("ipv6_read");  // r1 = version and traffic class, r7 = next header
  p.line("r1 &= " + n(kVersionMask));
  p.line("if r1 != " + n(kIpv6VersionBits) + " goto " + p.malformed(layout::kMalformedIpv6Version));
  p.line("r8 = " + n(kIpv6HeaderBytes));
  transport(p, "ipv6", kPacketParserIpv6, kIcmpv6);
  p.label("ipv6_other");
  if (!p.variant().icmp) icmp_length_check(p, "ipv6", kProtoIcmpv6);  // 0 bytes more for an extension header
  unless_extension(p, "ipv6_no_transport");
  p.line("r1 = 0");
  p.line("*(u64 *)" + at(kFragmentBits) + " = r1");
  for (int index = 1; index <= kMaxExtensionHeaders; ++index) extension_header(p, index);
  p.line("goto " + p.malformed(layout::kMalformedExtensionCount));  // a 9th extension header
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
    icmp_length_check(p, "ipv6", kProtoIcmpv6);
  }
  no_transport(p, "ipv6", kPacketParserIpv6);
  short_transport(p, "ipv6");
  const std::string short_header = p.malformed(layout::kMalformedIpv6Length);
  p.cold("ipv6_helper",
         "r1 = *(u32 *)(r6 + " + n(kSkbLen) + ")\nif r1 < " + n(kIpv6HeaderBytes) + " goto " + short_header + "\n" +
             header_copies_by_helper(p.variant(), kIpv6SrcAddr, kIpv6AddrBytes, short_header) +
             PacketParserText::helper_read("0", kIpv6FieldsReadBytes, kBuffer, short_header) +
             loads_from_buffer(kIpv6Fields) + PacketParserText::data_pointers() + "goto " + p.to("ipv6_read") + "\n");
}

// Every malformed packet, r8 = the rule it broke (PacketParserText::malformed).
void malformed(PacketParserText& p) {
  p.label("malformed");  // the program drops the packet; the fields hold whatever they hold
  p.line("r0 = " + n(kPacketParserMalformed));
  p.line("r7 = 0");
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

namespace {

// Each line of the text is a label ("NAME:"), or one instruction: one slot, two for a 64-bit
// immediate ("... ll"). `on_label` sees each label with its slot; returns the slots in all.
template <class OnLabel>
std::size_t walk_lines(const std::string& text, OnLabel on_label) {
  constexpr std::string_view kLocal = ".Lbpffw_";
  std::size_t slot = 0;
  for (std::size_t start = 0; start < text.size();) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + start, end - start);
    if (line.ends_with(':')) {
      line.remove_suffix(1);
      if (line.starts_with(kLocal)) line.remove_prefix(kLocal.size());
      on_label(slot, line);
    } else if (!line.empty()) {
      slot += line.ends_with(" ll") ? 2 : 1;
    }
    start = end + 1;
  }
  return slot;
}

}  // namespace

std::vector<PacketParserLabel> packet_parser_labels(const std::string& text) {
  std::vector<PacketParserLabel> labels;
  walk_lines(text, [&](std::size_t slot, std::string_view name) { labels.push_back({slot, std::string(name)}); });
  return labels;
}

std::size_t packet_parser_slots(const std::string& text) {
  return walk_lines(text, [](std::size_t, std::string_view) {});
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
