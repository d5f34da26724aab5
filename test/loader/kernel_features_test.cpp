// The kernel-feature probes (lib/loader/kernel_features.hpp) on this kernel: every kernel the
// matrix boots (test/kernels) has all of bpffw's features, so a probe that says otherwise is
// broken, and the replace probe must leave the cgroup as it found it.
#include <doctest/doctest.h>

#include <bpf/bpf.h>

#include <bpffw/bpffw.hpp>

#include "../e2e/processes.hpp"
#include "loader/kernel_features.hpp"
#include "loader_test_support.hpp"
#include "support/kernel_env.hpp"

namespace {

__u32 attached_count(int cgroup_fd, bpf_attach_type type) {
  __u32 count = 0;
  REQUIRE(bpf_prog_query(cgroup_fd, type, 0, nullptr, nullptr, &count) == 0);
  return count;
}

}  // namespace

TEST_CASE("kernel features: this kernel has every one bpffw's programs need") {
  bpffw::test::require_root();
  auto missing = bpffw::loader::missing_program_feature();
  CHECK_MESSAGE(!missing.has_value(), "missing: " << (missing ? missing->what : ""));
}

TEST_CASE("kernel features: the BPF_F_REPLACE probe finds it, and attaches nothing") {
  bpffw::test::require_root();
  bpffw::e2e::ScratchCgroup scratch;
  auto cgroup = bpffw::Cgroup::open(scratch.path());
  REQUIRE(cgroup);
  auto program = bpffw::Program::load(bpffw::test::returning(1));
  REQUIRE(program);
  CHECK(bpffw::loader::attach_replace_supported(program->fd(), cgroup->fd(), BPF_CGROUP_INET_EGRESS));
  CHECK(attached_count(cgroup->fd(), BPF_CGROUP_INET_EGRESS) == 0);
}

TEST_CASE("kernel features: the error names the feature, the Linux that has it, and the floor") {
  bpffw::Error error = bpffw::loader::missing_feature_error(bpffw::loader::kAttachReplace, EINVAL);
  CHECK(error.kind == bpffw::ErrorKind::System);
  CHECK(error.message.rfind("this kernel (", 0) == 0);
  CHECK(
      error.message.find(") lacks BPF_F_REPLACE (replacing an attached program in place), which came with Linux 5.6") !=
      std::string::npos);
  CHECK(error.hint == "bpffw needs Linux 5.10 or later");
}
