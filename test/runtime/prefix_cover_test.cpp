// A set's IPv4 prefixes as the program looks them up (layout::PrefixCover, docs/filter-language.md
// §9): prefixes that contain one another, added and removed live, judge as the set's contents say
// (kernel against the interpreter with the contents read back); removing them all leaves no
// entry behind; a change that does not fit changes nothing.
#include <bpf/bpf.h>
#include <doctest/doctest.h>

#include "layout/map_layout.hpp"
#include "loader/program_maps.hpp"
#include "packet/packet_spec.hpp"
#include "runtime/runtime_test_support.hpp"
#include "support/kernel_env.hpp"

namespace bpffw::test {
namespace {

SetItems items_of(const std::string& text) {
  auto items = parse_set_items(text);
  REQUIRE_MESSAGE(items.has_value(), text << ": " << (items ? "" : items.error().message));
  return std::move(*items);
}

// Addresses at the edges of every prefix the cases use, and next to them.
constexpr const char* kProbes[] = {"10.0.0.0",      "10.0.255.255", "10.1.0.0",        "10.1.1.255",     "10.1.2.0",
                                   "10.1.2.127",    "10.1.2.128",   "10.1.2.129",      "10.1.2.200",     "10.1.2.255",
                                   "10.1.3.0",      "10.1.255.255", "10.2.0.1",        "10.255.255.255", "11.0.0.0",
                                   "9.255.255.255", "0.0.0.0",      "255.255.255.255", "192.0.2.1",      "10.1.2.130"};

constexpr const char* kIpv6Probes[] = {"2001:db8::",
                                       "2001:db8:ffff:ffff::1",
                                       "2001:db8:1::",
                                       "2001:db8:1:2::",
                                       "2001:db8:1:2::5",
                                       "2001:db8:1:2::6",
                                       "2001:db8:1:2::80",
                                       "2001:db8:1:2::ff",
                                       "2001:db8:1:2::100",
                                       "2001:db8:1:3::1",
                                       "2001:db8:0:ff::1",
                                       "2001:db9::1",
                                       "2001:db7:ffff::1",
                                       "2001::1",
                                       "2001:ff::1",
                                       "2000::1",
                                       "2000:fff::1",
                                       "2002::1",
                                       "::1",
                                       "ffff::1",
                                       "2001:db8:100::1",
                                       "2001:db8:1:2:8000::1"};

// Every probe judged by the kernel as by the interpreter with the set as read back from the maps.
template <std::size_t N>
void check_probes(const Program& program, const std::string& step, const char* const (&probes)[N], bool ipv6) {
  auto filter = recover_filter(program);
  REQUIRE_MESSAGE(filter.has_value(), (filter ? "" : filter.error().message));
  for (const char* address : probes) {
    auto packet = packet::parse_packet_spec(std::string(ipv6 ? "ipv6 src=" : "ipv4 src=") + address + " udp dport=53");
    REQUIRE(packet.has_value());
    bool kernel = passes(program, *packet);
    CHECK_MESSAGE(kernel == interpret(*filter, packet->skb_protocol(), packet->bytes).pass, step << ": " << address);
  }
}
void check_probes(const Program& program, const std::string& step) {
  check_probes(program, step, kProbes, false);
  check_probes(program, step, kIpv6Probes, true);
}

std::size_t cover_entries(const Program& program, const char* map = layout::kIpv4CoverMap) {
  auto found = loader::find_program_map(program.fd(), map);
  REQUIRE(found.has_value());
  REQUIRE(found->has_value());
  std::size_t count = 0;
  layout::Ipv6ExactKey key{}, next{};  // the larger of the two keys
  for (bool first = true; bpf_map_get_next_key((*found)->fd.get(), first ? nullptr : &key, &next) == 0; first = false) {
    key = next;
    ++count;
  }
  return count;
}

// Adds (true) or removes each prefix of set s in turn, checking the probes after each.
template <std::size_t N>
void change_step_by_step(const Program& program, const std::pair<bool, const char*> (&steps)[N]) {
  for (const auto& [add, prefix] : steps) {
    auto changed = add ? add_to_set(program, "s", items_of(prefix)) : remove_from_set(program, "s", items_of(prefix));
    REQUIRE_MESSAGE(changed.has_value(), prefix << ": " << (changed ? "" : changed.error().message));
    check_probes(program, std::string(add ? "+" : "-") + prefix);
  }
}

TEST_CASE("IPv4 prefixes inside one another: each live change judges as the set's contents say") {
  require_root();
  Filter filter =
      parse_or_fail("src_addr in s", ParseOptions{.sets = {{"s", items_of("10.0.0.0/8, 10.1.2.0/24, 10.1.2.200")}}});
  Program program = load_or_fail(filter);
  check_probes(program, "loaded");
  // Each step adds or removes one prefix; the ones removed later still hold what the others do not.
  const std::pair<bool, const char*> steps[] = {
      {true, "10.1.0.0/16"},    {true, "10.1.2.128/25"}, {false, "10.0.0.0/8"},    {true, "10.1.2.130/31"},
      {false, "10.1.2.0/24"},   {true, "0.0.0.0/0"},     {false, "10.1.0.0/16"},   {false, "0.0.0.0/0"},
      {false, "10.1.2.128/25"}, {true, "10.1.2.0/23"},   {false, "10.1.2.130/31"}, {false, "10.1.2.0/23"},
  };
  change_step_by_step(program, steps);
  // Only the whole address is left, in the hash map of whole addresses: no count is left over.
  CHECK(cover_entries(program) == 0);
  CHECK(passes(program, *packet::parse_packet_spec("ipv4 src=10.1.2.200 udp dport=53")));
}

TEST_CASE("IPv6 prefixes inside one another: each live change judges as the set's contents say") {
  require_root();
  Filter filter = parse_or_fail(
      "src_addr in s", ParseOptions{.sets = {{"s", items_of("2001:db8::/32, 2001:db8:1:2::/64, 2001:db8:1:2::5")}}});
  Program program = load_or_fail(filter);
  check_probes(program, "loaded");
  // Every level of the cover (by /24, by /32 and its /40s, by /40) and the trie's: shorter than
  // /16, with a whole /40's worth of longer prefixes, inside a /40 counted in its /32.
  const std::pair<bool, const char*> steps[] = {
      {true, "2001:db8:1::/48"},  {true, "2001:db8:1:2::80/121"},
      {false, "2001:db8::/32"},   {true, "2001::/16"},
      {true, "2000::/20"},        {false, "2001:db8:1:2::/64"},
      {true, "2001:db8::/36"},    {true, "::/0"},
      {false, "2001::/16"},       {false, "::/0"},
      {false, "2001:db8:1::/48"}, {false, "2000::/20"},
      {false, "2001:db8::/36"},   {false, "2001:db8:1:2::80/121"},
  };
  change_step_by_step(program, steps);
  CHECK(cover_entries(program, layout::kIpv6CoverMap) == 0);
  CHECK(passes(program, *packet::parse_packet_spec("ipv6 src=2001:db8:1:2::5 udp dport=53")));
}

TEST_CASE("IPv6 prefixes of 64 bits and more, each the only one that holds its addresses") {
  require_root();
  Filter filter = parse_or_fail(
      "src_addr in s", ParseOptions{.sets = {{"s", items_of("2001:db8:1:2::/64, 2001:db8:1:2::80/121, 2000::/20")}}});
  Program program = load_or_fail(filter);
  check_probes(program, "loaded");
  for (const char* prefix : {"2000::/20", "2001:db8:1:2::/64"}) {
    REQUIRE(remove_from_set(program, "s", items_of(prefix)).has_value());
    check_probes(program, std::string("-") + prefix);
  }
  REQUIRE(add_to_set(program, "s", items_of("2001:db8:1:2::/64")).has_value());
  check_probes(program, "+2001:db8:1:2::/64");
}

TEST_CASE("a replace writes the new prefixes' lookups and removes the old ones'") {
  require_root();
  Filter filter = parse_or_fail("src_addr in s", ParseOptions{.sets = {{"s", items_of("10.0.0.0/8, 10.0.0.0/8")}}});
  Program program = load_or_fail(filter);
  CHECK(cover_entries(program) == 256);
  REQUIRE(replace_set(program, "s", items_of("10.1.2.0/24, 10.1.2.0/24, 10.1.2.64/26")).has_value());
  CHECK(cover_entries(program) == 2);  // the /24's entry and its /16's
  check_probes(program, "replaced");
  // Added twice in the file, once in the trie: one removal takes it out.
  REQUIRE(remove_from_set(program, "s", items_of("10.1.2.0/24")).has_value());
  check_probes(program, "the /24 removed");
  REQUIRE(remove_from_set(program, "s", items_of("10.1.2.64/26")).has_value());
  CHECK(cover_entries(program) == 0);
}

TEST_CASE("a live prefix that does not fit the lookup map is refused and changes nothing") {
  require_root();
  Filter filter = parse_or_fail("src_addr in s", ParseOptions{.sets = {{"s", items_of("10.1.2.0/24")}}});
  CompileOptions options;
  options.set_capacity = 64;
  Program program = load_or_fail(filter, options);
  // A /8 needs 256 entries (one per /16): more than the map's 64.
  auto full = add_to_set(program, "s", items_of("11.0.0.0/8"));
  REQUIRE_FALSE(full.has_value());
  CHECK(full.error().message.find("full") != std::string::npos);
  CHECK(full.error().hint.find("--set-capacity") != std::string::npos);
  CHECK(cover_entries(program) == 1);  // the /24's count in its /16's entry
  auto sets = read_sets(program);
  REQUIRE(sets.has_value());
  CHECK(format_set_items((*sets)[0].items) == "10.1.2.0/24");
  check_probes(program, "refused");
  CHECK_FALSE(passes(program, *packet::parse_packet_spec("ipv4 src=11.0.0.1 udp dport=53")));
}

}  // namespace
}  // namespace bpffw::test
