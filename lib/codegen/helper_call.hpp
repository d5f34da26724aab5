// Every BPF helper call the code generator emits goes through here (bpftrace's CreateHelperCall):
// the helper by its <linux/bpf.h> name, never a bare number. The packet parser's one helper,
// bpf_skb_load_bytes, is in its assembly text (packet_parser.cpp), also by name.
#pragma once

#include <linux/bpf.h>

#include <llvm/ADT/ArrayRef.h>
#include <llvm/IR/IRBuilder.h>

namespace bpffw::codegen {

// A call of `helper` with `arguments` (their own types), returning `result`: i64 unless told (a
// pointer for the map lookups and bpf_sk_fullsock).
llvm::Value* call_helper(llvm::IRBuilder<>& builder, bpf_func_id helper, llvm::ArrayRef<llvm::Value*> arguments,
                         llvm::Type* result = nullptr, const llvm::Twine& name = "");

// bpf_map_lookup_elem(map, key): a pointer to the value, or null.
llvm::Value* map_lookup(llvm::IRBuilder<>& builder, llvm::Value* map, llvm::Value* key, const llvm::Twine& name = "");

}  // namespace bpffw::codegen
