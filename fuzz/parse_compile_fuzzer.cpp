// libFuzzer target: any bytes as a filter expression through Filter::parse and, when it parses,
// bpffw::compile (LLVM IR, verification, the BPF backend, the ELF object). Spec §8: no input may
// crash, hang or leak; ASan and UBSan watch for the rest. Nothing is loaded into the kernel.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "parse_compile_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  // Both ends of the optimizer: -O0 keeps every instruction the lowering emits.
  std::string problem = bpffw::fuzz::check_parse_compile(text, size % 2 == 0 ? 2 : 0);
  if (!problem.empty()) {
    std::fprintf(stderr, "parse_compile_fuzzer: %s\n", problem.c_str());
    std::abort();
  }
  return 0;
}
