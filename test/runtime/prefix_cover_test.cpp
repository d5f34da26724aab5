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

// Every probe judged by the kernel as by the interpreter with the set as read back from the maps.
void check_probes(const Program& program, const std::string& step) {
  auto filter = recover_filter(program);
  REQUIRE_MESSAGE(filter.has_value(), (filter ? "" : filter.error().message));
  for (const char* address : kProbes) {
    auto packet = packet::parse_packet_spec(std::string("ipv4 src=") + address + " udp dport=53");
    REQUIRE(packet.has_value());
    bool kernel = passes(program, *packet);
    CHECK_MESSAGE(kernel == interpret(*filter, packet->skb_protocol(), packet->bytes).pass, step << ": " << address);
  }
}

std::size_t cover_entries(const Program& program) {
  auto found = loader::find_program_map(program.fd(), layout::kIpv4CoverMap);
  REQUIRE(found.has_value());
  REQUIRE(found->has_value());
  std::size_t count = 0;
  layout::Ipv4ExactKey key{}, next{};
  for (bool first = true; bpf_map_get_next_key((*found)->fd.get(), first ? nullptr : &key, &next) == 0; first = false) {
    key = next;
    ++count;
  }
  return count;
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
  for (const auto& [add, prefix] : steps) {
    auto changed = add ? add_to_set(program, "s", items_of(prefix)) : remove_from_set(program, "s", items_of(prefix));
    REQUIRE_MESSAGE(changed.has_value(), prefix << ": " << (changed ? "" : changed.error().message));
    check_probes(program, std::string(add ? "+" : "-") + prefix);
  }
  // Only the whole address is left, in the hash map of whole addresses: no count is left over.
  CHECK(cover_entries(program) == 0);
  CHECK(passes(program, *packet::parse_packet_spec("ipv4 src=10.1.2.200 udp dport=53")));
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
