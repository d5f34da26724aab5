// Huge filters compile, and the kernel verifier accepts them.
#include <doctest/doctest.h>

#include <string>

#include <bpffw/bpffw.hpp>

#include "packet/packet_builder.hpp"
#include "support/kernel_env.hpp"

namespace {

std::string chain(const char* op, const char* compare, int terms) {
  std::string text;
  for (int i = 1; i <= terms; ++i) {
    text += (i > 1 ? std::string(" ") + op + " " : std::string()) + "dst_port " + compare + " " + std::to_string(i * 3);
  }
  return text;
}

bool load_and_run(const std::string& text, std::uint16_t dst_port) {
  bpffw::test::require_root();
  auto filter = bpffw::Filter::parse(text, {.max_depth = 100000});
  REQUIRE_MESSAGE(filter, filter.error().message);
  auto object = bpffw::compile(*filter);
  REQUIRE_MESSAGE(object, object.error().message);
  auto program = bpffw::Program::load(*object);
  REQUIRE_MESSAGE(program, program.error().message);
  auto run = program->test_run(bpffw::packet::PacketBuilder().ipv4().udp(1, dst_port).build().ethernet_frame());
  REQUIRE_MESSAGE(run, run.error().message);
  return run->verdict == 1;
}

}  // namespace

TEST_CASE("a 10,000-term || chain loads and matches exactly its ports") {
  const std::string text = chain("||", "==", 10000);
  CHECK(load_and_run(text, 3));
  CHECK(load_and_run(text, 29997));
  CHECK_FALSE(load_and_run(text, 4));
  CHECK_FALSE(load_and_run(text, 30003));
}

TEST_CASE("a 10,000-term && chain loads and excludes exactly its ports") {
  const std::string text = chain("&&", "!=", 10000);
  CHECK_FALSE(load_and_run(text, 300));
  CHECK(load_and_run(text, 301));
}

TEST_CASE("a 2,000-term chain of mixed conditions loads") {
  std::string text;
  for (int i = 1; i <= 2000; ++i) {
    text += (i > 1 ? " || " : "") + std::string("(src_port == ") + std::to_string(i) + " && dst_port == " +
            std::to_string(i * 7 % 65536) + ")";
  }
  bpffw::test::require_root();
  auto filter = bpffw::Filter::parse(text, {.max_depth = 100000});
  REQUIRE(filter);
  auto object = bpffw::compile(*filter);
  REQUIRE_MESSAGE(object, object.error().message);
  auto program = bpffw::Program::load(*object);
  REQUIRE_MESSAGE(program, program.error().message);
  auto hit = program->test_run(bpffw::packet::PacketBuilder().ipv4().tcp(10, 70).build().ethernet_frame());
  auto miss = program->test_run(bpffw::packet::PacketBuilder().ipv4().tcp(10, 71).build().ethernet_frame());
  REQUIRE(hit);
  REQUIRE(miss);
  CHECK(hit->verdict == 1);
  CHECK(miss->verdict == 0);
}
