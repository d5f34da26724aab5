// bpffwc --attach on real cgroups with real loopback traffic: allowed ports pass, blocked ones
// don't, ping follows `icmp`, IPv4 and IPv6, ingress and egress; by path and by `--attach self`;
// detach lets everything through again.
#include <doctest/doctest.h>

#include <string>

#include <bpffw/cgroup.hpp>

#include "e2e/processes.hpp"
#include "e2e/traffic.hpp"
#include "support/kernel_env.hpp"

using namespace bpffw::e2e;
using bpffw::Direction;

namespace {

struct Ports {
  std::uint16_t allowed = free_port();
  std::uint16_t blocked = 0;
  Ports() {
    do blocked = free_port();
    while (blocked == allowed);
  }
};

// Egress filters judge what the client in the cgroup sends; ingress filters what the server in
// the cgroup receives. Either way the filtered packets have dst_port == the server's port.
Sides sides_for(Direction direction, const std::string& cgroup) {
  return direction == Direction::Egress ? Sides{cgroup, ""} : Sides{"", cgroup};
}

struct Expected {
  bool allowed_port = true;
  bool blocked_port = true;
  bool ping = true;
};

void check_traffic(Direction direction, const std::string& cgroup, const Ports& ports, Expected expected) {
  const Sides sides = sides_for(direction, cgroup);
  for (Family family : {Family::V4, Family::V6}) {
    INFO(bpffw::to_string(direction), " ", loopback(family), " allowed port ", ports.allowed, ", blocked port ",
         ports.blocked);
    CHECK(udp_exchange(family, ports.allowed, sides) == expected.allowed_port);
    CHECK(udp_exchange(family, ports.blocked, sides) == expected.blocked_port);
    CHECK(tcp_connects(family, ports.allowed, sides) == expected.allowed_port);
    CHECK(tcp_connects(family, ports.blocked, sides) == expected.blocked_port);
    CHECK(ping_replies(family, cgroup) == expected.ping);
  }
}

std::string port_filter(const Ports& ports) { return "(udp || tcp) && dst_port == " + std::to_string(ports.allowed); }

void run_by_path(Direction direction, bool relative) {
  bpffw::test::ensure_bpffs();
  ScratchCgroup cgroup;
  bpffw::test::ScopedPinDir pins;
  const Ports ports;
  const std::string dir = bpffw::to_string(direction);
  const std::string pin = pins.file("filter");
  const std::string where = relative ? cgroup.name() : cgroup.path();

  // Unfiltered first: the probes can succeed, so a blocked one later means the filter.
  check_traffic(direction, cgroup.path(), ports, {true, true, true});

  auto attached = run_bpffwc({"--attach", where, "-t", dir, "-o", pin, "icmp || (" + port_filter(ports) + ")"});
  REQUIRE_MESSAGE(attached.exit_code == 0, describe(attached));
  CHECK(attached.out.empty());
  check_traffic(direction, cgroup.path(), ports, {true, false, true});

  // The same ports without icmp: ping loses its echo request (egress) or reply (ingress).
  auto replaced = run_bpffwc({"--attach", where, "-t", dir, "--replace", pin, "!icmp && (" + port_filter(ports) + ")"});
  REQUIRE_MESSAGE(replaced.exit_code == 0, describe(replaced));
  check_traffic(direction, cgroup.path(), ports, {true, false, false});

  auto detached = run_bpffwc({"detach", where, "-t", dir, pin});
  REQUIRE_MESSAGE(detached.exit_code == 0, describe(detached));
  check_traffic(direction, cgroup.path(), ports, {true, true, true});
}

}  // namespace

TEST_CASE("egress filter attached by absolute path: ports and ping, v4 and v6, then detach") {
  run_by_path(Direction::Egress, false);
}

TEST_CASE("ingress filter attached by path relative to the cgroup2 mount: ports and ping, v4 and v6, then detach") {
  run_by_path(Direction::Ingress, true);
}

TEST_CASE("--attach self from inside the cgroup, both directions, then detach --all") {
  bpffw::test::ensure_bpffs();
  for (Direction direction : {Direction::Egress, Direction::Ingress}) {
    ScratchCgroup cgroup;
    const Ports ports;
    const std::string dir = bpffw::to_string(direction);
    INFO("direction ", dir);

    auto attached = run_bpffwc({"--attach", "self", "-t", dir, port_filter(ports)}, cgroup.path());
    REQUIRE_MESSAGE(attached.exit_code == 0, describe(attached));

    // bpffwc show self, from inside as well, names this cgroup and lists the program.
    auto shown = run_bpffwc({"show", "self"}, cgroup.path());
    REQUIRE_MESSAGE(shown.exit_code == 0, describe(shown));
    CHECK(shown.out.rfind(cgroup.path() + "\n", 0) == 0);
    // Direction labels are padded to 8 columns: "ingress 41  bpffw_filter", "egress  none".
    std::string label = dir, other = direction == Direction::Egress ? "ingress" : "egress";
    label.resize(8, ' ');
    other.resize(8, ' ');
    CHECK(shown.out.find("\n" + label) != std::string::npos);
    CHECK(shown.out.find("  bpffw_filter\n") != std::string::npos);
    CHECK(shown.out.find("\n" + other + "none\n") != std::string::npos);

    check_traffic(direction, cgroup.path(), ports, {true, false, false});

    auto detached = run_bpffwc({"detach", "self", "-t", dir, "--all"}, cgroup.path());
    REQUIRE_MESSAGE(detached.exit_code == 0, describe(detached));
    check_traffic(direction, cgroup.path(), ports, {true, true, true});
  }
}

TEST_CASE("without -o the program stays attached with no pin, and show lists it") {
  bpffw::test::ensure_bpffs();
  ScratchCgroup cgroup;
  auto attached = run_bpffwc({"--attach", cgroup.path(), "-t", "egress", "!icmp"});
  REQUIRE_MESSAGE(attached.exit_code == 0, describe(attached));
  CHECK_FALSE(ping_replies(Family::V4, cgroup.path()));
  auto opened = bpffw::Cgroup::open(cgroup.path());
  REQUIRE(opened.has_value());
  auto programs = bpffw::attached_programs(*opened, Direction::Egress);
  REQUIRE(programs.has_value());
  REQUIRE(programs->size() == 1);
  CHECK(programs->front().is_bpffw);
  CHECK(programs->front().name == "bpffw_filter");

  auto shown = run_bpffwc({"show", cgroup.path()});
  REQUIRE_MESSAGE(shown.exit_code == 0, describe(shown));
  CHECK(shown.out.rfind(cgroup.path() + "\ningress none\negress  " + std::to_string(programs->front().id) +
                            "  bpffw_filter\n          expression  !icmp\n",
                        0) == 0);
}
