// The kernel features bpffw relies on that came after the oldest kernels people may still run,
// probed when an operation fails, so that the error names what is missing and which Linux has it
// instead of passing on a bare EINVAL or a verifier log. bpffw supports Linux 5.10 and later
// (README, "Supported kernels"); every feature here is in 5.10.
#pragma once

#include <optional>
#include <string>

#include <linux/bpf.h>

#include <bpffw/error.hpp>

namespace bpffw::loader {

struct KernelFeature {
  const char* what;   // "BPF_PROG_TYPE_CGROUP_SKB programs"
  const char* since;  // the Linux version that added it: "4.10"
};

inline constexpr const char* kOldestSupportedKernel = "5.10";

// The first feature a bpffw program needs in order to load that this kernel lacks, if any:
// cgroup_skb programs, bpf_skb_load_bytes in them, the BPF v3 instructions (JMP32) the programs
// are built for, global data (the parameter and metadata maps).
std::optional<KernelFeature> missing_program_feature();

// Whether cgroup attach knows BPF_F_REPLACE, probed without side effects on the given cgroup.
bool attach_replace_supported(int program_fd, int cgroup_fd, bpf_attach_type type);
inline constexpr KernelFeature kAttachReplace{"BPF_F_REPLACE (replacing an attached program in place)", "5.6"};

// "this kernel (RELEASE) lacks WHAT, which came with Linux SINCE" with a hint to upgrade.
Error missing_feature_error(const KernelFeature& feature, int sys_errno);

}  // namespace bpffw::loader
