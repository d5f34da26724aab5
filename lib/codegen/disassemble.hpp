// BPF assembly from LLVM's MC disassembler, in process, over an emitted object (like
// `llvm-objdump -d`): one instruction per line, with its index in 8-byte slots and its bytes.
#pragma once

#include <string>

#include <bpffw/compiler.hpp>

namespace bpffw::codegen {

Result<std::string> disassemble_program(const ObjectFile& object);

}  // namespace bpffw::codegen
