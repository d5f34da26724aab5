#include "codegen/module.hpp"

#include <llvm/IR/IRBuilder.h>
#include <llvm/Target/TargetMachine.h>

#include <bpffw/compiler.hpp>

#include "codegen/drop_log.hpp"
#include "codegen/lower.hpp"
#include "codegen/packet_reads.hpp"
#include "codegen/variables.hpp"
#include "layout/map_layout.hpp"

namespace bpffw::codegen {
namespace {

// bpf_skb_load_bytes is not GPL-only, but a license section is what loaders expect.
constexpr const char* kLicense = "GPL";

}  // namespace

void add_license(llvm::Module& module) {
  llvm::Constant* text = llvm::ConstantDataArray::getString(module.getContext(), kLicense);
  auto* license =
      new llvm::GlobalVariable(module, text->getType(), true, llvm::GlobalValue::ExternalLinkage, text, "_license");
  license->setSection("license");
  license->setAlignment(llvm::Align(1));
}

std::unique_ptr<llvm::Module> build_module(llvm::LLVMContext& context, const llvm::TargetMachine& target,
                                           const ast::Expr& filter, const RuntimeSpec& runtime,
                                           const PacketParserBytes& parsers) {
  auto module = std::make_unique<llvm::Module>("bpffw", context);
  module->setTargetTriple(target.getTargetTriple().str());
  module->setDataLayout(target.createDataLayout());
  add_runtime_globals(*module, runtime);

  llvm::IRBuilder<> builder(context);
  auto* type = llvm::FunctionType::get(builder.getInt32Ty(), {builder.getPtrTy()}, false);
  auto* function = llvm::Function::Create(type, llvm::GlobalValue::ExternalLinkage, kProgramName, *module);
  function->setSection(kProgramSection);
  function->addFnAttr(llvm::Attribute::NoUnwind);  // or LLVM adds an .eh_frame libbpf warns about
  llvm::Value* skb = function->getArg(0);
  skb->setName("skb");

  llvm::BasicBlock* entry = llvm::BasicBlock::Create(context, "entry", function);
  llvm::BasicBlock* pass = llvm::BasicBlock::Create(context, "pass", function);
  llvm::BasicBlock* drop = llvm::BasicBlock::Create(context, "drop", function);
  if (has_counters(*module)) {
    // Both verdicts go through one counting block (runtime_maps.hpp): half the code of two.
    llvm::BasicBlock* count = llvm::BasicBlock::Create(context, "count_verdict", function);
    builder.SetInsertPoint(pass);
    builder.CreateBr(count);
    builder.SetInsertPoint(drop);
    builder.CreateBr(count);
    builder.SetInsertPoint(count);
    llvm::PHINode* passed = builder.CreatePHI(builder.getInt1Ty(), 2, "passed");
    passed->addIncoming(builder.getTrue(), pass);
    passed->addIncoming(builder.getFalse(), drop);
    emit_count(builder, skb, passed, runtime.audit);
    // Audit mode passes what it counted (and logged) as would-drop.
    builder.CreateRet(runtime.audit ? builder.getInt32(1) : builder.CreateZExt(passed, builder.getInt32Ty()));
  } else {
    builder.SetInsertPoint(pass);
    builder.CreateRet(builder.getInt32(1));
    builder.SetInsertPoint(drop);
    builder.CreateRet(builder.getInt32(runtime.audit ? 1 : 0));
  }

  // With the drop log, the expression's drops and the malformed ones go through the log first,
  // with their reason; the pass path does not change.
  llvm::BasicBlock* drop_by_filter = drop;
  llvm::BasicBlock* malformed = drop;
  VariableSet wanted = variables_read_by(filter, runtime.direction);
  if (runtime.log) {
    drop_by_filter = llvm::BasicBlock::Create(context, "drop_by_filter", function);
    malformed = llvm::BasicBlock::Create(context, "malformed", function);
    llvm::BasicBlock* log = llvm::BasicBlock::Create(context, "log_drop", function);
    for (llvm::BasicBlock* from : {drop_by_filter, malformed}) {
      builder.SetInsertPoint(from);
      builder.CreateBr(log);
    }
    builder.SetInsertPoint(log);
    llvm::PHINode* reason = builder.CreatePHI(builder.getInt8Ty(), 2, "reason");
    reason->addIncoming(builder.getInt8(layout::kReasonFilter), drop_by_filter);
    reason->addIncoming(builder.getInt8(layout::kReasonMalformed), malformed);
    // The decider reads the packet from the record's parse: nothing of the expression's own
    // reads stays live into the drop path, so the pass path keeps every register it had.
    const PacketParserVariant expression_reads = wanted.packet_parser_variant();
    auto decider = [&](llvm::IRBuilder<>& b, const PacketParserResults& parse, llvm::Value* parsed) -> llvm::Value* {
      if (!runtime.log_decider) return b.getInt64(0);
      PacketFields again = read_packet_fields(b, skb, wanted, complete_parse_variant(expression_reads), parse, parsed);
      again.set_states_here = true;
      again.rule_lists = &runtime.rules;
      return lower_decider(b, again, filter, false);
    };
    emit_drop_log(builder, skb, reason, *runtime.log, parsers, expression_reads, record_identity(runtime), decider);
    builder.CreateBr(drop);
  }

  builder.SetInsertPoint(entry);
  PacketFields fields;
  // A filter that reads no variable gives its constant verdict for every packet (§5.6).
  if (wanted.any()) fields = emit_packet_reads(builder, skb, wanted, malformed, parsers);
  fields.rule_lists = &runtime.rules;
  lower_branch(builder, fields, filter, pass, drop_by_filter);

  add_license(*module);
  return module;
}

}  // namespace bpffw::codegen
