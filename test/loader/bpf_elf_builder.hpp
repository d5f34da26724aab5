// Builds a minimal BPF ELF object (one cgroup_skb program) from raw instructions, so that loader
// tests can feed the loader programs the code generator would never produce (e.g. ones the
// verifier refuses) without clang or files.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <bpffw/compiler.hpp>

namespace bpffw::test {

struct BpfInsn {
  std::uint8_t code;
  std::uint8_t regs;  // dst in the low nibble, src in the high nibble
  std::int16_t off;
  std::int32_t imm;
};

inline BpfInsn mov64_imm(unsigned dst, std::int32_t imm) { return {0xb7, std::uint8_t(dst), 0, imm}; }
inline BpfInsn exit_insn() { return {0x95, 0, 0, 0}; }

// An ELF64 relocatable for EM_BPF with the program in section "cgroup_skb/ingress" under the
// global function symbol `name`, and a "license" section.
ObjectFile build_bpf_object(const std::vector<BpfInsn>& insns, const std::string& name = "bpffw_filter");

}  // namespace bpffw::test
