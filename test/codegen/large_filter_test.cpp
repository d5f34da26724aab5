// Huge filters compile, and the kernel verifier accepts them.
#include <doctest/doctest.h>

#include <string>
#include <tuple>

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

// Each term of this chain reads two ports; the lowering indexes the terms by src_port.
std::string mixed_chain(int terms) {
  std::string text;
  for (int i = 1; i <= terms; ++i) {
    text += (i > 1 ? " || " : "") + std::string("(src_port == ") + std::to_string(i) +
            " && dst_port == " + std::to_string(i * 7 % 65536) + ")";
  }
  return text;
}

void check_mixed_chain(int terms, unsigned level) {
  CAPTURE(terms);
  CAPTURE(level);
  bpffw::test::require_root();
  auto filter = bpffw::Filter::parse(mixed_chain(terms), {.max_depth = 100000});
  REQUIRE(filter);
  auto object = bpffw::compile(*filter, {.optimization_level = level});
  if (!object) {
    // Refusing is allowed (docs/filter-language.md §8), with the reason; a verifier refusal is not.
    CHECK(object.error().kind == bpffw::ErrorKind::InvalidExpression);
    MESSAGE("refused: " << object.error().message);
    return;
  }
  auto program = bpffw::Program::load(*object);
  REQUIRE_MESSAGE(program, program.error().message);
  auto frame = [](std::uint16_t src, std::uint16_t dst) {
    return bpffw::packet::PacketBuilder().ipv4().tcp(src, dst).build().ethernet_frame();
  };
  for (auto [src, dst, pass] : {std::tuple{10, 70, 1},
                                {10, 71, 0},
                                {terms, terms * 7 % 65536, 1},
                                {terms + 1, (terms + 1) * 7 % 65536, 0},
                                {0, 0, 0},
                                {11, 70, 0}}) {
    auto run = program->test_run(frame(static_cast<std::uint16_t>(src), static_cast<std::uint16_t>(dst)));
    REQUIRE(run);
    CHECK_MESSAGE(run->verdict == static_cast<std::uint32_t>(pass), "src " << src << " dst " << dst);
  }
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

TEST_CASE("a 2,000-term chain of mixed conditions loads") { check_mixed_chain(2000, 2); }

TEST_CASE("a 10,000-term chain of mixed conditions loads, or is refused with a reason") {
  check_mixed_chain(10000, 2);
  check_mixed_chain(10000, 0);
}

TEST_CASE("10,000-term chains load at -O0 too") {
  for (const char* op : {"||", "&&"}) {
    CAPTURE(op);
    std::string text = std::string(op) == "||" ? chain("||", "==", 10000) : chain("&&", "!=", 10000);
    auto filter = bpffw::Filter::parse(text, {.max_depth = 100000});
    REQUIRE(filter);
    auto object = bpffw::compile(*filter, {.optimization_level = 0});
    REQUIRE_MESSAGE(object, object.error().message);
    auto program = bpffw::Program::load(*object);
    REQUIRE_MESSAGE(program, program.error().message);
  }
}
