// What the code generator puts into every program for runtime control, and what lib/runtime
// reads back from a loaded program: one place for the names and layouts both sides rely on.
//
//   bpffw_counters      ".maps" (BTF-defined), BPF_MAP_TYPE_PERCPU_ARRAY, 1 entry, value
//                       CounterSlot: packets and bytes passed and dropped on each CPU.
//   bpffw_params        ".data" global, i64[N]: the runtime parameters in declaration order. libbpf
//                       turns .data into an array map named "<object>.data" (kernel name
//                       "bpffw.data"); the program reads it directly, with no helper call.
//                       Program::load binds it to the program (BPF_PROG_BIND_MAP) so that it is
//                       found even when the expression does not use every declared parameter.
//   bpffw_set_gen       ".maps", BPF_MAP_TYPE_ARRAY, one u32 per named set (docs/filter-language.md
//                       §9): the set's state, its current generation (bit 0) and whether that
//                       generation has prefixes shorter than a whole address (kSetState*).
//   bpffw_set_int       ".maps", BPF_MAP_TYPE_HASH, key IntegerSetKey, value u8 1: every integer of
//                       every integer set (a range is one entry per integer).
//   bpffw_set_v4x       ".maps", BPF_MAP_TYPE_HASH, key Ipv4ExactKey (Ipv6ExactKey), value u8 1:
//   bpffw_set_v6x       the whole addresses (/32, /128) of every address set, so that a hit is one
//                       hash lookup whatever the set's size.
//   bpffw_set_v4        ".maps", BPF_MAP_TYPE_LPM_TRIE, key Ipv4SetKey, value u8 1: the shorter
//   bpffw_set_v6        IPv4 (IPv6) prefixes of every address set; the program looks here only
//                       after the hash map missed, and only when the set's state says it has any.
//                       A key carries the set's tag: index * 2 + generation. The program looks
//                       up the tag of the set's current generation only, so replacing a set whole
//                       fills the other generation, flips bpffw_set_gen with one update, and then
//                       deletes the old generation's entries: a packet sees the old set or the new,
//                       never a half-filled one. The maps are BPF_F_NO_PREALLOC: memory as used.
//   bpffw_set_v4c       ".maps", BPF_MAP_TYPE_HASH, key Ipv4ExactKey (Ipv6ExactKey), value
//   bpffw_set_v6c       PrefixCover: what the IPv4 (IPv6) trie holds, as the program looks it up
//                       (PrefixCover says how), so that a packet's address is found with hash
//                       lookups instead of a trie walk. The trie stays the set's contents; these
//                       maps are derived from it.
//   bpffw_rules         ".maps", BPF_MAP_TYPE_HASH, value RuleValue (only with a rule list,
//                       docs/filter-language.md §7.4): a key per combination of values a rule
//                       list's term accepts, RuleKeyHead (the shape's id) then the shape's slots
//                       (codegen/rule_lists.hpp), zero-filled to the program's key size.
//   bpffw_rule_lpm      ".maps", BPF_MAP_TYPE_LPM_TRIE, value RuleValue: the same for shapes whose last
//                       address is of several prefix lengths, each key led by its length in bits.
//   bpf_metadata_bpffw  ".rodata" global, text (metadata.hpp). libbpf binds the .rodata map to the
//                       program (BPF_PROG_BIND_MAP), so it is among the program's map ids even
//                       though no instruction reads it; `bpftool prog show` prints it as metadata.
//   bpffw_log           ".maps", BPF_MAP_TYPE_RINGBUF of kLogRingBytes (only with the drop log):
//                       one DropRecordLayout per recorded drop, and one RefusalRecordLayout
//                       per refusal the socket programs record (they share the packet
//                       program's ring and bucket).
//   bpffw_log_state     ".maps", BPF_MAP_TYPE_ARRAY, 1 entry, value LogState: the token bucket
//                       and the log's counters, shared by all CPUs (see LogState).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace bpffw::layout {

inline constexpr const char* kCountersMap = "bpffw_counters";
inline constexpr const char* kParametersGlobal = "bpffw_params";
inline constexpr const char* kMetadataGlobal = "bpf_metadata_bpffw";

// libbpf names internal maps "<object name>.<section>"; Program::load opens objects as "bpffw".
inline constexpr const char* kParametersMap = "bpffw.data";
inline constexpr const char* kMetadataMap = "bpffw.rodata";

inline constexpr const char* kSetGenerationMap = "bpffw_set_gen";
inline constexpr const char* kIntegerSetMap = "bpffw_set_int";
inline constexpr const char* kIpv4SetMap = "bpffw_set_v4";
inline constexpr const char* kIpv6SetMap = "bpffw_set_v6";
inline constexpr const char* kIpv4ExactSetMap = "bpffw_set_v4x";
inline constexpr const char* kIpv6ExactSetMap = "bpffw_set_v6x";

// A set's state word in bpffw_set_gen.
inline constexpr std::uint32_t kSetStateGeneration = 1;  // the current generation, 0 or 1
inline constexpr std::uint32_t kSetStateIpv4Trie = 2;    // it has IPv4 prefixes shorter than /32
inline constexpr std::uint32_t kSetStateIpv6Trie = 4;    // it has IPv6 prefixes shorter than /128
inline constexpr std::uint32_t kSetStateIpv4Wide = 8;    // it has IPv4 prefixes shorter than /8 (PrefixCover)
inline constexpr std::uint32_t kSetStateIpv6Wide = 16;   // it has IPv6 prefixes shorter than /24 (PrefixCover)
inline constexpr std::uint32_t kSetStateIpv6Short = 32;  // and shorter than /16: its IPv6 lookups walk the trie

inline constexpr std::uint32_t set_tag(std::uint32_t set_index, std::uint32_t generation) {
  return set_index * 2 + generation;
}

// The socket programs' refusals (docs/filter-language.md §10): a per-CPU array of one u64 per
// hook, in SocketHook's order (kSocketHooks), then one per hook for the calls an audit program let go
// ahead that it would have refused. bpffw before audit mode had the first kSocketHookCount only.
inline constexpr const char* kRefusalsMap = "bpffw_refusals";
inline constexpr unsigned kSocketHookCount = 6;
inline constexpr std::uint32_t refusal_slot(unsigned hook, bool audit) { return hook + (audit ? kSocketHookCount : 0); }
inline constexpr std::uint32_t kRefusalSlots = 2 * kSocketHookCount;

inline constexpr const char* kRuleMap = "bpffw_rules";
inline constexpr const char* kRulePrefixMap = "bpffw_rule_lpm";
// The first 8 bytes of a key of bpffw_rules: {shape, 0}; of bpffw_rule_lpm: {prefix length in
// bits after this word, shape}. Host byte order; the slots follow, 8-aligned.
struct RuleKeyHead {
  std::uint32_t first;
  std::uint32_t second;
};
static_assert(sizeof(RuleKeyHead) == 8);

// The value of a rule key: the first term (in written order) of its rule list that puts the key
// in the map, and the part of that term that decides it true (for the drop log's decider,
// InterpretResult::decided_by), its offset | length << 32 in the expression.
struct RuleValue {
  std::uint32_t term;
  std::uint32_t zero;
  std::uint64_t decider;
};
static_assert(sizeof(RuleValue) == 16);

// How the program carries the span of the part that decided (the drop log's decider, RuleValue):
// offset | length << 32, each saturated at 32 bits.
inline constexpr std::uint64_t decider_word(std::uint64_t offset, std::uint64_t length) {
  return (offset < UINT32_MAX ? offset : UINT32_MAX) | (length < UINT32_MAX ? length : UINT32_MAX) << 32;
}

// The key of bpffw_set_int.
struct IntegerSetKey {
  std::int64_t value;
  std::uint32_t tag;  // host byte order
  std::uint32_t zero;
};
static_assert(sizeof(IntegerSetKey) == 16);

// The keys of the LPM tries: prefix_length counts the tag's 32 bits too (so it is 32 + the
// prefix's length), and the tag is big-endian, as LPM tries compare bytes from the first.
template <unsigned AddressBytes>
struct AddressSetKey {
  std::uint32_t prefix_length;
  std::uint8_t tag_be[4];
  std::uint8_t address[AddressBytes];  // network byte order
};
using Ipv4SetKey = AddressSetKey<4>;
using Ipv6SetKey = AddressSetKey<16>;
static_assert(sizeof(Ipv4SetKey) == 12 && sizeof(Ipv6SetKey) == 24);
inline constexpr unsigned kSetTagBits = 32;

// The keys of the hash maps of whole addresses: the address first, where the program's 8-byte
// stores of an IPv6 address are aligned.
template <unsigned AddressBytes>
struct ExactAddressKey {
  std::uint8_t address[AddressBytes];  // network byte order
  std::uint32_t tag;                   // host byte order
};
using Ipv4ExactKey = ExactAddressKey<4>;
using Ipv6ExactKey = ExactAddressKey<16>;
static_assert(sizeof(Ipv4ExactKey) == 8 && sizeof(Ipv6ExactKey) == 20);
inline constexpr unsigned kSetKeyTagOffset = 4;
inline constexpr unsigned kSetKeyAddressOffset = 8;
inline constexpr std::uint32_t kMapNoPrealloc = 1;  // BPF_F_NO_PREALLOC

// The IPv4 trie's prefixes (lengths 0 to 31) as the program looks a packet's address up in one or
// two hash lookups. The key is an Ipv4ExactKey whose address is cut to /8, /16 or /24, with
// kCoverOf8 or kCoverOf24 in the tag for a /8's or a /24's entry.
//   a /8's entry:  `within` counts the prefixes of length 0 to 7 that contain the /8; looked up
//                  only when the set's state has kSetStateIpv4Wide, which no real blocklist needs.
//   a /16's entry: `within` counts the set's prefixes of length 8 to 16 that contain the /16
//                  (a /8 is counted in each of its 256 /16s); `within24[i]` those of length 17
//                  to 24 that contain the /24 (the /16 then i); `below` has bit i set when that
//                  /24 has an entry. An entry exists while any of them is not zero.
//   a /24's entry: `longer` counts the prefixes of length 25 to 31 inside the /24 (the trie
//                  finds which addresses they hold).
// A packet's address matches when its /8's (if looked up) or its /16's `within`, or its /24's
// count in `within24`, is not zero, or its /24's bit is set, that /24's `longer` is not zero and
// the trie holds the address. Counts, not bits, so that removing one of two prefixes that contain
// the same address keeps it.
// IPv6's cover is IPv4's with every cut 16 bits further: by /24 (prefixes shorter than /24), by /32
// with a count per /40, by /40 for longer prefixes. IPv6 prefixes shorter than /16 are not counted:
// a set that has any (kSetStateIpv6Short) looks its IPv6 addresses up in the trie.
inline constexpr const char* kIpv4CoverMap = "bpffw_set_v4c";
inline constexpr const char* kIpv6CoverMap = "bpffw_set_v6c";
inline constexpr unsigned cover_main_bits(bool ipv6) { return ipv6 ? 32 : 16; }
inline constexpr unsigned kCoverShortestIpv6 = 16;
inline constexpr std::uint32_t kCoverOf24 = 1u << 31;
inline constexpr std::uint32_t kCoverOf8 = 1u << 30;
struct PrefixCover {
  std::uint32_t within;
  std::uint32_t longer;
  std::uint64_t below[4];
  std::uint8_t within24[256];  // at most 8 prefixes (/17 to /24) contain a /24
};
static_assert(sizeof(PrefixCover) == 296);

// One CPU's counters, the value of bpffw_counters' only entry. An audit program (CompileOptions::audit)
// counts the packets its filter would drop, and passes, in the would_drop fields; an enforcing one
// in the dropped fields. Kept across a replacement, so switching between the two keeps both tallies
// apart. Programs of bpffw before audit mode have the first four fields only (kCounterSlotV1Bytes).
struct CounterSlot {
  std::uint64_t passed_packets;
  std::uint64_t passed_bytes;
  std::uint64_t dropped_packets;
  std::uint64_t dropped_bytes;
  std::uint64_t would_drop_packets;
  std::uint64_t would_drop_bytes;
};
inline constexpr unsigned kPassedPacketsField = 0;
inline constexpr unsigned kPassedBytesField = 1;
inline constexpr unsigned kDroppedPacketsField = 2;
inline constexpr unsigned kDroppedBytesField = 3;
inline constexpr unsigned kWouldDropPacketsField = 4;
inline constexpr unsigned kWouldDropBytesField = 5;
inline constexpr std::size_t kCounterSlotV1Bytes = 32;

inline constexpr const char* kLogRingMap = "bpffw_log";
inline constexpr const char* kLogStateMap = "bpffw_log_state";
// 512 KiB: some 5,000 records of 96 bytes, more than a second of the largest sensible rate, so a reader that
// wakes a few times a second loses none.
inline constexpr std::uint32_t kLogRingBytes = 512 * 1024;

// The drop log's state. The bucket is GCRA (a token bucket kept as one time): `next_ns` is when
// the bucket is full again; a drop is recorded when next_ns - now <= (burst - 1) * interval, and
// then moves next_ns on by one interval. One shared value and no lock: bpf_spin_lock is not
// offered to cgroup_skb on every kernel of the matrix and compare-and-swap needs 5.12, so two CPUs
// dropping at the same instant may both take the last token (the limit is approximate by a record
// or so per CPU). The counters are atomic adds (BPF_XADD, every kernel), exact: every drop is
// counted once as logged, suppressed or lost.
struct LogState {
  std::uint64_t next_ns;
  std::uint64_t logged;
  std::uint64_t suppressed;
  std::uint64_t lost;
};
inline constexpr unsigned kLogNextField = 0, kLogLoggedField = 1, kLogSuppressedField = 2, kLogLostField = 3;

// One record in bpffw_log, as the program writes it: a header, then the packet parser's
// ParsedPacket prefix (fields/packet_fields.hpp: transport bytes, source, destination) that the
// program's second, complete parse leaves there. Version 1 (bpffw before the decider, 80 bytes)
// ended its header at `holds`; its readers skip version 2.
inline constexpr std::uint8_t kDropRecordVersion = 2;
inline constexpr std::uint8_t kDropRecordVersion1 = 1;
inline constexpr std::size_t kDropRecordVersion1Bytes = 80;
inline constexpr std::uint8_t kReasonFilter = 1, kReasonMalformed = 2, kReasonRefused = 3;
// The record's flags: an audit program's (CompileOptions::audit), whose packet passed (or whose
// socket call went ahead) although the filter would have dropped (refused) it.
inline constexpr std::uint32_t kRecordFlagAudit = 1;
struct DropRecordLayout {
  std::uint64_t time_ns;    // bpf_ktime_get_ns: CLOCK_MONOTONIC
  std::uint64_t cgroup_id;  // bpf_skb_cgroup_id: the socket's cgroup v2 (its inode number)
  std::uint32_t uid;        // bpf_get_socket_uid: the socket owner's; the overflow uid without one
  std::uint32_t length;     // skb->len
  std::uint8_t version;     // kDropRecordVersion
  std::uint8_t ingress;     // 1 ingress, 0 egress (skb->ingress_ifindex is 0 on egress)
  std::uint8_t reason;      // kReasonFilter, kReasonMalformed, or kReasonRefused (RefusalRecordLayout)
  std::uint8_t status;      // the packet parser's status (packet_parser.hpp): not IP, malformed, v4, v6
  std::uint16_t ethertype;  // skb->protocol as the kernel keeps it (big-endian): the family when malformed
  std::uint8_t protocol;    // the transport protocol (IPv6: the last next header)
  std::uint8_t holds;       // which fields `transport` holds (packet_parser.hpp bits); malformed: kMalformed*
  // The part of the expression that decided the drop (kReasonFilter; InterpretResult::decided_by):
  // its byte offset and length in the program's expression (the metadata's), found on the logged
  // drop's path only by evaluating the expression again in written order. Length 0: none (malformed).
  std::uint32_t decided_offset;
  std::uint32_t decided_length;
  std::uint32_t expression_hash;  // expression_hash(expression): which program's expression the span is in
  std::uint32_t flags;            // kRecordFlag* (0 in bpffw before audit mode)
  std::uint8_t transport[16];
  std::uint8_t src_addr[16];
  std::uint8_t dst_addr[16];
};
inline constexpr std::size_t kDropRecordHeaderBytes = 48;  // then the ParsedPacket
inline constexpr std::size_t kDropRecordVersion1HeaderBytes = 32;

// The packet parser's status (codegen/packet_parser.hpp says how it is chosen), as the program
// computes it and a drop record carries it; and which fields the record's transport bytes hold,
// as bits (its `holds`). The code generator and the drop log's readers both use these.
inline constexpr std::uint8_t kStatusNotIp = 0, kStatusMalformed = 1, kStatusIpv4 = 63, kStatusIpv6 = 6;
inline constexpr std::uint8_t kHoldsPorts = 1, kHoldsTcp = 2, kHoldsIcmp = 4;

// A malformed packet's `holds`: the rule of docs/filter-language.md §5.6 it broke, which the packet
// parser leaves in r8 in place of the transport bits (packet_parser.cpp).
inline constexpr std::uint8_t kMalformedIpv4Version = 1, kMalformedIpv4Ihl = 2, kMalformedIpv4Length = 3,
                              kMalformedIpv6Version = 4, kMalformedIpv6Length = 5, kMalformedExtensionLength = 6,
                              kMalformedExtensionCount = 7, kMalformedTransportLength = 8;
static_assert(sizeof(DropRecordLayout) == kDropRecordHeaderBytes + 48);
static_assert(offsetof(DropRecordLayout, decided_offset) == kDropRecordVersion1HeaderBytes &&
              kDropRecordVersion1Bytes == kDropRecordVersion1HeaderBytes + 48);

// A refusal at a socket hook (kReasonRefused): a DropRecordLayout of the packet the flow would
// have sent (egress, status v4 or v6, its protocol, kHoldsPorts with the socket's bound port or 0
// and the destination's port, the bound address or zeros, the destination; length 0) or, for a
// bind(), would have received (ingress, the address and port bound as the destination), then who
// called. A reader of bpffw before refusals reads one as the filter's drop of that packet.
struct RefusalRecordLayout {
  DropRecordLayout packet;
  std::uint32_t pid;  // the caller's process (bpf_get_current_pid_tgid's thread group id)
  std::uint8_t hook;  // SocketHook, in kSocketHooks' order
  std::uint8_t reserved[3];
  char command[16];  // bpf_get_current_comm: the calling thread's name, NUL-padded
};
static_assert(sizeof(RefusalRecordLayout) == sizeof(DropRecordLayout) + 24);

// FNV-1a of the expression's text, as drop records carry it: a ring that programs replaced with
// --force share holds records of several expressions.
inline constexpr std::uint32_t expression_hash(std::string_view expression) {
  std::uint32_t hash = 2166136261u;
  for (char c : expression) hash = (hash ^ static_cast<std::uint8_t>(c)) * 16777619u;
  return hash;
}

}  // namespace bpffw::layout
