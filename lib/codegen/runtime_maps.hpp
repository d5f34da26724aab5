// The runtime-control parts of a program's module (lib/layout/map_layout.hpp has the layout):
// the per-CPU counter map, the parameter global and the metadata global, with the debug info
// from which LLVM's BPF backend emits BTF. libbpf 1.x defines maps only from BTF (".maps"), as
// clang does for `__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY)`; the objects stay loadable by bpftool.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Module.h>

#include <bpffw/compiler.hpp>
#include <bpffw/filter.hpp>

#include "codegen/runtime_spec.hpp"
#include "layout/map_layout.hpp"

namespace bpffw::codegen {

// Adds the globals `spec` asks for, with their debug info. Call before lowering.
void add_runtime_globals(llvm::Module& module, const RuntimeSpec& spec);

bool has_counters(const llvm::Module& module);

// Counts a refusal of socket hook number `hook` (kSocketHooks' order), when the module has the map:
// an `audit` program's, as one it would have made.
void emit_count_refusal(llvm::IRBuilder<>& builder, unsigned hook, bool audit);
using layout::kSocketHookCount;

// At the builder's position: adds the packet to the passed counters when the i1 `passed` holds,
// to the dropped ones otherwise (an `audit` program's: to the would-drop ones). Does nothing when
// the module has no counter map. The builder ends in a block where the verdict can be returned.
void emit_count(llvm::IRBuilder<>& builder, llvm::Value* skb, llvm::Value* passed, bool audit);

// The current value of runtime parameter `index`, an i64 loaded from the parameter global.
llvm::Value* load_parameter(llvm::IRBuilder<>& builder, std::uint32_t index);

}  // namespace bpffw::codegen
