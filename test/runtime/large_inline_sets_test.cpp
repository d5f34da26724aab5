// Large inline sets go into maps (docs/filter-language.md §7.3): a set of 256 items or more written
// in the expression, or as long a chain of `==` tests of one variable, is compiled as a named set
// is, loads on the kernel and judges as the items say; bpffwc set refuses to change it.
#include <doctest/doctest.h>

#include "packet/packet_spec.hpp"
#include "runtime/runtime_test_support.hpp"
#include "support/kernel_env.hpp"

namespace bpffw::test {
namespace {

packet::Packet from_spec(const std::string& words) {
  auto packet = packet::parse_packet_spec(words);
  REQUIRE_MESSAGE(packet.has_value(), words);
  return std::move(*packet);
}

std::string ipv4(int i) {
  return "10." + std::to_string(i >> 16 & 255) + "." + std::to_string(i >> 8 & 255) + "." + std::to_string(i & 255);
}

// Every third address of 10.0.0.0/8 from 10.0.0.0 on, `count` of them.
std::string listed_addresses(int count) {
  std::string items;
  for (int i = 0; i < count; ++i) items += (i == 0 ? "" : ", ") + ipv4(3 * i);
  return items;
}

bool judged(const Program& program, const Filter& filter, const packet::Packet& packet) {
  bool kernel = passes(program, packet);
  CHECK_MESSAGE(kernel == interpret(filter, packet.skb_protocol(), packet.bytes).pass, filter.source());
  return kernel;
}

TEST_CASE("an inline set of 10,000 addresses is compiled into a map and judges as its items say") {
  require_root();
  Filter filter = parse_or_fail("!(src_addr in {" + listed_addresses(10000) + ", 2001:db8::/32})");
  REQUIRE(filter.sets().size() == 1);
  CHECK(filter.sets()[0].name == "{set@1.3}");
  CHECK(is_inline_set(filter.sets()[0].name));
  CHECK(filter.sets()[0].items.prefixes.size() == 10001);
  Program program = load_or_fail(filter);
  for (int i : {0, 1, 2, 3, 4, 29997, 29998, 29999, 30000, 30001})
    CHECK_MESSAGE(
        judged(program, filter, from_spec("ipv4 src=" + ipv4(i) + " udp dport=53")) == (i % 3 != 0 || i >= 30000),
        ipv4(i));
  CHECK_FALSE(judged(program, filter, from_spec("ipv6 src=2001:db8::7 udp dport=53")));
  CHECK(judged(program, filter, from_spec("ipv6 src=2001:db9::7 udp dport=53")));

  // The set belongs to the expression: no live change, and the program is recovered whole.
  auto items = parse_set_items("192.0.2.1");
  REQUIRE(items);
  auto refused = add_to_set(program, "{set@1.3}", *items);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().kind == ErrorKind::Usage);
  CHECK(refused.error().hint.find("--set-file") != std::string::npos);
  CHECK_FALSE(replace_set(program, "{set@1.3}", *items));
  auto listed = read_sets(program);
  REQUIRE(listed);
  REQUIRE(listed->size() == 1);
  CHECK((*listed)[0].items.entry_count() == 10001);
  auto recovered = recover_filter(program);
  REQUIRE_MESSAGE(recovered, (recovered ? "" : recovered.error().message));
  REQUIRE(recovered->sets().size() == 1);
  CHECK(recovered->sets()[0].name == "{set@1.3}");
  CHECK_FALSE(judged(program, *recovered, from_spec("ipv4 src=10.0.0.3 udp dport=53")));
}

TEST_CASE("an inline set and the same items as a named set compile to the same maps") {
  require_root();
  std::string items = listed_addresses(300);
  Filter inline_set = parse_or_fail("src_addr in {" + items + "}");
  ParseOptions options;
  auto named_items = parse_set_items(items);
  REQUIRE(named_items);
  options.sets.push_back({"listed", *named_items});
  Filter named = parse_or_fail("src_addr in listed", options);
  REQUIRE(inline_set.sets().size() == 1);
  CHECK(inline_set.sets()[0].items == named.sets()[0].items);
  Program a = load_or_fail(inline_set);
  Program b = load_or_fail(named);
  for (int i = 0; i < 904; i += 7) {
    packet::Packet packet = from_spec("ipv4 src=" + ipv4(i) + " tcp dport=80");
    CHECK_MESSAGE(judged(a, inline_set, packet) == judged(b, named, packet), ipv4(i));
  }
}

TEST_CASE("a set of 255 items stays a search tree and one of 256 goes into a map") {
  auto ports = [](int count) {
    std::string items;
    for (int i = 0; i < count; ++i) items += (i == 0 ? "" : ", ") + std::to_string(2 * i);
    return items;
  };
  CHECK(parse_or_fail("dst_port in {" + ports(255) + "}").sets().empty());
  CHECK(parse_or_fail("dst_port in {" + ports(256) + "}").sets().size() == 1);
  // Ranges holding more integers than a map should: a tree, however many ranges.
  std::string wide;
  for (int i = 0; i < 300; ++i)
    wide += (i == 0 ? "" : ", ") + std::to_string(i * 100000) + ".." + std::to_string(i * 100000 + 50000);
  CHECK(parse_or_fail("len in {" + wide + "}").sets().empty());
}

TEST_CASE("long chains of == and != tests of one variable become one set in a map") {
  require_root();
  std::string any = "icmp", all = "tcp";
  for (int port = 1000; port < 1600; port += 2) {
    any += " || dst_port == " + std::to_string(port);
    all += " && " + std::to_string(port) + " != dst_port";
  }
  Filter any_port = parse_or_fail(any);
  Filter no_port = parse_or_fail(all);
  REQUIRE(any_port.sets().size() == 1);
  CHECK(any_port.sets()[0].name == "{set@1.9}");
  CHECK(any_port.sets()[0].items.entry_count() == 300);
  REQUIRE(no_port.sets().size() == 1);
  Program a = load_or_fail(any_port);
  Program b = load_or_fail(no_port);
  for (int port : {999, 1000, 1001, 1300, 1301, 1598, 1599, 1600}) {
    bool listed = port >= 1000 && port < 1600 && port % 2 == 0;
    CHECK_MESSAGE(judged(a, any_port, from_spec("ipv4 udp dport=" + std::to_string(port))) == listed, port);
    CHECK_MESSAGE(judged(b, no_port, from_spec("ipv4 tcp dport=" + std::to_string(port))) == !listed, port);
  }
  CHECK(judged(a, any_port, from_spec("ipv4 icmp")));
  CHECK_FALSE(judged(b, no_port, from_spec("ipv4 udp dport=7")));

  // Addresses too: `src_addr == a || src_addr == b || ...`.
  std::string addresses = "src_addr == " + ipv4(0);
  for (int i = 1; i < 300; ++i) addresses += " || src_addr == " + ipv4(3 * i);
  Filter by_address = parse_or_fail(addresses);
  REQUIRE(by_address.sets().size() == 1);
  Program c = load_or_fail(by_address);
  CHECK(judged(c, by_address, from_spec("ipv4 src=10.0.0.3 udp dport=53")));
  CHECK_FALSE(judged(c, by_address, from_spec("ipv4 src=10.0.0.4 udp dport=53")));
}

}  // namespace
}  // namespace bpffw::test
