#include "codegen/helper_call.hpp"

#include <vector>

namespace bpffw::codegen {

llvm::Value* call_helper(llvm::IRBuilder<>& b, bpf_func_id helper, llvm::ArrayRef<llvm::Value*> arguments,
                         llvm::Type* result, const llvm::Twine& name) {
  std::vector<llvm::Type*> types;
  for (llvm::Value* argument : arguments) types.push_back(argument->getType());
  auto* type = llvm::FunctionType::get(result != nullptr ? result : b.getInt64Ty(), types, false);
  // The BPF backend turns a call through a constant address into `call ID`.
  llvm::Value* callee = b.CreateIntToPtr(b.getInt64(static_cast<std::uint64_t>(helper)), b.getPtrTy());
  return b.CreateCall(type, callee, arguments, name);
}

llvm::Value* map_lookup(llvm::IRBuilder<>& b, llvm::Value* map, llvm::Value* key, const llvm::Twine& name) {
  return call_helper(b, BPF_FUNC_map_lookup_elem, {map, key}, b.getPtrTy(), name);
}

}  // namespace bpffw::codegen
