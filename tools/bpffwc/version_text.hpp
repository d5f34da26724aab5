#pragma once
#include <string>
namespace bpffwc {
// "bpffwc 0.1.0 (LLVM 19.1.7, libbpf 1.1.2)"
std::string version_text();
}  // namespace bpffwc
