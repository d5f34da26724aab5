// The compile pipeline on an AST: build the module, llvm::verifyModule, optimize with the new
// pass manager, emit the BPF ELF object into memory. Public compile()/emit_*() call these with the
// Filter's AST; tests may call them with hand-built ASTs.
#pragma once

#include <string>

#include <bpffw/compiler.hpp>

#include "codegen/packet_parser.hpp"
#include "codegen/runtime_spec.hpp"
#include "parser/ast.hpp"

namespace bpffw::codegen {

// `runtime`: counters, parameters, metadata, direction, rule lists (runtime_maps.hpp); compile(Filter)
// fills it in, and the object carries its rule lists' keys. `parsers`: the packet parser's machine code (tests pass the
// helper-only variants).
Result<ObjectFile> compile_expression(const ast::Expr& filter, const CompileOptions& options,
                                      const RuntimeSpec& runtime = {},
                                      const PacketParserBytes& parsers = product_packet_parsers());

struct SocketConditions;  // socket_module.hpp

// The socket programs (socket_module.hpp) of flow::may_pass's `conditions`.
Result<ObjectFile> compile_socket_conditions(const SocketConditions& conditions, const CompileOptions& options,
                                             const RuntimeSpec& runtime);

// The optimized module as LLVM IR text.
Result<std::string> llvm_ir_for_expression(const ast::Expr& filter, const CompileOptions& options,
                                           const RuntimeSpec& runtime = {});

}  // namespace bpffw::codegen
