// The random generators: deterministic per seed, always valid filters, every shape of packet.
#include <doctest/doctest.h>

#include <cctype>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include <bpffw/bpffw.hpp>

#include "fields/packet_fields.hpp"
#include "interpreter/packet_facts.hpp"
#include "random/addresses.hpp"
#include "random/random_filter.hpp"
#include "random/random_packet.hpp"

TEST_CASE("random filters parse and are the same for the same seed") {
  bpffw::random::Rng a(42), b(42);
  std::set<std::string> distinct;
  for (int i = 0; i < 2000; ++i) {
    std::string text = bpffw::random::random_filter(a);
    REQUIRE(text == bpffw::random::random_filter(b));
    bpffw::Result<bpffw::Filter> filter = bpffw::Filter::parse(text);
    REQUIRE_MESSAGE(filter.has_value(), text << ": " << filter.error().message);
    distinct.insert(text);
  }
  CHECK(distinct.size() > 1500);  // a few tiny filters (`tcp`) come up more than once
}

TEST_CASE("directional random filters parse with a direction, and only with one when they use local/remote") {
  bpffw::random::RandomFilterOptions options;
  options.directional = true;
  bpffw::random::Rng rng(43);
  int directional = 0;
  for (int i = 0; i < 2000; ++i) {
    std::string text = bpffw::random::random_filter(rng, options);
    for (bpffw::Direction direction : {bpffw::Direction::Ingress, bpffw::Direction::Egress}) {
      bpffw::Result<bpffw::Filter> filter = bpffw::Filter::parse(text, {.direction = direction});
      REQUIRE_MESSAGE(filter.has_value(), text << ": " << filter.error().message);
    }
    bool uses = text.find("local_") != std::string::npos || text.find("remote_") != std::string::npos;
    directional += uses;
    CHECK(bpffw::Filter::parse(text).has_value() == !uses);
  }
  CHECK(directional > 400);
}

TEST_CASE("random filters use every operator, variable and kind of address test") {
  bpffw::random::RandomFilterOptions options;
  options.directional = true;
  bpffw::random::Rng rng(7);
  std::string all;
  for (int i = 0; i < 2000; ++i) all += bpffw::random::random_filter(rng, options) + "\n";
  for (const char* token : {"ip", "ipv6", "tcp", "udp", "icmp", "src_port", "dst_port", "len", "true", "false", "*",
                            "/", "%", "+", "-", "<<", ">>", "<", "<=", ">", ">=", "==", "!=", "&", "^", "|", "&&",
                            "||", "?", "!", "~", "9223372036854775807", "65536", "0x", "src_addr", "dst_addr",
                            "local_addr", "remote_addr", "local_port", "remote_port", "icmp_type", "icmp_code",
                            "tcp_flags", "established", "src_addr == dst_addr", "_addr in {", "/0", "::/",
                            "10.0.0.0/8", "::ffff:", "(tcp_flags & (", "ICMP_ECHO_REQUEST", "ICMPV6_NEIGHBOR_ADVERT",
                            "CWR", "icmp_type == (-1)"}) {
    CHECK_MESSAGE(all.find(token) != std::string::npos, std::string(token));
  }
}

namespace {

// The words of a filter's text: variables, named constants, keywords (`ip` is not `ipv6`).
void add_words(std::set<std::string>& words, std::string_view text) {
  std::size_t start = std::string_view::npos;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    bool word = i < text.size() && (std::isalnum(static_cast<unsigned char>(text[i])) || text[i] == '_');
    if (word && start == std::string_view::npos) start = i;
    if (!word && start != std::string_view::npos) {
      words.insert(std::string(text.substr(start, i - start)));
      start = std::string_view::npos;
    }
  }
}

bool word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Whether `text` compares the variable `name` with `value` (written in decimal, negatives in
// parentheses, as the random filters write most constants), as whole words.
bool compares(std::string_view text, std::string_view name, std::int64_t value) {
  std::string constant = std::to_string(value);
  if (value < 0) constant = "(" + constant + ")";
  for (std::string_view op : {" == ", " != ", " < ", " <= ", " > ", " >= "}) {
    std::string test = std::string(name) + std::string(op) + constant;
    for (auto at = text.find(test); at != std::string_view::npos; at = text.find(test, at + 1)) {
      std::size_t end = at + test.size();
      if ((at == 0 || !word_char(text[at - 1])) && (end == text.size() || !word_char(text[end]))) return true;
    }
  }
  return false;
}

}  // namespace

TEST_CASE("random filters read every row of the field table, and compare each with the edges of its range") {
  // The generator draws its variables from bpffw::fields::kPacketFields, so a row added there is
  // drawn with no change to it: this fails, naming the row, for a row that is not.
  bpffw::random::RandomFilterOptions with_direction;
  with_direction.directional = true;
  bpffw::random::Rng rng(28);
  std::set<std::string> plain, directional;
  std::string all;
  for (int i = 0; i < 3000; ++i) {
    std::string text = bpffw::random::random_filter(rng);
    bpffw::Result<bpffw::Filter> filter = bpffw::Filter::parse(text);
    REQUIRE_MESSAGE(filter.has_value(), text << ": " << filter.error().message);
    add_words(plain, text);
    all += text + "\n";
    text = bpffw::random::random_filter(rng, with_direction);
    filter = bpffw::Filter::parse(text, {.direction = bpffw::Direction::Egress});
    REQUIRE_MESSAGE(filter.has_value(), text << ": " << filter.error().message);
    add_words(directional, text);
    all += text + "\n";
  }
  for (const bpffw::fields::PacketField& row : bpffw::fields::kPacketFields) {
    std::string name(row.name);
    CHECK_MESSAGE(directional.count(name) == 1,
                  "row " << name << " of kPacketFields never appears in 3000 random filters with a direction");
    // local_* and remote_* parse only with a direction (§4.6): the others must appear without one too.
    if (row.guard == bpffw::fields::Guard::Direction) {
      CHECK_MESSAGE(plain.count(name) == 0, "row " << name << " appears in a random filter without a direction");
    } else {
      CHECK_MESSAGE(plain.count(name) == 1,
                    "row " << name << " of kPacketFields never appears in 3000 random filters without a direction");
    }
    if (row.type != bpffw::fields::Type::Integer) continue;
    // Each integer row against its own edges: min, max, one beyond either, its absent value.
    for (std::int64_t edge : {row.min, row.max, row.absent}) CHECK_MESSAGE(compares(all, name, edge), name << " is never compared with " << edge);
    if (row.min > INT64_MIN) CHECK_MESSAGE(compares(all, name, row.min - 1), name << " is never compared with " << row.min - 1);
    if (row.max < INT64_MAX) CHECK_MESSAGE(compares(all, name, row.max + 1), name << " is never compared with " << row.max + 1);
  }
}

TEST_CASE("random prefixes contain random addresses often, and miss them by one bit often") {
  // The filter generator's prefixes and the packet generator's addresses come from one pool
  // (random/addresses.hpp), so that both verdicts and the near misses at a boundary are common.
  bpffw::random::Rng rng(11);
  int inside = 0, one_bit_out = 0;
  const int draws = 20000;
  for (int i = 0; i < draws; ++i) {
    bool v6 = rng.chance(1, 2);
    bpffw::random::RandomAddress address = bpffw::random::random_address(rng, v6);
    bpffw::random::RandomAddress network = bpffw::random::random_address(rng, v6);
    unsigned length = bpffw::random::random_prefix_length(rng, v6);
    REQUIRE(length <= (v6 ? 128u : 32u));
    auto bit = [](const bpffw::random::RandomAddress& a, unsigned n) { return a.bytes[n / 8] >> (7 - n % 8) & 1; };
    unsigned first_difference = length;
    for (unsigned n = 0; n < length; ++n) {
      if (bit(address, n) != bit(network, n)) {
        first_difference = n;
        break;
      }
    }
    inside += first_difference == length;
    one_bit_out += length > 0 && first_difference == length - 1;
  }
  CHECK(inside > draws / 10);
  CHECK(inside < draws * 9 / 10);
  CHECK(one_bit_out > draws / 50);
  // prefix_text clears the host bits and writes what the language takes.
  bpffw::random::RandomAddress ten{false, {10, 1, 2, 3}};
  CHECK(bpffw::random::prefix_text(ten, 8) == "10.0.0.0/8");
  CHECK(bpffw::random::prefix_text(ten, 32) == "10.1.2.3");
  CHECK(bpffw::random::prefix_text(ten, 0) == "0.0.0.0/0");
  bpffw::random::RandomAddress six{true, {0x20, 0x01, 0x0d, 0xb8, 0xff}};
  CHECK(bpffw::random::prefix_text(six, 33) == "2001:db8:8000::/33");
}

TEST_CASE("random packets cover the shapes of §5") {
  bpffw::random::Rng rng(1);
  int non_ip = 0, ipv4 = 0, ipv6 = 0, malformed = 0, fragments = 0, long_chains = 0, udp = 0, tcp = 0, icmp = 0;
  int same_addresses = 0;
  std::set<std::uint64_t> tcp_flags;
  for (int i = 0; i < 5000; ++i) {
    bpffw::packet::Packet packet = bpffw::random::random_packet(rng);
    REQUIRE(packet.fits_test_run());
    auto facts = bpffw::interpreter::read_packet(packet.skb_protocol(), packet.bytes);
    non_ip += !facts.ip && !facts.ipv6;
    ipv4 += facts.ip;
    ipv6 += facts.ipv6;
    malformed += facts.malformed;
    fragments += !facts.malformed && facts.non_first_fragment;
    long_chains += facts.extension_headers == 8;
    udp += !facts.malformed && facts.udp;
    tcp += !facts.malformed && facts.tcp;
    icmp += !facts.malformed && facts.icmp;
    if (!facts.malformed && facts.tcp) tcp_flags.insert(facts.tcp_flags);
    same_addresses += !facts.malformed && (facts.ip || facts.ipv6) && facts.src_addr == facts.dst_addr;
  }
  CHECK(non_ip > 250);
  CHECK(ipv4 > 1500);
  CHECK(ipv6 > 1500);
  CHECK(malformed > 500);
  CHECK(malformed < 3000);
  CHECK(fragments > 200);
  CHECK(long_chains > 50);
  CHECK(udp > 500);
  CHECK(tcp > 500);
  CHECK(icmp > 100);
  CHECK(same_addresses > 50);
  CHECK(tcp_flags.size() > 100);
}

TEST_CASE("random packets: every ICMP type in both families, ICMP headers of 0 to 8 bytes") {
  bpffw::random::Rng rng(5);
  std::set<std::size_t> short_sizes;
  std::set<std::int64_t> icmp_types, icmpv6_types;
  for (int i = 0; i < 100000; ++i) {
    bpffw::packet::Packet packet = bpffw::random::random_packet(rng);
    auto facts = bpffw::interpreter::read_packet(packet.skb_protocol(), packet.bytes);
    if (!facts.malformed && facts.icmp && !facts.non_first_fragment)
      (facts.ip ? icmp_types : icmpv6_types).insert(facts.icmp_type);
    if (!facts.icmp || facts.non_first_fragment || facts.extension_headers > 0) continue;
    std::size_t header = facts.ip ? (packet.bytes[0] & 0x0f) * 4u : 40;
    if (packet.bytes.size() >= header && packet.bytes.size() - header <= 8) {
      short_sizes.insert(packet.bytes.size() - header);
      CHECK(facts.malformed == (packet.bytes.size() - header < 4));
    }
  }
  for (std::size_t size = 0; size <= 8; ++size) CHECK_MESSAGE(short_sizes.count(size) == 1, size << " bytes of ICMP");
  CHECK(icmp_types.size() == 256);
  CHECK(icmpv6_types.size() == 256);
}
