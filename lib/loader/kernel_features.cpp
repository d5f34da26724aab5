#include "loader/kernel_features.hpp"

#include <cerrno>
#include <cstddef>
#include <iterator>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sys/utsname.h>
#include <unistd.h>

namespace bpffw::loader {
namespace {

// 1 when a cgroup_skb program of these instructions loads (then it is closed again).
bool loads(const bpf_insn* instructions, std::size_t count) {
  int fd = bpf_prog_load(BPF_PROG_TYPE_CGROUP_SKB, "bpffw_probe", "GPL", instructions, count, nullptr);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

// w0 = 1; if w0 > 0 goto +0 (a JMP32 compare, BPF v3); exit.
bool jmp32_supported() {
  const bpf_insn program[] = {
      {.code = BPF_ALU | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .src_reg = 0, .off = 0, .imm = 1},
      {.code = BPF_JMP32 | BPF_JGT | BPF_K, .dst_reg = BPF_REG_0, .src_reg = 0, .off = 0, .imm = 0},
      {.code = BPF_JMP | BPF_EXIT, .dst_reg = 0, .src_reg = 0, .off = 0, .imm = 0},
  };
  return loads(program, std::size(program));
}

// A program that reads a value of an array map through BPF_PSEUDO_MAP_VALUE, as libbpf does for
// .data and .rodata.
bool global_data_supported() {
  int map = bpf_map_create(BPF_MAP_TYPE_ARRAY, "bpffw_probe", sizeof(__u32), sizeof(__u64), 1, nullptr);
  if (map < 0) return false;
  const bpf_insn program[] = {
      {.code = BPF_LD | BPF_DW | BPF_IMM, .dst_reg = BPF_REG_1, .src_reg = BPF_PSEUDO_MAP_VALUE, .off = 0, .imm = map},
      {.code = 0, .dst_reg = 0, .src_reg = 0, .off = 0, .imm = 0},
      {.code = BPF_LDX | BPF_MEM | BPF_DW, .dst_reg = BPF_REG_0, .src_reg = BPF_REG_1, .off = 0, .imm = 0},
      {.code = BPF_ALU | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .src_reg = 0, .off = 0, .imm = 1},
      {.code = BPF_JMP | BPF_EXIT, .dst_reg = 0, .src_reg = 0, .off = 0, .imm = 0},
  };
  bool ok = loads(program, std::size(program));
  ::close(map);
  return ok;
}

}  // namespace

std::optional<KernelFeature> missing_program_feature() {
  if (libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_CGROUP_SKB, nullptr) != 1)
    return KernelFeature{"BPF_PROG_TYPE_CGROUP_SKB programs (CONFIG_CGROUP_BPF)", "4.10"};
  if (libbpf_probe_bpf_helper(BPF_PROG_TYPE_CGROUP_SKB, BPF_FUNC_skb_load_bytes, nullptr) != 1)
    return KernelFeature{"bpf_skb_load_bytes in cgroup_skb programs", "4.10"};
  if (!jmp32_supported()) return KernelFeature{"BPF v3 instructions (JMP32)", "5.1"};
  if (!global_data_supported()) return KernelFeature{"BPF global data (BPF_PSEUDO_MAP_VALUE)", "5.2"};
  return std::nullopt;
}

bool attach_replace_supported(int program_fd, int cgroup_fd, bpf_attach_type type) {
  // A kernel that knows BPF_F_REPLACE looks up the program to replace (-1: EBADF) before changing
  // anything; one that does not refuses the unknown flag with EINVAL.
  struct bpf_prog_attach_opts opts{};
  opts.sz = sizeof(opts);
  opts.flags = BPF_F_ALLOW_MULTI | BPF_F_REPLACE;
  opts.replace_prog_fd = -1;
  int rc = bpf_prog_attach_opts(program_fd, cgroup_fd, type, &opts);
  return rc != -EINVAL;
}

Error missing_feature_error(const KernelFeature& feature, int sys_errno) {
  struct utsname name{};
  std::string release = ::uname(&name) == 0 ? name.release : "unknown";
  Error error;
  error.kind = ErrorKind::System;
  error.message = "this kernel (" + release + ") lacks " + feature.what + ", which came with Linux " + feature.since;
  error.sys_errno = sys_errno;
  error.hint = std::string("bpffw needs Linux ") + kOldestSupportedKernel + " or later";
  return error;
}

}  // namespace bpffw::loader
