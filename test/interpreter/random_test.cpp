// The random generators: deterministic per seed, always valid filters, every shape of packet.
#include <doctest/doctest.h>

#include <set>

#include <bpffw/bpffw.hpp>

#include "interpreter/packet_facts.hpp"
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

TEST_CASE("random filters use every operator and variable") {
  bpffw::random::Rng rng(7);
  std::string all;
  for (int i = 0; i < 500; ++i) all += bpffw::random::random_filter(rng) + "\n";
  for (const char* token : {"ip", "ipv6", "tcp", "udp", "icmp", "src_port", "dst_port", "len", "true", "false", "*",
                            "/", "%", "+", "-", "<<", ">>", "<", "<=", ">", ">=", "==", "!=", "&", "^", "|", "&&",
                            "||", "?", "!", "~", "9223372036854775807", "65536", "0x"}) {
    CHECK_MESSAGE(all.find(token) != std::string::npos, token);
  }
}

TEST_CASE("random packets cover the shapes of §5") {
  bpffw::random::Rng rng(1);
  int non_ip = 0, ipv4 = 0, ipv6 = 0, malformed = 0, fragments = 0, long_chains = 0, udp = 0, tcp = 0, icmp = 0;
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
}
