// libFuzzer target: any bytes as a filter expression through Filter::parse and, when it parses,
// bpffw::compile (LLVM IR, verification, the BPF backend, the ELF object). Spec §8: no input may
// crash, hang or leak; ASan and UBSan watch for the rest. Nothing is loaded into the kernel.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <bpffw/compiler.hpp>
#include <bpffw/filter.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  bpffw::Result<bpffw::Filter> filter = bpffw::Filter::parse(text);
  if (!filter) {
    // An error must say where: spec §8.
    if (filter.error().kind != bpffw::ErrorKind::InvalidExpression || !filter.error().span) std::abort();
    return 0;
  }
  // Both ends of the optimizer: -O0 keeps every instruction the lowering emits.
  bpffw::CompileOptions options;
  options.optimization_level = size % 2 == 0 ? 2 : 0;
  bpffw::Result<bpffw::ObjectFile> object = bpffw::compile(*filter, options);
  // A filter that parses compiles, or is refused as too large for one BPF program (an expression
  // error); an Internal error is a bug in bpffw.
  if (!object && object.error().kind != bpffw::ErrorKind::InvalidExpression) std::abort();
  if (object && object->bytes.size() < 64) std::abort();  // not even an ELF header
  return 0;
}
