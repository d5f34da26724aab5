// The packet parser's text (packet_parser.hpp says what it is and what it promises), written with
// typed instructions (bpf_asm.hpp): registers named by their role, jumps to named labels.
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
#include <optional>
#include <set>
#include <vector>

#include "codegen/bpf_asm.hpp"
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

using bpf_asm::Cmp;
using bpf_asm::Code;
using bpf_asm::Label;
using bpf_asm::Reg;
using bpf_asm::Size;

// The registers by their role (packet_parser.hpp's contract). r8 holds the transport header's
// offset while the parser runs, and at the end what `transport` holds, or the rule a malformed
// packet broke; r2 and r3 hold skb->data and skb->data_end, and the helper's arguments.
constexpr Reg kStatus = Reg::R0;   // out: the status; the helper's result
constexpr Reg kScratch = Reg::R1;  // the helper's 1st argument
constexpr Reg kData = Reg::R2;     // skb->data, then the header read in place; the helper's 2nd
constexpr Reg kDataEnd = Reg::R3;  // skb->data_end; the helper's 3rd
constexpr Reg kField = Reg::R4;    // a field read with the others; the helper's 4th
constexpr Reg kTemp = Reg::R5;
constexpr Reg kSkb = Reg::R6;       // in: the skb, kept
constexpr Reg kProtocol = Reg::R7;  // out: the transport protocol
constexpr Reg kOffset = Reg::R8;    // the transport header's offset
constexpr Reg kHolds = Reg::R8;     // out: which fields `transport` holds
constexpr Reg kRule = Reg::R8;      // out, when malformed: the rule broken
constexpr Reg kParsed = Reg::R9;    // in: the ParsedPacket, kept

using Offset = long long;
Offset at(std::size_t offset) { return static_cast<Offset>(offset); }

// Loads and stores that copy `size` bytes (4, 8 or 16) from `base` + `from` to the ParsedPacket at
// `to`, through r1. The helper way copies what bpf_skb_load_bytes put in the buffer the same way
// as the in-place way copies from the packet: both then leave the same kind of stack slots
// (spilled registers), so the verifier prunes the helper way at the join instead of walking the
// rest twice.
Code copy(Reg base, int from, int size, std::size_t to) {
  Code code;
  for (int done = 0; done < size;) {
    const int step = size - done >= 8 ? 8 : 4;
    const Size width = step == 8 ? Size::U64 : Size::U32;
    code.load(kScratch, width, base, from + done);
    code.store(width, kParsed, at(to) + done, kScratch);
    done += step;
  }
  return code;
}

// The fields of a header the parser reads into registers, in order: one description from which
// both ways are written, the loads in place through r2 (the header in the linear data) and the
// loads from the buffer that bpf_skb_load_bytes filled, so that the two cannot drift apart.
struct FieldLoad {
  Reg into;
  Size size;
  int offset;  // in the header
};
using FieldLoads = std::initializer_list<FieldLoad>;
Code loads(Reg base, std::size_t base_offset, FieldLoads fields) {
  Code code;
  for (const FieldLoad& field : fields) code.load(field.into, field.size, base, at(base_offset) + field.offset);
  return code;
}
Code loads_in_place(FieldLoads fields) { return loads(kData, 0, fields); }
Code loads_from_buffer(FieldLoads fields) { return loads(kParsed, kBuffer, fields); }

// §5.2: version and IHL, flags and fragment offset as read, protocol.
constexpr FieldLoads kIpv4Fields = {{kScratch, Size::U8, kIpv4VersionIhl},
                                    {kField, Size::U16, kIpv4FragmentField},
                                    {kProtocol, Size::U8, kIpv4Protocol}};
// §5.3: version and traffic class, next header.
constexpr FieldLoads kIpv6Fields = {{kScratch, Size::U8, kIpv6Version}, {kProtocol, Size::U8, kIpv6NextHeader}};
// §5.3: next header (r1), the Fragment offset field as read (r3), the length field (r2; last: in
// place, r2 is the header itself).
constexpr FieldLoads kExtFields = {{kScratch, Size::U8, kExtNextHeader},
                                   {kDataEnd, Size::U16, kExtFragmentOffsetField},
                                   {kData, Size::U8, kExtLength}};

// skb->data and skb->data_end into r2 and r3.
Code data_pointers() {
  Code code;
  code.load(kData, Size::U32, kSkb, at(kSkbData));
  code.load(kDataEnd, Size::U32, kSkb, at(kSkbDataEnd));
  return code;
}

// bpf_skb_load_bytes of `size` packet bytes at `offset` (a register or a number) into the
// ParsedPacket at `into`: it reads wherever the bytes lie and fails exactly when the packet is
// shorter (then it is malformed, at `short_packet`).
Code helper_read(bpf_asm::Operand offset, int size, std::size_t into, const Label& short_packet) {
  Code code;
  code.mov(kScratch, kSkb).mov(kData, offset).mov(kDataEnd, kParsed).add(kDataEnd, at(into)).mov(kField, size);
  code.call(BPF_FUNC_skb_load_bytes).jump_if(kStatus, Cmp::Ne, 0, short_packet);
  return code;
}

// The parser's code: the hot path in order, and out-of-line blocks (the helper reads, the
// malformed exits) collected and placed after it.
class PacketParserCode {
 public:
  explicit PacketParserCode(const PacketParserVariant& variant) : variant_(variant) {}

  const PacketParserVariant& variant() const { return variant_; }
  Code& hot() { return hot_; }

  // When the packet bytes [r2 + offset, r2 + offset + size) lie in the linear data (r2 = skb->data
  // and r3 = skb->data_end on entry; no offset: 0): r2 += offset, then `loads`, which read them
  // through r2. Otherwise, jumps to the out-of-line block `slow`.
  void in_place(std::optional<Reg> offset, int size, const Label& slow, const Code& loads) {
    if (variant_.helper_only) {
      hot_.jump(slow);
      return;
    }
    if (offset) hot_.add(kData, *offset);
    hot_.mov(kScratch, kData).add(kScratch, size).jump_if(kScratch, Cmp::Gt, kDataEnd, slow);
    hot_.append(loads);
  }

  // The label of a malformed packet that broke `rule` (layout::kMalformed*, §5.6): it sets r8 to
  // the rule and joins `malformed`. Emitted once per rule used, out of line.
  Label malformed(std::uint8_t rule) {
    Label label{"malformed_" + std::to_string(rule)};
    if (rules_.insert(rule).second) cold(label, Code().mov(kRule, rule).jump(Label{"malformed"}));
    return label;
  }

  // An out-of-line block at `label`: `code`, which ends in a jump back.
  void cold(const Label& label, const Code& code) { cold_.label(label).append(code); }

  std::string text() const { return hot_.text() + cold_.text(); }

 private:
  PacketParserVariant variant_;
  Code hot_;
  Code cold_;
  std::set<std::uint8_t> rules_;  // the malformed_RULE blocks emitted
};

// Jumps to `not_extension` unless r7 is one of the five IPv6 extension header types.
void unless_extension(Code& code, const Label& not_extension) {
  code.jump_if(kProtocol, Cmp::Gt, kLargestExtType, not_extension);
  code.mov_wide(kScratch, kExtTypeBits).rsh(kScratch, kProtocol).and_(kScratch, 1);
  code.jump_if(kScratch, Cmp::Eq, 0, not_extension);
}

// skb->protocol read as a little-endian u32: IPv4 0x0008, IPv6 0xDD86; anything else is not IP.
void dispatch(PacketParserCode& p) {
  p.hot().load(kScratch, Size::U32, kSkb, at(kSkbProtocol)).mov(kProtocol, 0).mov(kOffset, 0);
  p.hot().jump_if(kScratch, Cmp::Eq, as_loaded(kEthertypeIpv4), Label{"ipv4"});
  p.hot().jump_if(kScratch, Cmp::Eq, as_loaded(kEthertypeIpv6), Label{"ipv6"});
  p.hot().mov(kStatus, static_cast<long long>(kPacketParserNotIp)).jump(Label{"end"});
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
void transport_header(PacketParserCode& p, const std::string& family, std::uint64_t status, const TransportHeader& h) {
  const std::string name = family + "_" + h.name;
  const Label short_packet{family + "_short"};
  const Code end = Code().mov(kStatus, static_cast<long long>(status)).jump(Label{"end"});
  const Code complete = Code()
                            .mov(kScratch, h.minimum)
                            .add(kScratch, kOffset)
                            .load(kData, Size::U32, kSkb, at(kSkbLen))
                            .jump_if(kScratch, Cmp::Gt, kData, short_packet);
  const int size = copied(p.variant(), h);
  p.hot().label(Label{name});
  if (size == 0) {
    p.hot().append(complete).mov(kHolds, 0).append(end);
    return;
  }
  // In place, the header lies in the linear data, so within the packet: no length check needed.
  // The verifier learns a packet range from a constant added to the pointer, so each header has
  // its own check.
  const Label helper{name + "_helper"}, copied_label{name + "_copied"};
  p.in_place(kOffset, h.minimum, helper, copy(kData, 0, size, kTransport));
  p.hot().label(copied_label);
  const std::uint8_t holds = size >= kTcpBytesWithFlags ? h.holds : static_cast<std::uint8_t>(h.holds & ~kHoldsTcp);
  p.hot().mov(kHolds, holds).append(end);
  p.cold(helper, Code(complete)
                     .append(helper_read(kOffset, size, kBuffer, short_packet))
                     .append(copy(kParsed, static_cast<int>(kBuffer), size, kTransport))
                     .jump(copied_label));
}

// The ICMP header's 4 bytes (§5.4), checked without branching on the protocol when the filter
// reads nothing of it: the packet must hold offset r8 + 4 * (r7 == protocol). A branch would
// make the verifier walk an ICMP path of its own to the end.
void icmp_length_check(Code& code, const std::string& family, std::uint64_t protocol) {
  code.mov(kScratch, kProtocol).xor_(kScratch, static_cast<long long>(protocol)).add(kScratch, -1);
  code.rsh(kScratch, kSignShift);  // 1 for the ICMP of the family (r7 < 256), else 0
  code.lsh(kScratch, kIcmpMinHeaderShift).add(kScratch, kOffset);
  code.load(kData, Size::U32, kSkb, at(kSkbLen)).jump_if(kScratch, Cmp::Gt, kData, Label{family + "_short"});
}

// Where a packet goes whose transport header (at r8) is cut short: transport-length, or, for
// IPv4, whose helper way reads only the first bytes of the IP header, ipv4-length when the packet
// ends before the IP header does. IPv6's header and extension headers are known complete there.
void short_transport(PacketParserCode& p, const std::string& family) {
  Code code;
  if (family == "ipv4")
    code.load(kScratch, Size::U32, kSkb, at(kSkbLen))
        .jump_if(kOffset, Cmp::Gt, kScratch, p.malformed(layout::kMalformedIpv4Length));
  code.jump(p.malformed(layout::kMalformedTransportLength));
  p.cold(Label{family + "_short"}, code);
}

// The transport header of protocol r7 at offset r8 (r2/r3 = skb->data/data_end): TCP, UDP and,
// when the filter reads ICMP fields, the family's ICMP are checked and copied; other protocols
// jump to FAMILY_other, which the caller emits. Ends with r0 = status.
void transport(PacketParserCode& p, const std::string& family, std::uint64_t status, const TransportHeader& icmp) {
  p.hot().label(Label{family + "_transport"});
  p.hot().jump_if(kProtocol, Cmp::Eq, kProtoTcp, Label{family + "_tcp"});
  if (p.variant().icmp)
    p.hot().jump_if(kProtocol, Cmp::Eq, static_cast<long long>(icmp.protocol), Label{family + "_" + icmp.name});
  p.hot().jump_if(kProtocol, Cmp::Ne, kProtoUdp, Label{family + "_other"});
  transport_header(p, family, status, kUdp);
  transport_header(p, family, status, kTcp);
  if (p.variant().icmp) transport_header(p, family, status, icmp);
}

// The end of a packet without a transport header to read (another protocol, or a non-first
// fragment): `transport` holds nothing.
void no_transport(PacketParserCode& p, const std::string& family, std::uint64_t status) {
  p.hot().label(Label{family + "_no_transport"});
  p.hot().mov(kHolds, 0).mov(kStatus, static_cast<long long>(status)).jump(Label{"end"});
}

// Bytes of the IP header the variant copies into the ParsedPacket, in order: one description from
// which both ways are written, as for FieldLoads.
struct HeaderCopy {
  int from;        // in the IP header
  int size;        // at most the buffer's
  std::size_t to;  // in the ParsedPacket
};
// The addresses at `src` (each `size` bytes, the destination follows) and the window of the
// header's first bytes, as far as the variant reads them.
std::vector<HeaderCopy> header_copies(const PacketParserVariant& variant, int src, int size) {
  std::vector<HeaderCopy> copies;
  if (variant.addresses) {
    copies.push_back({src, size, kSrcAddr});
    copies.push_back({src + size, size, kDstAddr});
  }
  if (variant.ip_header) copies.push_back({0, kIpHeaderWindowBytes, kIpHeader});
  return copies;
}
// In place, r2 = the IP header.
Code copies_in_place(const std::vector<HeaderCopy>& copies) {
  Code code;
  for (const HeaderCopy& c : copies) code.append(copy(kData, c.from, c.size, c.to));
  return code;
}
// Through the buffer, which this overwrites; a packet too short for one is malformed, at `short_packet`.
Code copies_by_helper(const std::vector<HeaderCopy>& copies, const Label& short_packet) {
  Code code;
  for (const HeaderCopy& c : copies) {
    static_assert(sizeof(ParsedPacket::buffer) >= kIpv6AddrBytes &&
                  sizeof(ParsedPacket::buffer) >= kIpHeaderWindowBytes);
    code.append(helper_read(c.from, c.size, kBuffer, short_packet))
        .append(copy(kParsed, static_cast<int>(kBuffer), c.size, c.to));
  }
  return code;
}

// IPv4: version 4, IHL >= 5, IHL * 4 bytes present; fragment offset at 6, protocol at 9, the
// addresses at 12 and 16. A non-first fragment has a protocol but no transport header. Reading
// the transport header in place also shows the IP header is complete; only the others check that.
void ipv4(PacketParserCode& p) {
  const Label helper{"ipv4_helper"}, read{"ipv4_read"}, fragment{"ipv4_fragment"};
  p.hot().label(Label{"ipv4"}).append(data_pointers());
  p.in_place(
      std::nullopt, kIpv4MinHeaderBytes, helper,
      copies_in_place(header_copies(p.variant(), kIpv4SrcAddr, kIpv4AddrBytes)).append(loads_in_place(kIpv4Fields)));
  p.hot().label(read);  // r1 = version and IHL, r4 = flags and fragment offset as read, r7 = protocol
  p.hot().mov(kOffset, kScratch).and_(kOffset, kIhlMask).and_(kScratch, kVersionMask);
  p.hot().jump_if(kScratch, Cmp::Ne, kIpv4VersionBits, p.malformed(layout::kMalformedIpv4Version));
  p.hot().jump_if(kOffset, Cmp::Lt, kMinIhl, p.malformed(layout::kMalformedIpv4Ihl));
  p.hot().lsh(kOffset, kIhlToBytesShift).and_(kField, kIpv4FragmentOffsetMask);
  p.hot().jump_if(kField, Cmp::Ne, 0, fragment);  // a non-first fragment; else the transport header
  transport(p, "ipv4", kPacketParserIpv4, kIcmp);
  p.hot().label(Label{"ipv4_other"});  // the IP header (and an ICMP header) must lie within the packet
  if (!p.variant().icmp) {
    icmp_length_check(p.hot(), "ipv4", kProtoIcmp);
    p.hot().jump(Label{"ipv4_no_transport"});
  }
  p.hot().label(fragment);  // the IP header must lie within the packet
  p.hot().load(kScratch, Size::U32, kSkb, at(kSkbLen));
  p.hot().jump_if(kOffset, Cmp::Gt, kScratch, p.malformed(layout::kMalformedIpv4Length));
  no_transport(p, "ipv4", kPacketParserIpv4);
  short_transport(p, "ipv4");
  // The bytes up to the protocol are enough for the fields; the IHL check then finds a shorter
  // header. The addresses and the window go through the buffer too, so they come first.
  const Label short_header = p.malformed(layout::kMalformedIpv4Length);
  p.cold(helper, copies_by_helper(header_copies(p.variant(), kIpv4SrcAddr, kIpv4AddrBytes), short_header)
                     .append(helper_read(0, kIpv4FieldsReadBytes, kBuffer, short_header))
                     .append(loads_from_buffer(kIpv4Fields))
                     .append(data_pointers())
                     .jump(read));
}

// One extension header at r8, of type r7 (known to be one), then the next: at most 8, a 9th is
// malformed. Unrolled: older verifiers (5.10, 6.1) refuse a loop whose counter lives in the
// stack ("infinite loop detected"), and the copies cost nothing on the common path. The header
// size comes without branching on the type, so the verifier walks one path per header whatever
// the chain: Fragment 8, Authentication (length + 2) * 4, the others (length + 1) * 8.
void extension_header(PacketParserCode& p, int index) {
  const std::string name = "extension" + std::to_string(index);
  const Label read{name + "_read"}, helper{name + "_helper"};
  Code& code = p.hot();
  code.label(Label{name}).append(data_pointers());
  p.in_place(kOffset, kExtFieldsReadBytes, helper, loads_in_place(kExtFields));
  code.label(read);  // r1 = next header, r2 = length field, r3 = Fragment offset field as read
  // r4 = -1 for a Fragment header, else 0: ((type ^ 44) - 1) >> 63, arithmetic (type < 64).
  code.mov(kField, kProtocol).xor_(kField, kExtFragment).add(kField, -1).arsh(kField, kSignShift);
  // A Fragment header's 13 offset bits (non-zero: a non-first fragment), kept across the chain.
  code.and_(kDataEnd, kExtFragmentOffsetMask).and_(kDataEnd, kField);
  code.load(kTemp, Size::U64, kParsed, at(kFragmentBits)).or_(kTemp, kDataEnd);
  code.store(Size::U64, kParsed, at(kFragmentBits), kTemp);
  // Size: (length + 1) << 3, with length 0 for Fragment, and (length + 2) << 2 for AH.
  code.xor_(kField, -1).and_(kData, kField);
  code.mov(kField, kProtocol).xor_(kField, kExtAuth).add(kField, -1).rsh(kField, kSignShift);  // 1 for AH, else 0
  code.add(kData, 1).add(kData, kField).mov(kDataEnd, kExtUnitShift).sub(kDataEnd, kField).lsh(kData, kDataEnd);
  code.mov(kProtocol, kScratch).add(kOffset, kData);
  code.load(kScratch, Size::U32, kSkb, at(kSkbLen));
  const Label too_long = p.malformed(layout::kMalformedExtensionLength);
  code.jump_if(kOffset, Cmp::Gt, kScratch, too_long);                 // the header runs past the end of the packet
  code.jump_if(kOffset, Cmp::Gt, kLargestTransportOffset, too_long);  // never; bounds r8
  unless_extension(code, Label{"chain_end"});
  p.cold(helper,
         helper_read(kOffset, kExtFieldsReadBytes, kBuffer, too_long).append(loads_from_buffer(kExtFields)).jump(read));
}

// IPv6: version 6, 40 bytes present; next header at 6, the addresses at 8 and 24. TCP, UDP and
// ICMPv6, the common next headers, go straight to the transport header at 40; the others may
// start an extension-header chain.
void ipv6(PacketParserCode& p) {
  const Label helper{"ipv6_helper"}, read{"ipv6_read"}, no_transport_label{"ipv6_no_transport"};
  Code& code = p.hot();
  code.label(Label{"ipv6"}).append(data_pointers());
  p.in_place(
      std::nullopt, kIpv6HeaderBytes, helper,
      copies_in_place(header_copies(p.variant(), kIpv6SrcAddr, kIpv6AddrBytes)).append(loads_in_place(kIpv6Fields)));
  code.label(read);  // r1 = version and traffic class, r7 = next header
  code.and_(kScratch, kVersionMask)
      .jump_if(kScratch, Cmp::Ne, kIpv6VersionBits, p.malformed(layout::kMalformedIpv6Version));
  code.mov(kOffset, kIpv6HeaderBytes);
  transport(p, "ipv6", kPacketParserIpv6, kIcmpv6);
  code.label(Label{"ipv6_other"});
  if (!p.variant().icmp) icmp_length_check(code, "ipv6", kProtoIcmpv6);  // 0 bytes more for an extension header
  unless_extension(code, no_transport_label);
  code.mov(kScratch, 0).store(Size::U64, kParsed, at(kFragmentBits), kScratch);
  for (int index = 1; index <= kMaxExtensionHeaders; ++index) extension_header(p, index);
  code.jump(p.malformed(layout::kMalformedExtensionCount));  // a 9th extension header
  // The chain's end: a protocol that is no extension header, at r8.
  code.label(Label{"chain_end"}).load(kScratch, Size::U64, kParsed, at(kFragmentBits));
  code.jump_if(kScratch, Cmp::Ne, 0, no_transport_label);  // a non-first fragment
  code.append(data_pointers());
  code.jump_if(kProtocol, Cmp::Eq, kProtoTcp, Label{"ipv6_tcp"})
      .jump_if(kProtocol, Cmp::Eq, kProtoUdp, Label{"ipv6_udp"});
  if (p.variant().icmp) {
    code.jump_if(kProtocol, Cmp::Eq, kProtoIcmpv6, Label{"ipv6_icmpv6"});
  } else {
    icmp_length_check(code, "ipv6", kProtoIcmpv6);
  }
  no_transport(p, "ipv6", kPacketParserIpv6);
  short_transport(p, "ipv6");
  const Label short_header = p.malformed(layout::kMalformedIpv6Length);
  p.cold(helper, Code()
                     .load(kScratch, Size::U32, kSkb, at(kSkbLen))
                     .jump_if(kScratch, Cmp::Lt, kIpv6HeaderBytes, short_header)
                     .append(copies_by_helper(header_copies(p.variant(), kIpv6SrcAddr, kIpv6AddrBytes), short_header))
                     .append(helper_read(0, kIpv6FieldsReadBytes, kBuffer, short_header))
                     .append(loads_from_buffer(kIpv6Fields))
                     .append(data_pointers())
                     .jump(read));
}

// Every malformed packet, r8 = the rule it broke (PacketParserCode::malformed).
void malformed(PacketParserCode& p) {
  p.hot().label(Label{"malformed"});  // the program drops the packet; the fields hold whatever they hold
  p.hot().mov(kStatus, static_cast<long long>(kPacketParserMalformed)).mov(kProtocol, 0).jump(Label{"end"});
}

}  // namespace

std::string packet_parser_asm(const PacketParserVariant& variant) {
  PacketParserCode p(variant);
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
