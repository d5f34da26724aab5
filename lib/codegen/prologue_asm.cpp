#include "codegen/prologue_asm.hpp"

#include <linux/bpf.h>

#include <cstddef>
#include <cstdint>

namespace bpffw::codegen {
namespace {

// Fields of struct __sk_buff the parser reads (the verifier rewrites these context reads).
constexpr std::size_t kSkbLen = offsetof(__sk_buff, len);
constexpr std::size_t kSkbProtocol = offsetof(__sk_buff, protocol);  // ethertype, network byte order
constexpr std::size_t kSkbData = offsetof(__sk_buff, data);          // the IP header, linear part
constexpr std::size_t kSkbDataEnd = offsetof(__sk_buff, data_end);   // the end of the linear part

// Scratch area (r9): the bytes the helper copies out, and the Fragment headers' offset bits
// (OR-ed) across the extension-header walk. Only values read from the packet live here: older
// verifiers track a constant stored through a register other than r10 imprecisely, and could
// then merge paths with different constants and drop the code of one as dead. So the status,
// a constant, is set in r0 at each end instead (each family has its own transport code).
constexpr int kScratchFragmentBits = 16;
static_assert(kScratchFragmentBits + 8 <= static_cast<int>(kParserScratchBytes));

constexpr int kHelperSkbLoadBytes = 26;  // bpf_skb_load_bytes(skb, offset, to, len)
constexpr int kIpv4HeaderSize = 20, kIpv6HeaderSize = 40, kTcpHeaderSize = 20, kUdpHeaderSize = 8;
constexpr int kExtFragment = 44, kExtAuth = 51, kLargestExtType = 60;
// Bits 0 (Hop-by-Hop), 43 (Routing), 44 (Fragment), 51 (Authentication), 60 (Destination Options).
constexpr unsigned long long kExtTypeBits = 1ull << 0 | 1ull << 43 | 1ull << 44 | 1ull << 51 | 1ull << 60;
constexpr int kMaxExtensionHeaders = 8;
// An extension header is at most 2,048 bytes, so after 8 the transport header starts below
// 40 + 8 * 2048; a bound the verifier can use for the in-place reads at that offset.
constexpr int kLargestTransportOffset = 0x7fff;
static_assert(kIpv6HeaderSize + kMaxExtensionHeaders * 2048 <= kLargestTransportOffset);

std::string n(long long value) { return std::to_string(value); }

// The parser's text, built line by line. Labels start with ".L" (assembler-local: no symbols in
// the object); out-of-line blocks (the helper reads) are collected and placed after the hot path.
class ParserText {
 public:
  explicit ParserText(bool in_place) : in_place_(in_place) {}

  void line(const std::string& text) { hot_ += text + "\n"; }
  void label(const std::string& name) { hot_ += ".Lbpffw_" + name + ":\n"; }
  std::string to(const std::string& name) const { return ".Lbpffw_" + name; }

  // When the packet bytes [r2 + offset, r2 + offset + size) lie in the linear data (r2 = skb->data
  // and r3 = skb->data_end on entry; offset a register or empty for 0): r2 += offset, then `loads`,
  // which read them through r2. Otherwise, jumps to the out-of-line block `slow`. The helper-only
  // variant always jumps (see prologue_asm.hpp).
  void in_place(const std::string& offset, int size, const std::string& slow, const std::string& loads) {
    if (!in_place_) {
      line("goto " + to(slow));
      return;
    }
    if (!offset.empty()) line("r2 += " + offset);
    line("r1 = r2");
    line("r1 += " + n(size));
    line("if r1 > r3 goto " + to(slow));
    hot_ += loads;
  }
  // r2 = skb->data, r3 = skb->data_end, for in_place().
  void load_data_pointers() {
    line("r2 = *(u32 *)(r6 + " + n(kSkbData) + ")");
    line("r3 = *(u32 *)(r6 + " + n(kSkbDataEnd) + ")");
  }
  static std::string data_pointers() {
    return "r2 = *(u32 *)(r6 + " + n(kSkbData) + ")\nr3 = *(u32 *)(r6 + " + n(kSkbDataEnd) + ")\n";
  }

  // An out-of-line block: copies `size` packet bytes at `offset` to the scratch area with
  // bpf_skb_load_bytes, which reads wherever the bytes lie and fails exactly when the packet is
  // shorter (then it is malformed); `then` are the lines that follow, ending in a jump back.
  void helper_read(const std::string& name, const std::string& offset, int size, const std::string& then) {
    cold_ += ".Lbpffw_" + name + ":\n";
    cold_ += "r1 = r6\nr2 = " + offset + "\nr3 = r9\nr4 = " + n(size) + "\n";
    cold_ += "call " + n(kHelperSkbLoadBytes) + "\n";
    cold_ += "if r0 != 0 goto " + to("malformed") + "\n";
    cold_ += then;
  }
  void cold(const std::string& text) { cold_ += text; }

  std::string text() const { return hot_ + cold_; }

 private:
  bool in_place_;
  std::string hot_;
  std::string cold_;
};

// Jumps to `not_extension` unless r7 is one of the five IPv6 extension header types.
void unless_extension(ParserText& p, const std::string& not_extension) {
  p.line("if r7 > " + n(kLargestExtType) + " goto " + p.to(not_extension));
  p.line("r1 = " + n(static_cast<long long>(kExtTypeBits)) + " ll");
  p.line("r1 >>= r7");
  p.line("r1 &= 1");
  p.line("if r1 == 0 goto " + p.to(not_extension));
}

// skb->protocol read as a little-endian u32: IPv4 0x0008, IPv6 0xDD86; anything else is not IP.
void dispatch(ParserText& p) {
  p.line("r1 = *(u32 *)(r6 + " + n(kSkbProtocol) + ")");
  p.line("if r1 == 8 goto " + p.to("ipv4"));
  p.line("if r1 == 56710 goto " + p.to("ipv6"));
  p.line("r0 = " + n(kParserNotIp));
  p.line("r7 = 0");
  p.line("r8 = 0");
  p.line("goto " + p.to("end"));
}

// The transport header of protocol r7 at offset r8, r2/r3 = skb->data/data_end: TCP needs 20
// bytes, UDP 8 (else the packet is malformed). With ports: r8 = src_port << 16 | dst_port, read
// as one big-endian u32. Ends with r0 = status. Labels are prefixed with the family, which has
// its own copy; "FAMILY_other" (protocols other than TCP and UDP) is the caller's to emit.
void transport(ParserText& p, const std::string& family, std::uint64_t status, bool read_ports) {
  auto at = [&](const char* name) { return family + "_" + name; };
  auto to = [&](const char* name) { return p.to(at(name)); };
  const std::string end = "r0 = " + n(static_cast<long long>(status)) + "\ngoto " + p.to("end") + "\n";
  p.label(at("transport"));
  if (!read_ports) {
    p.line("r1 = " + n(kTcpHeaderSize));
    p.line("if r7 == " + n(kProtoTcp) + " goto " + to("transport_length"));
    p.line("r1 = " + n(kUdpHeaderSize));
    p.line("if r7 != " + n(kProtoUdp) + " goto " + to("other"));
    p.label(at("transport_length"));
    p.line("r1 += r8");
    p.line("r2 = *(u32 *)(r6 + " + n(kSkbLen) + ")");
    p.line("if r1 > r2 goto " + p.to("malformed"));
    p.line("goto " + to("no_ports"));
    return;
  }
  // One in-place check per protocol, with its own constant size: the verifier learns a packet
  // range from a constant added to the pointer, not from a register. In place, the header lies
  // in the linear data, so within the packet: no length check needed.
  p.line("if r7 == " + n(kProtoTcp) + " goto " + to("tcp"));
  p.line("if r7 != " + n(kProtoUdp) + " goto " + to("other"));
  p.in_place("r8", kUdpHeaderSize, at("udp_helper"), "r8 = *(u32 *)(r2 + 0)\n");
  p.label(at("ports"));  // r8 = both ports as read
  p.line("r8 = be32 r8");
  p.line(end);
  p.label(at("tcp"));
  p.in_place("r8", kTcpHeaderSize, at("tcp_helper"), "r8 = *(u32 *)(r2 + 0)\ngoto " + to("ports") + "\n");
  // r1 = the header's minimum size: complete (else malformed), then its first 4 bytes.
  p.cold(".Lbpffw_" + at("tcp_helper") + ":\nr1 = " + n(kTcpHeaderSize) + "\ngoto " + to("transport_helper") + "\n");
  p.cold(".Lbpffw_" + at("udp_helper") + ":\nr1 = " + n(kUdpHeaderSize) + "\n");
  p.cold(".Lbpffw_" + at("transport_helper") + ":\nr1 += r8\nr2 = *(u32 *)(r6 + " + n(kSkbLen) +
         ")\nif r1 > r2 goto " + p.to("malformed") + "\n");
  p.helper_read(at("transport_read"), "r8", 4, "r8 = *(u32 *)(r9 + 0)\ngoto " + to("ports") + "\n");
}

// The end of a packet without ports (not TCP or UDP, or a non-first fragment).
void no_ports(ParserText& p, const std::string& family, std::uint64_t status) {
  p.label(family + "_no_ports");
  p.line("r8 = 0");
  p.line("r0 = " + n(static_cast<long long>(status)));
  p.line("goto " + p.to("end"));
}

// IPv4: version 4, IHL >= 5, IHL * 4 bytes present; fragment offset at 6, protocol at 9. A
// non-first fragment has a protocol but no transport header. The transport header at IHL * 4;
// reading it in place also shows the IP header is complete, so only other protocols check that.
void ipv4(ParserText& p, bool read_ports) {
  p.label("ipv4");
  p.load_data_pointers();
  p.in_place("", kIpv4HeaderSize, "ipv4_helper", "r1 = *(u8 *)(r2 + 0)\nr4 = *(u16 *)(r2 + 6)\nr7 = *(u8 *)(r2 + 9)\n");
  p.label("ipv4_read");  // r1 = version and IHL, r4 = flags and fragment offset as read, r7 = protocol
  p.line("r8 = r1");
  p.line("r8 &= 15");
  p.line("r1 &= 240");
  p.line("if r1 != 64 goto " + p.to("malformed"));
  p.line("if r8 < 5 goto " + p.to("malformed"));
  p.line("r8 <<= 2");
  p.line("r4 &= 65311");  // the 13 offset bits of the big-endian field, read little-endian: 0xff1f
  p.line("if r4 != 0 goto " + p.to("ipv4_other"));
  transport(p, "ipv4", kParserIpv4, read_ports);
  p.label("ipv4_other");  // the IP header must lie within the packet
  p.line("r1 = *(u32 *)(r6 + " + n(kSkbLen) + ")");
  p.line("if r8 > r1 goto " + p.to("malformed"));
  no_ports(p, "ipv4", kParserIpv4);
  // 10 bytes are enough to read the fields; the IHL check then finds a shorter header.
  p.helper_read("ipv4_helper", "0", 10,
                "r1 = *(u8 *)(r9 + 0)\nr4 = *(u16 *)(r9 + 6)\nr7 = *(u8 *)(r9 + 9)\n" + ParserText::data_pointers() +
                    "goto " + p.to("ipv4_read") + "\n");
}

// One extension header at r8, of type r7 (known to be one), then the next: at most 8, a 9th is
// malformed. Unrolled: older verifiers (5.10, 6.1) refuse a loop whose counter lives in the
// stack ("infinite loop detected"), and the copies cost nothing on the common path. The header
// size comes without branching on the type, so the verifier walks one path per header whatever
// the chain: Fragment 8, Authentication (length + 2) * 4, the others (length + 1) * 8.
void extension_header(ParserText& p, int index) {
  const std::string name = "extension" + n(index);
  const std::string read = name + "_read";
  p.label(name);
  p.load_data_pointers();
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
  p.line("r5 = *(u64 *)(r9 + " + n(kScratchFragmentBits) + ")");
  p.line("r5 |= r3");
  p.line("*(u64 *)(r9 + " + n(kScratchFragmentBits) + ") = r5");
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
  p.helper_read(name + "_helper", "r8", 4,
                "r1 = *(u8 *)(r9 + 0)\nr3 = *(u16 *)(r9 + 2)\nr2 = *(u8 *)(r9 + 1)\ngoto " + p.to(read) + "\n");
}

// IPv6: version 6, 40 bytes present; next header at 6. TCP and UDP, the common next headers, go
// straight to the transport header at 40; the others may start an extension-header chain.
void ipv6(ParserText& p, bool read_ports) {
  p.label("ipv6");
  p.load_data_pointers();
  p.in_place("", kIpv6HeaderSize, "ipv6_helper", "r1 = *(u8 *)(r2 + 0)\nr7 = *(u8 *)(r2 + 6)\n");
  p.label("ipv6_read");  // r1 = version and traffic class, r7 = next header
  p.line("r1 &= 240");
  p.line("if r1 != 96 goto " + p.to("malformed"));
  p.line("r8 = " + n(kIpv6HeaderSize));
  transport(p, "ipv6", kParserIpv6, read_ports);
  p.label("ipv6_other");
  unless_extension(p, "ipv6_no_ports");
  p.line("r1 = 0");
  p.line("*(u64 *)(r9 + " + n(kScratchFragmentBits) + ") = r1");
  for (int index = 1; index <= kMaxExtensionHeaders; ++index) extension_header(p, index);
  p.line("goto " + p.to("malformed"));  // a 9th extension header
  // The chain's end: a protocol that is no extension header, at r8.
  p.label("chain_end");
  p.line("r1 = *(u64 *)(r9 + " + n(kScratchFragmentBits) + ")");
  p.line("if r1 != 0 goto " + p.to("ipv6_no_ports"));
  p.load_data_pointers();
  p.line("if r7 == " + n(kProtoTcp) + " goto " + p.to(read_ports ? "ipv6_tcp" : "ipv6_transport"));
  p.line("if r7 == " + n(kProtoUdp) + " goto " + p.to("ipv6_transport"));
  no_ports(p, "ipv6", kParserIpv6);
  p.helper_read("ipv6_helper", "0", 8,
                "r1 = *(u32 *)(r6 + " + n(kSkbLen) + ")\nif r1 < " + n(kIpv6HeaderSize) + " goto " +
                    p.to("malformed") + "\nr1 = *(u8 *)(r9 + 0)\nr7 = *(u8 *)(r9 + 6)\n" +
                    ParserText::data_pointers() + "goto " + p.to("ipv6_read") + "\n");
}

void malformed(ParserText& p) {
  p.label("malformed");  // r7 and r8 hold something: the program drops the packet
  p.line("r0 = " + n(kParserMalformed));
  p.line("r7 = 0");
  p.line("r8 = 0");
  p.line("goto " + p.to("end"));
}

}  // namespace

std::string packet_parser_asm(bool read_ports, bool in_place) {
  ParserText p(in_place);
  dispatch(p);
  ipv4(p, read_ports);
  ipv6(p, read_ports);
  malformed(p);
  // The helper reads, then the end, which the inline asm falls out of.
  return p.text() + ".Lbpffw_end:\n";
}

}  // namespace bpffw::codegen
