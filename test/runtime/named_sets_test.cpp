// Named sets (docs/filter-language.md §9) in the kernel: declared sets in maps, judged with
// BPF_PROG_TEST_RUN against the interpreter; changed in place (same program id); replaced whole
// under traffic without a packet seeing a mix; refused declarations and uses.
#include <atomic>
#include <thread>

#include <doctest/doctest.h>

#include "packet/packet_spec.hpp"
#include "runtime/runtime_test_support.hpp"
#include "support/kernel_env.hpp"

namespace bpffw::test {
namespace {

SetItems items_or_fail(const std::string& text) {
  auto items = parse_set_items(text);
  REQUIRE_MESSAGE(items.has_value(), text << ": " << (items ? "" : items.error().message));
  return std::move(*items);
}

ParseOptions with_sets(std::vector<std::pair<std::string, std::string>> sets) {
  ParseOptions options;
  for (auto& [name, items] : sets) options.sets.push_back({name, items_or_fail(items)});
  return options;
}

packet::Packet spec(const std::string& words) {
  auto packet = packet::parse_packet_spec(words);
  REQUIRE_MESSAGE(packet.has_value(), words);
  return std::move(*packet);
}

// The kernel's verdict, checked against the interpreter's with the same set contents.
bool judged(const Program& program, const Filter& filter, const packet::Packet& packet) {
  bool kernel = passes(program, packet);
  CHECK_MESSAGE(kernel == interpret(filter, packet.skb_protocol(), packet.bytes).pass, filter.source());
  return kernel;
}

Filter recovered(const Program& program) {
  auto filter = recover_filter(program);
  REQUIRE_MESSAGE(filter.has_value(), (filter ? "" : filter.error().message));
  return std::move(*filter);
}

TEST_CASE("an integer set in a map judges like the inline set, kernel and interpreter alike") {
  require_root();
  Filter filter = parse_or_fail("udp && dst_port in ports", with_sets({{"ports", "22, 80, 8000..8010"}}));
  Program program = load_or_fail(filter);
  for (std::uint16_t port : {22, 80, 8000, 8005, 8010})
    CHECK_MESSAGE(judged(program, filter, udp_packet(port, 4)), port);
  for (std::uint16_t port : {0, 21, 23, 7999, 8011, 65535})
    CHECK_MESSAGE(!judged(program, filter, udp_packet(port, 4)), port);
}

TEST_CASE("an address set holds whole addresses in hash maps and shorter prefixes in LPM tries") {
  require_root();
  Filter filter = parse_or_fail("!(src_addr in blocklist)",
                                with_sets({{"blocklist", "10.0.0.0/8, 192.0.2.1, 2001:db8::/32, fd00::1"}}));
  Program program = load_or_fail(filter);
  CHECK_FALSE(judged(program, filter, spec("ipv4 src=10.1.2.3 udp dport=53")));
  CHECK_FALSE(judged(program, filter, spec("ipv4 src=192.0.2.1 udp dport=53")));
  CHECK(judged(program, filter, spec("ipv4 src=192.0.2.2 udp dport=53")));
  CHECK(judged(program, filter, spec("ipv4 src=11.0.0.1 udp dport=53")));
  CHECK_FALSE(judged(program, filter, spec("ipv6 src=2001:db8:1::5 udp dport=53")));
  CHECK_FALSE(judged(program, filter, spec("ipv6 src=fd00::1 udp dport=53")));
  CHECK(judged(program, filter, spec("ipv6 src=fd00::2 udp dport=53")));
  CHECK(judged(program, filter, spec("ipv6 src=2001:db9::1 udp dport=53")));
}

TEST_CASE("a set of whole addresses looks in its tries only once it has a shorter prefix") {
  require_root();
  // Loaded with whole addresses only: the set's state says it has no shorter prefixes, so the
  // program does not look in the tries; adding one must turn that on, a replace must set it anew.
  Filter filter = parse_or_fail("src_addr in listed", with_sets({{"listed", "192.0.2.1, 2001:db8::1"}}));
  Program program = load_or_fail(filter);
  packet::Packet in_v4_prefix = spec("ipv4 src=198.51.100.9 udp dport=53");
  packet::Packet in_v6_prefix = spec("ipv6 src=2001:db8:5::9 udp dport=53");
  CHECK(passes(program, spec("ipv4 src=192.0.2.1 udp dport=53")));
  CHECK(passes(program, spec("ipv6 src=2001:db8::1 udp dport=53")));
  CHECK_FALSE(passes(program, in_v4_prefix));
  CHECK_FALSE(passes(program, in_v6_prefix));

  REQUIRE(add_to_set(program, "listed", items_or_fail("198.51.100.0/24")).has_value());
  CHECK(passes(program, in_v4_prefix));
  CHECK_FALSE(passes(program, in_v6_prefix));
  REQUIRE(add_to_set(program, "listed", items_or_fail("2001:db8:5::/48")).has_value());
  CHECK(passes(program, in_v6_prefix));
  Filter now = recovered(program);
  for (const packet::Packet* packet : {&in_v4_prefix, &in_v6_prefix}) CHECK(judged(program, now, *packet));

  // Replaced by whole addresses only: the prefixes are gone, and so is every old entry.
  REQUIRE(replace_set(program, "listed", items_or_fail("198.51.100.9, 2001:db8:5::8")).has_value());
  CHECK(passes(program, in_v4_prefix));
  CHECK_FALSE(passes(program, in_v6_prefix));
  CHECK_FALSE(passes(program, spec("ipv4 src=192.0.2.1 udp dport=53")));
  CHECK_FALSE(passes(program, spec("ipv4 src=198.51.100.10 udp dport=53")));
  auto sets = read_sets(program);
  REQUIRE(sets.has_value());
  CHECK(format_set_items((*sets)[0].items) == "198.51.100.9, 2001:db8:5::8");
}

TEST_CASE("add, remove and replace change the loaded program's set, same program id") {
  require_root();
  Filter filter =
      parse_or_fail("dst_port in ports || src_addr in blocklist", with_sets({{"ports", "22"}, {"blocklist", ""}}));
  Program program = load_or_fail(filter);
  auto id_before = program.info();
  REQUIRE(id_before.has_value());
  packet::Packet ssh = udp_packet(22, 4);
  packet::Packet web = udp_packet(80, 4);
  packet::Packet listed = spec("ipv4 src=198.51.100.7 udp dport=9");
  CHECK(passes(program, ssh));
  CHECK_FALSE(passes(program, web));
  CHECK_FALSE(passes(program, listed));

  REQUIRE(add_to_set(program, "ports", items_or_fail("80, 443")).has_value());
  REQUIRE(add_to_set(program, "blocklist", items_or_fail("198.51.100.7")).has_value());
  CHECK(passes(program, web));
  CHECK(passes(program, listed));
  REQUIRE(remove_from_set(program, "ports", items_or_fail("22, 9999")).has_value());
  CHECK_FALSE(passes(program, ssh));
  REQUIRE(replace_set(program, "ports", items_or_fail("22..23")).has_value());
  CHECK(passes(program, ssh));
  CHECK_FALSE(passes(program, web));

  auto sets = read_sets(program);
  REQUIRE(sets.has_value());
  REQUIRE(sets->size() == 2);
  CHECK((*sets)[0].name == "ports");
  CHECK(format_set_items((*sets)[0].items) == "22..23");
  CHECK(format_set_items((*sets)[1].items) == "198.51.100.7");
  CHECK((*sets)[1].items.element == SetElement::Address);
  // The interpreter, given the program's current sets, agrees with the kernel.
  Filter now = recovered(program);
  for (const packet::Packet* packet : {&ssh, &web, &listed}) judged(program, now, *packet);

  auto id_after = program.info();
  REQUIRE(id_after.has_value());
  CHECK(id_after->id == id_before->id);
}

TEST_CASE("a failed set change changes nothing and names the sets the program has") {
  require_root();
  Filter filter = parse_or_fail("dst_port in ports", with_sets({{"ports", "22"}, {"other", "1"}}));
  Program program = load_or_fail(filter);
  auto unknown = add_to_set(program, "prots", items_or_fail("80"));
  REQUIRE_FALSE(unknown.has_value());
  CHECK(unknown.error().message == "the program has no set 'prots' (did you mean 'ports'?)");
  CHECK(unknown.error().hint == "its sets: ports, other");
  auto wrong_type = replace_set(program, "ports", items_or_fail("10.0.0.1"));
  REQUIRE_FALSE(wrong_type.has_value());
  CHECK(wrong_type.error().message == "set 'ports' holds integers, not addresses");
  CHECK(passes(program, udp_packet(22, 4)));
}

TEST_CASE("a set larger than its map is refused before loading, saying how to raise the maximum") {
  CompileOptions small;
  small.set_capacity = 8;
  Filter filter = parse_or_fail("dst_port in ports", with_sets({{"ports", "1..9"}}));
  auto object = compile(filter, small);
  REQUIRE_FALSE(object.has_value());
  CHECK(object.error().kind == ErrorKind::Usage);
  CHECK(object.error().message ==
        "set 'ports' needs 9 map entries for its integer sets, more than the map's maximum of 8");
  CHECK(object.error().hint.find("--set-capacity") != std::string::npos);
}

TEST_CASE("replacing a set whole under traffic: no packet sees a mix of old and new") {
  require_root();
  // Exactly one of dst_port and dst_port + 1000 is in either set; a packet judged by a half-
  // replaced set, or by the old set in one test and the new in the other, would be dropped.
  constexpr int kItems = 300;
  std::string low = "1000.." + std::to_string(1000 + kItems - 1);
  std::string high = "2000.." + std::to_string(2000 + kItems - 1);
  Filter filter = parse_or_fail("(dst_port in s) != ((dst_port + 1000) in s)", with_sets({{"s", low}}));
  Program program = load_or_fail(filter);
  packet::Packet packet = udp_packet(1000 + kItems - 1, 4);
  REQUIRE(passes(program, packet));

  std::atomic<bool> done{false};
  std::atomic<long> judged_packets{0};
  std::atomic<long> dropped{0};
  std::thread traffic([&] {
    while (!done) {
      auto run = program.test_run(packet.ethernet_frame(), 16);
      if (!run || run->verdict != 1) ++dropped;
      judged_packets += 16;
    }
  });
  SetItems low_items = items_or_fail(low);
  SetItems high_items = items_or_fail(high);
  for (int round = 0; round < 10; ++round)
    REQUIRE(replace_set(program, "s", round % 2 == 0 ? high_items : low_items).has_value());
  done = true;
  traffic.join();
  CHECK(dropped == 0);
  CHECK(judged_packets > 0);
  auto sets = read_sets(program);
  REQUIRE(sets.has_value());
  CHECK(format_set_items((*sets)[0].items) == low);  // ten replaces: back to the first
}

}  // namespace
}  // namespace bpffw::test
