// Which part of the filter refused a packet (issue 27, item 5), in the kernel: the drop record of a
// program compiled with the drop log names the part that decided, and it is the part the reference
// interpreter names (InterpretResult::decided_by) for the same packet. BPF_PROG_TEST_RUN on loaded
// programs: fixed examples (the issue's, chains the code generator regroups into set searches and
// indexes), then random filters on random packets.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include <doctest/doctest.h>

#include <bpffw/drop_log.hpp>
#include <bpffw/interpreter.hpp>

#include "layout/map_layout.hpp"
#include "packet/packet_spec.hpp"
#include "random/random_filter.hpp"
#include "random/random_packet.hpp"
#include "random/random_rules.hpp"
#include "random/rng.hpp"
#include "runtime/drop_record.hpp"
#include "runtime/runtime_test_support.hpp"
#include "support/kernel_env.hpp"

namespace bpffw::test {
namespace {

CompileOptions logging_everything() {
  CompileOptions options;
  options.log = LogLimit{1'000'000, 1'000'000};  // no drop of a test is suppressed
  return options;
}

std::string part(const std::string& source, const std::optional<SourceSpan>& span) {
  if (!span) return "(none)";
  return "'" + source.substr(span->offset, span->length) + "' at " + std::to_string(span->offset) + "+" +
         std::to_string(span->length);
}

// Runs every packet through the logged program and checks, for each one the kernel dropped, that
// its record names what the interpreter names. Returns how many drops were compared.
std::size_t compare_deciders(const Filter& filter, const std::vector<packet::Packet>& packets) {
  Program program = load_or_fail(filter, logging_everything());
  std::vector<std::optional<SourceSpan>> expected;  // per kernel drop
  std::vector<std::string> described;
  for (const packet::Packet& packet : packets) {
    if (passes(program, packet)) continue;
    InterpretResult result = interpret(filter, packet.skb_protocol(), packet.bytes);
    REQUIRE_MESSAGE(!result.pass, filter.source() << ": the kernel dropped a packet the interpreter passes");
    expected.push_back(result.malformed ? std::nullopt : result.decided_by);
    described.push_back(packet::describe_packet(packet));
  }
  if (expected.empty()) return 0;
  INFO(filter.source());
  std::vector<DropRecord> records = drain(program);
  REQUIRE(records.size() == expected.size());
  const std::string source(filter.source());
  for (std::size_t i = 0; i < records.size(); ++i) {
    const std::optional<SourceSpan>& kernel = records[i].decided_by;
    const bool same = kernel.has_value() == expected[i].has_value() &&
                      (!kernel || (kernel->offset == expected[i]->offset && kernel->length == expected[i]->length));
    CHECK_MESSAGE(same, source << "\n  packet " << described[i] << "\n  kernel: " << part(source, kernel)
                               << "\n  interpreter: " << part(source, expected[i]));
    CHECK(records[i].expression_hash == expression_hash(source));
    if (auto located = locate_decider(records[i], source); located && expected[i]) {
      CHECK(located->line == expected[i]->line);
      CHECK(located->column == expected[i]->column);
    }
  }
  return records.size();
}

packet::Packet spec(const std::string& words) {
  auto packet = packet::parse_packet_spec(words);
  REQUIRE_MESSAGE(packet.has_value(), words);
  return std::move(*packet);
}

std::vector<packet::Packet> specs(const std::vector<std::string>& words) {
  std::vector<packet::Packet> packets;
  for (const std::string& one : words) packets.push_back(spec(one));
  return packets;
}

TEST_CASE("the drop record names the part of the issue's filter that refused the packet") {
  require_root();
  ParseOptions options;
  auto items = parse_set_items("192.0.2.0/24, 2001:db8::/32");
  REQUIRE(items.has_value());
  options.sets.push_back({"blocklist", *items});
  Filter filter = parse_or_fail("!(src_addr in blocklist) && tcp && dst_port == 8080", options);
  Program program = load_or_fail(filter, logging_everything());
  REQUIRE_FALSE(passes(program, spec("ipv4 src=192.0.2.7 tcp dport=8080")));
  REQUIRE_FALSE(passes(program, spec("ipv4 src=10.1.1.1 udp dport=8080")));
  REQUIRE_FALSE(passes(program, spec("ipv6 src=fd00::1 tcp dport=22")));
  REQUIRE(passes(program, spec("ipv4 src=10.1.1.1 tcp dport=8080")));
  std::vector<DropRecord> records = drain(program);
  REQUIRE(records.size() == 3);
  const std::string source(filter.source());
  std::vector<std::string> parts;
  for (const DropRecord& record : records) {
    auto span = locate_decider(record, source);
    REQUIRE(span.has_value());
    parts.push_back(source.substr(span->offset, span->length) + " " + std::to_string(span->line) + ":" +
                    std::to_string(span->column));
  }
  CHECK(parts == std::vector<std::string>{"src_addr in blocklist 1:3", "tcp 1:29", "dst_port == 8080 1:36"});
  // Another program's expression does not locate it.
  CHECK_FALSE(locate_decider(records[0], "tcp && dst_port == 8080").has_value());
}

TEST_CASE("a malformed packet's record names no part, and a filter without variables names its constant") {
  require_root();
  Filter filter = parse_or_fail("tcp && dst_port == 22");
  Program program = load_or_fail(filter, logging_everything());
  REQUIRE_FALSE(passes(program, packet::PacketBuilder().ipv4().tcp(1, 22).truncate(30).build()));
  std::vector<DropRecord> records = drain(program);
  REQUIRE(records.size() == 1);
  CHECK(records[0].reason == DropReason::Malformed);
  CHECK_FALSE(records[0].decided_by.has_value());

  Filter constant = parse_or_fail("1 == 2");
  CHECK(compare_deciders(constant, specs({"ipv4 udp", "ipv6 tcp"})) == 2);
}

TEST_CASE("chains regrouped into set searches and indexes name the operand the interpreter names") {
  require_root();
  const std::vector<std::string> ports = {"ipv4 tcp dport=22",        "ipv4 tcp dport=80",        "ipv4 udp dport=80",
                                          "ipv4 tcp dport=443",       "ipv4 udp dport=53",        "ipv6 tcp dport=8080",
                                          "ipv4 tcp sport=7 dport=1", "ipv4 tcp sport=3 dport=5", "ipv4 icmp",
                                          "ipv6 udp sport=9 dport=9"};
  // The code generator groups tests of one variable wherever they stand in the chain, and indexes
  // an || chain of && terms by a shared `v == c`: the kernel does not evaluate in written order,
  // and its record must still name the operand that written-order evaluation stops at.
  for (const char* text : {
           "dst_port != 22 && tcp && dst_port != 80",
           "dst_port >= 1024 && udp && dst_port != 8080 && dst_port < 9000",
           "dst_port == 22 || udp || dst_port == 443",
           "!(dst_port == 22 || tcp || dst_port == 443)",
           "(tcp && dst_port == 22) || (udp && dst_port == 53) || dst_port in {80, 443}",
           "(src_port == 1 && dst_port == 1) || (src_port == 2 && dst_port == 2) || (src_port == 3 && dst_port == 3) "
           "|| (src_port == 4 && dst_port == 4) || (src_port == 5 && dst_port == 5) || (src_port == 6 && tcp) "
           "|| (src_port == 7 && dst_port == 7) || (src_port == 8 && udp) || (src_port == 9 && dst_port == 8)",
           "tcp ? dst_port == 80 : (udp && dst_port in {53, 9})",
           "(dst_port == 80) == udp",
       }) {
    CAPTURE(text);
    compare_deciders(parse_or_fail(text), specs(ports));
  }
}

std::string port_chain(const char* op, const char* join, int terms) {
  std::string text;
  for (int i = 1; i <= terms; ++i)
    text += (i > 1 ? join : "") + std::string("dst_port ") + op + " " + std::to_string(i);
  return text;
}

TEST_CASE("long runs of tests of one variable: up to 256 pieces each test named, a run of 300 as a whole") {
  require_root();
  std::vector<packet::Packet> packets;
  for (std::uint16_t port : {1, 2, 100, 199, 200, 299, 300, 301, 5000})
    packets.push_back(packet::PacketBuilder().ipv4().tcp(40000, port).build());
  // Each of 200 `dst_port != N` stops the chain for one port: 200 pieces, each named.
  CHECK(compare_deciders(parse_or_fail("tcp && " + port_chain("!=", " && ", 200)), packets) == 5);
  CHECK(compare_deciders(parse_or_fail("udp || " + port_chain("==", " || ", 200) + " || tcp"), packets) == 0);

  // 300 of them are one set in a map (filter-language.md §7.3): the record and the interpreter
  // both name the run as a whole.
  const std::string run = port_chain("!=", " && ", 300);
  Filter filter = parse_or_fail("tcp && " + run + " && len > 10");
  Program program = load_or_fail(filter, logging_everything());
  REQUIRE_FALSE(passes(program, packets[3]));  // port 199
  std::vector<DropRecord> records = drain(program);
  REQUIRE(records.size() == 1);
  REQUIRE(records[0].decided_by.has_value());
  CHECK(records[0].decided_by->offset == 7);
  CHECK(records[0].decided_by->length == run.size());
  auto interpreted = interpret(filter, packets[3].skb_protocol(), packets[3].bytes).decided_by;
  REQUIRE(interpreted.has_value());
  CHECK(interpreted->offset == 7);
  CHECK(interpreted->length == run.size());
}

TEST_CASE("records of bpffw before the decider (version 1, 80 bytes) still decode, without a decider") {
  layout::DropRecordLayout v2{};
  v2.time_ns = 7;
  v2.uid = 1000;
  v2.length = 60;
  v2.version = layout::kDropRecordVersion;
  v2.reason = layout::kReasonFilter;
  v2.status = 63;  // IPv4
  v2.holds = 1;    // ports
  v2.transport[2] = 0x1f;
  v2.transport[3] = 0x90;  // destination port 8080
  v2.decided_offset = 35;
  v2.decided_length = 16;
  v2.expression_hash = expression_hash("!(src_addr in blocklist) && tcp && dst_port == 8080");
  auto decoded = runtime::decode_drop_record(&v2, sizeof v2);
  REQUIRE(decoded.has_value());
  CHECK(decoded->destination_port == 8080);
  REQUIRE(decoded->decided_by.has_value());
  auto located = locate_decider(*decoded, "!(src_addr in blocklist) && tcp && dst_port == 8080");
  REQUIRE(located.has_value());
  CHECK(located->line == 1);
  CHECK(located->column == 36);

  // Version 1: the same header up to `holds`, then the packet at byte 32.
  unsigned char v1[layout::kDropRecordVersion1Bytes] = {};
  std::memcpy(v1, &v2, layout::kDropRecordVersion1HeaderBytes);
  v1[offsetof(layout::DropRecordLayout, version)] = layout::kDropRecordVersion1;
  std::memcpy(v1 + layout::kDropRecordVersion1HeaderBytes, v2.transport, 48);
  decoded = runtime::decode_drop_record(v1, sizeof v1);
  REQUIRE(decoded.has_value());
  CHECK(decoded->uid == 1000);
  CHECK(decoded->destination_port == 8080);
  CHECK_FALSE(decoded->decided_by.has_value());
  CHECK_FALSE(runtime::decode_drop_record(v1, sizeof v1 - 1).has_value());
  unsigned char other[sizeof v2] = {};
  other[offsetof(layout::DropRecordLayout, version)] = 9;
  CHECK_FALSE(runtime::decode_drop_record(other, sizeof other).has_value());
}

TEST_CASE("random filters on random packets: every record names the part the interpreter names") {
  require_root();
  random::Rng rng(20261206);
  std::size_t compared = 0;
  for (int i = 0; i < 120; ++i) {
    std::string text = random::random_filter(rng);
    auto filter = Filter::parse(text);
    REQUIRE_MESSAGE(filter.has_value(), text);
    std::vector<packet::Packet> packets;
    for (int k = 0; k < 25; ++k) packets.push_back(random::random_packet(rng));
    compared += compare_deciders(*filter, packets);
  }
  MESSAGE(compared << " drops compared");
  CHECK(compared > 500);
}

// Rule lists (docs/filter-language.md §7.4) are lookups, not tests in written order; a deny list
// `!(rules)` drops on a met term, and the record names what the first met term's last test is,
// as the interpreter names it, also when terms left out of the lookups come before it.
// A trie's lookup finds the longest prefix; the first term met may be a shorter one's.
TEST_CASE("rule lists: a record names the first term met, not the longest prefix's") {
  require_root();
  std::string text = "!(";
  for (int i = 0; i < 70; ++i) text += "(dst_addr == 2001:db8:" + std::to_string(i) + "::/48) || ";
  text += "(dst_addr in {127.8.0.0/23, fd00::/8, 0.0.0.0/0}) || (icmp) || (dst_addr == fd00::/64))";
  auto filter = Filter::parse(text);
  REQUIRE(filter);
  CHECK(compare_deciders(*filter, specs({"ipv6 udp dport=123", "ipv4 dst=127.8.1.1 udp dport=123", "ipv6 icmpv6",
                                         "ipv6 dst=2001:db8:5::1 udp", "ipv6 dst=2001:db9:5::1 udp"})) == 4);
}

TEST_CASE("rule lists: a deny list's records name the first term met, as the interpreter names it") {
  require_root();
  random::Rng rng(20261207);
  std::size_t compared = 0;
  for (unsigned terms : {70u, 700u, 7000u}) {
    random::RandomRuleList list = random::random_rule_list(rng, terms);
    for (const std::string& text : {"!(" + list.text + ")", list.text}) {
      auto filter = Filter::parse(text);
      REQUIRE_MESSAGE(filter.has_value(), text.substr(0, 200));
      std::vector<packet::Packet> packets;
      for (int k = 0; k < 60; ++k)
        packets.push_back(random::packet_for_term(rng, list.terms[rng.below(list.terms.size())], k % 3 == 0));
      compared += compare_deciders(*filter, packets);
    }
  }
  MESSAGE(compared << " drops compared");
  CHECK(compared > 100);
}

}  // namespace
}  // namespace bpffw::test
