// A program compiled for one direction (-t, docs/filter-language.md §4.6) attaches only there:
// the kernel does not enforce it for programs returning 0 or 1 (it enforces an egress program's
// expected attach type only when that program returns 2 or 3, which asks for congestion
// notification), so the library does, from the program's metadata. Compiled without a
// direction, it attaches anywhere.
#include <doctest/doctest.h>

#include <bpf/bpf.h>

#include <bpffw/bpffw.hpp>

#include "../e2e/processes.hpp"
#include "support/kernel_env.hpp"

namespace {

bpffw::Program load(const char* text, std::optional<bpffw::Direction> direction) {
  bpffw::ParseOptions options;
  options.direction = direction;
  auto filter = bpffw::Filter::parse(text, options);
  REQUIRE_MESSAGE(filter.has_value(), (filter ? "" : filter.error().message));
  auto object = bpffw::compile(*filter);
  REQUIRE(object.has_value());
  auto program = bpffw::Program::load(*object);
  REQUIRE_MESSAGE(program.has_value(), (program ? "" : program.error().message));
  return std::move(*program);
}

}  // namespace

TEST_CASE("direction: an egress program refuses ingress, attaches to egress, metadata records it") {
  bpffw::test::require_root();
  bpffw::e2e::ScratchCgroup scratch;
  auto cgroup = bpffw::Cgroup::open(scratch.path());
  REQUIRE(cgroup.has_value());
  bpffw::Program egress = load("tcp && local_port == 8080", bpffw::Direction::Egress);

  auto metadata = bpffw::read_metadata(egress);
  REQUIRE(metadata.has_value());
  CHECK(metadata->direction == bpffw::Direction::Egress);

  auto wrong = bpffw::attach(egress, *cgroup, bpffw::Direction::Ingress);
  REQUIRE_FALSE(wrong.has_value());
  CHECK(wrong.error().kind == bpffw::ErrorKind::Usage);
  CHECK(wrong.error().message ==
        "the program was compiled for egress (-t egress), not ingress: local_* and remote_* would mean the other ends");
  CHECK(wrong.error().hint == "compile it again with -t ingress");
  auto ingress_attached = bpffw::attached_programs(*cgroup, bpffw::Direction::Ingress);
  REQUIRE(ingress_attached.has_value());
  CHECK(ingress_attached->empty());

  REQUIRE(bpffw::attach(egress, *cgroup, bpffw::Direction::Egress).has_value());
  CHECK(bpffw::detach_all_bpffw(*cgroup, bpffw::Direction::Egress).value_or(0) == 1);
}

TEST_CASE("direction: a program compiled without one attaches either way") {
  bpffw::test::require_root();
  bpffw::e2e::ScratchCgroup scratch;
  auto cgroup = bpffw::Cgroup::open(scratch.path());
  REQUIRE(cgroup.has_value());
  bpffw::Program either = load("tcp && dst_port == 80", std::nullopt);
  auto metadata = bpffw::read_metadata(either);
  REQUIRE(metadata.has_value());
  CHECK_FALSE(metadata->direction.has_value());
  for (bpffw::Direction direction : {bpffw::Direction::Ingress, bpffw::Direction::Egress}) {
    REQUIRE(bpffw::attach(either, *cgroup, direction).has_value());
    CHECK(bpffw::detach_all_bpffw(*cgroup, direction).value_or(0) == 1);
  }
}

// What systemd meets (docs/systemd.md): it attaches a pin with BPF_PROG_ATTACH in the direction
// of the setting (IPIngressFilterPath=, IPEgressFilterPath=), checks nothing itself, and the
// kernel takes a program compiled for the other direction. If a kernel ever refuses, the docs'
// warning changes.
TEST_CASE("direction: the kernel itself attaches a program compiled for egress to ingress") {
  bpffw::test::require_root();
  bpffw::e2e::ScratchCgroup scratch;
  auto cgroup = bpffw::Cgroup::open(scratch.path());
  REQUIRE(cgroup.has_value());
  bpffw::Program egress = load("tcp && local_port == 8080", bpffw::Direction::Egress);
  REQUIRE(bpf_prog_attach(egress.fd(), cgroup->fd(), BPF_CGROUP_INET_INGRESS, BPF_F_ALLOW_MULTI) == 0);
  CHECK(bpffw::detach_all_bpffw(*cgroup, bpffw::Direction::Ingress).value_or(0) == 1);
}
