// Filter -> BPF ELF object, in memory, with LLVM's BPF backend.
#pragma once

#include <string>
#include <vector>

#include <bpffw/error.hpp>
#include <bpffw/filter.hpp>

namespace bpffw {

// The name every bpffw program carries in the kernel (bpftool prog show, bpffwc show).
inline constexpr const char* kProgramName = "bpffw_filter";

struct CompileOptions {
  unsigned optimization_level = 2;  // 0 to 3, as -O
  // Count passed and dropped packets and bytes in a per-CPU map (read_counters in
  // <bpffw/runtime.hpp>). Costs a map lookup and two adds per packet; false for the last nanosecond.
  bool counters = true;
  // The most entries the map of the program's integer sets, and each of its two address maps
  // (IPv4, IPv6), holds (docs/filter-language.md §9); 0: kDefaultIntegerSetCapacity and
  // kDefaultAddressSetCapacity. Sets that need more are refused before anything is loaded.
  std::uint32_t set_capacity = 0;
};

// A cgroup_skb program as an ELF object, ready for Program::load.
struct ObjectFile {
  std::vector<unsigned char> bytes;
  // The named sets' initial contents, which Program::load writes into the program's maps.
  std::vector<NamedSet> sets;
};

Result<ObjectFile> compile(const Filter& filter, const CompileOptions& options = {});

// Textual forms for --emit: the optimized LLVM IR, and BPF assembly from LLVM's disassembler.
Result<std::string> emit_llvm_ir(const Filter& filter, const CompileOptions& options = {});
Result<std::string> emit_assembly(const Filter& filter, const CompileOptions& options = {});

}  // namespace bpffw
