// The loader with real output of the code generator: Filter::parse -> compile -> load.
#include <bpffw/compiler.hpp>
#include <bpffw/filter.hpp>
#include <bpffw/program.hpp>

#include <doctest/doctest.h>

#include "loader/bpffs_fixture.hpp"
#include "loader/loader_test_support.hpp"

using namespace bpffw;
using namespace bpffw::test;

namespace {

Program load_filter(const std::string& expression) {
  auto filter = Filter::parse(expression);
  REQUIRE_MESSAGE(filter, (filter ? "" : filter.error().message));
  auto object = compile(*filter);
  REQUIRE_MESSAGE(object, (object ? "" : object.error().message));
  auto program = Program::load(*object);
  REQUIRE_MESSAGE(program, (program ? "" : program.error().message));
  return std::move(*program);
}

}  // namespace

TEST_CASE("a compiled filter loads as bpffw_filter and gives its verdicts") {
  require_root_and_bpffs();
  Program pass_all = load_filter("1");
  Program drop_all = load_filter("0");
  Program dns = load_filter("udp && dst_port == 53");

  auto info = pass_all.info();
  REQUIRE(info);
  CHECK(info->name == "bpffw_filter");
  CHECK(info->xlated_bytes > 0);
  CHECK(info->verified_instructions.value_or(1) > 0);  // not reported before 5.16

  for (std::uint16_t port : {53, 54}) {
    auto frame = udp_frame(port);
    CAPTURE(port);
    CHECK(pass_all.test_run(frame)->verdict == 1);
    CHECK(drop_all.test_run(frame)->verdict == 0);
    CHECK(dns.test_run(frame)->verdict == (port == 53 ? 1u : 0u));
  }
}

TEST_CASE("a compiled filter pins and reopens as the same program") {
  PinDirectory dir;
  Program program = load_filter("icmp || (udp && dst_port == 53) || (tcp && dst_port == 80)");
  REQUIRE(program.pin(dir / "port-firewall"));
  auto reopened = Program::open_pinned(dir / "port-firewall");
  REQUIRE(reopened);
  CHECK(reopened->info()->id == program.info()->id);
  CHECK(reopened->test_run(udp_frame(53))->verdict == 1);
  CHECK(reopened->test_run(udp_frame(123))->verdict == 0);
}
