// What the code generator puts into every program for runtime control, and what lib/runtime
// reads back from a loaded program: one place for the names and layouts both sides rely on.
//
//   bpffw_counters      ".maps" (BTF-defined), BPF_MAP_TYPE_PERCPU_ARRAY, 1 entry, value
//                       CounterSlot: packets and bytes passed and dropped on each CPU.
//   bpffw_params        ".data" global, i64[N]: the runtime parameters in declaration order. libbpf
//                       turns .data into an array map named "<object>.data" (kernel name
//                       "bpffw.data"); the program reads it directly, with no helper call.
//                       Program::load binds it to the program (BPF_PROG_BIND_MAP) so that it is
//                       found even when the expression does not use every declared parameter.
//   bpf_metadata_bpffw  ".rodata" global, text (metadata.hpp). libbpf binds the .rodata map to the
//                       program (BPF_PROG_BIND_MAP), so it is among the program's map ids even
//                       though no instruction reads it; `bpftool prog show` prints it as metadata.
#pragma once

#include <cstdint>

namespace bpffw::layout {

inline constexpr const char* kCountersMap = "bpffw_counters";
inline constexpr const char* kParametersGlobal = "bpffw_params";
inline constexpr const char* kMetadataGlobal = "bpf_metadata_bpffw";

// libbpf names internal maps "<object name>.<section>"; Program::load opens objects as "bpffw".
inline constexpr const char* kParametersMap = "bpffw.data";
inline constexpr const char* kMetadataMap = "bpffw.rodata";

// One CPU's counters, the value of bpffw_counters' only entry.
struct CounterSlot {
  std::uint64_t passed_packets;
  std::uint64_t passed_bytes;
  std::uint64_t dropped_packets;
  std::uint64_t dropped_bytes;
};
inline constexpr unsigned kPassedPacketsField = 0;
inline constexpr unsigned kPassedBytesField = 1;
inline constexpr unsigned kDroppedPacketsField = 2;
inline constexpr unsigned kDroppedBytesField = 3;

}  // namespace bpffw::layout
